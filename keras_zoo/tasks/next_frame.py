"""Next-frame prediction: a sequence of frames in, each step's prediction of the next frame out
(ConvLSTM, Shi et al. 2015, on moving shapes)."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from keras_zoo.tasks.base import ArraysTask

_SPLIT_SIZES = {"train": 512, "validation": 64, "test": 64}
_SPLIT_SEEDS = {"train": 0, "validation": 1, "test": 2}


def frames_shape(model):
    shape = tuple(model.inputs[0].shape[1:]) if model.inputs else ()
    if len(shape) != 4 or None in shape:
        raise ValueError(f"{model.name}: a next-frame model needs frames of fixed (T, H, W, C), "
                         f"got {shape}.")
    return shape


class NextFrameTask(ArraysTask):
    """Inputs ``frames`` ``[B, T, H, W, 1]`` in [0, 1]; output the predicted frames t + 1 for
    every t. Embedded data ``"moving_shapes"`` (``keras_zoo.data.clips.next_frame``). Served:
    uint8 frames in, ``next_frames`` (float, [0, 1]) and ``next_frame`` (the last step's, the
    forecast) out. Learned: the MSE falls."""

    name = "next_frame"
    data_names = ("moving_shapes",)

    def _arrays(self, model, entry, split, n=None, data=None):
        from keras_zoo.data.clips import next_frame

        t, h, w, _ = frames_shape(model)
        x, y = next_frame(n or _SPLIT_SIZES[split], frames=t + 1, image_size=(h, w),
                          seed=1000 + _SPLIT_SEEDS[split])
        return x, y

    def serving_example(self, model, n=4, seed=0):
        x, _ = self._arrays(model, None, "validation", max(n, 1))
        return {"frames": np.round(x[:n] * 255.0).astype(np.uint8)}

    def test_examples(self, model, entry, n=64):
        x, y = self._arrays(model, entry, "test", n)
        return {"frames": np.round(x * 255.0).astype(np.uint8)}, y

    def representative_examples(self, model, entry, n=100, seed=0):
        x, _ = self._arrays(model, entry, "train", n)
        frames = np.round(x * 255.0).astype(np.uint8)
        return [{"frames": frames[i:i + 1]} for i in range(n)]

    def compile(self, model, entry, learning_rate=1e-3, optimizer=None):
        import keras

        model.compile(optimizer=optimizer or keras.optimizers.Adam(learning_rate), loss="mse",
                      metrics=[keras.metrics.MeanAbsoluteError(name="mae")])

    def serving_fn(self, model):
        t, h, w, c = frames_shape(model)

        @tf.function(input_signature=[tf.TensorSpec([None, t, h, w, c], tf.uint8, name="frames")])
        def serve(frames):
            predicted = model(tf.cast(frames, tf.float32) / 255.0, training=False)
            return {"next_frames": predicted, "next_frame": predicted[:, -1]}

        return serve

    def evaluation_metrics(self, model, entry, split="test", data=None, seed=0):
        """The model's MSE against copying the last frame (the baseline it must beat)."""
        x, y = self._arrays(model, entry, split)
        predicted = np.asarray(model.predict(x, verbose=0))
        return {"mse": float(np.mean((predicted - y) ** 2)),
                "copy_last_frame_mse": float(np.mean((x - y) ** 2))}

    def int8_agreement(self, reference, quantized):
        a, b = np.asarray(reference["next_frames"]), np.asarray(quantized["next_frames"])
        return float(1.0 - np.mean(np.abs(a - b)))

    def int8_check(self, reference, quantized):
        a, b = np.asarray(reference["next_frames"]), np.asarray(quantized["next_frames"])
        error = float(np.mean(np.abs(a - b)))
        return error <= 0.02, f"mean |d pixel| {error:.4f} (<= 0.02 of the [0, 1] range)"

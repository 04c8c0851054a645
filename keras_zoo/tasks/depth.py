"""Monocular depth estimation: uint8 images in, a depth per pixel out.

Models return a positive depth map ``[B, H, W, 1]`` at the input's size and train with the
scale-invariant log loss (Eigen et al. 2014, eq. 4, lambda = 0.5) over the pixels with a valid
depth (> 0). ``serving_default`` takes ``images`` uint8 ``[B, H, W, C]`` and returns ``depth``
float32 ``[B, H, W]`` in the data's units (metres for NYU Depth v2, the scene's units for the
synthetic scenes of ``keras_zoo.data.depth_scene``).
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from keras_zoo.data.depth_scene import SPLIT_SEEDS
from keras_zoo.tasks.segmentation import DenseTask, dense_geometry

#: The int8 check: the mean |log(int8 depth / float depth)| allowed.
INT8_MEAN_LOG_ERROR = 0.1


def colour_map(depth, lo=None, hi=None):
    """uint8 RGB ``[H, W, 3]`` of a depth map, near bright and far dark (matplotlib's magma)."""
    from matplotlib import colormaps

    depth = np.asarray(depth, np.float32)
    lo = float(np.min(depth)) if lo is None else lo
    hi = float(np.max(depth)) if hi is None else hi
    scaled = 1.0 - (depth - lo) / max(hi - lo, 1e-6)
    return (colormaps["magma"](np.clip(scaled, 0, 1))[..., :3] * 255).round().astype(np.uint8)


class DepthTask(DenseTask):
    name = "depth"
    train_seed = SPLIT_SEEDS["train"]
    data_names = ("depth_scenes", "nyu_depth_v2")

    def _arrays(self, model, entry, split, n=None, seed=None, data=None, data_dir=None):
        (h, w, channels), size, out_channels, margin = dense_geometry(model)
        if out_channels != 1 or margin != (0, 0):
            raise ValueError(f"{model.name}: a depth model returns one channel at the input's "
                             f"size, got {model.output_shape} for {model.input_shape}.")
        data = data or (entry.data if entry else "depth_scenes")
        self.check_data(data)
        if data == "depth_scenes":
            from keras_zoo.data.depth_scene import load_arrays

            images, depth = load_arrays(split, (h, w), n, seed=seed)
        else:
            from keras_zoo.data.tfds import load_depth_arrays

            images, depth = load_depth_arrays(data, split, (h, w), data_dir=data_dir, limit=n)
        if channels == 1:
            images = np.round(images.mean(-1, keepdims=True)).astype(np.uint8)
        return images, depth

    def battery_data(self, model, entry, n=32, seed=0):
        images, depth = self._arrays(model, entry, "train", n,
                                     seed=SPLIT_SEEDS["train"] + 7919 * seed)
        return images.astype(np.float32) / 255.0, depth

    def dataset(self, model, entry, split="train", batch_size=32, seed=0, data=None, n=None,
                drop_remainder=False, data_dir=None):
        """Args: ``data`` (one of ``data_names``), ``n`` images, ``seed`` (the shuffle),
        ``drop_remainder``, ``data_dir`` (TFDS)."""
        images, depth = self._arrays(model, entry, split, n, data=data, data_dir=data_dir)
        ds = tf.data.Dataset.from_tensor_slices((images, depth))
        if split == "train":
            ds = ds.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
        return ds.batch(batch_size, drop_remainder=drop_remainder).map(
            lambda x, y: (tf.cast(x, tf.float32) / 255.0, y)).prefetch(tf.data.AUTOTUNE)

    def compile(self, model, entry, learning_rate=1e-3, optimizer=None, variance_weight=0.5):
        """The scale-invariant log loss with ``variance_weight`` (lambda); abs-rel, RMSE and
        delta < 1.25 as metrics."""
        import keras

        from keras_zoo.losses.depth import ScaleInvariantLogLoss
        from keras_zoo.metrics.depth import depth_metrics

        model.compile(optimizer=optimizer or keras.optimizers.Adam(learning_rate),
                      loss=ScaleInvariantLogLoss(variance_weight), metrics=depth_metrics())

    def evaluation_metrics(self, model, entry, split="test", data=None, seed=0):
        """abs-rel, RMSE and delta < 1.25 on a held-out split."""
        from keras_zoo.metrics.depth import depth_metrics

        metrics = depth_metrics()
        for x, y in self.dataset(model, entry, split, 32, seed, data=data):
            prediction = model(x, training=False)
            for metric in metrics:
                metric.update_state(y, prediction)
        return {m.name: float(m.result()) for m in metrics}

    def serving_fn(self, model):
        (h, w, channels), _, _, _ = dense_geometry(model)

        @tf.function(input_signature=[tf.TensorSpec([None, h, w, channels], tf.uint8,
                                                    name="images")])
        def serve(images):
            depth = model(tf.cast(images, tf.float32) / 255.0, training=False)
            return {"depth": depth[..., 0]}

        return serve

    def _log_error(self, reference, quantized):
        r = np.maximum(np.asarray(reference["depth"], np.float32), 1e-3)
        q = np.maximum(np.asarray(quantized["depth"], np.float32), 1e-3)
        return float(np.mean(np.abs(np.log(q / r))))

    def int8_agreement(self, reference, quantized):
        return float(np.exp(-self._log_error(reference, quantized)))

    def int8_check(self, reference, quantized):
        error = self._log_error(reference, quantized)
        return error <= INT8_MEAN_LOG_ERROR, (f"mean |log(int8 / float depth)| {error:.4f} "
                                              f"(<= {INT8_MEAN_LOG_ERROR})")

    def parity_tolerance(self):
        # Depths of a few units: kernels summing in other orders differ by ~1e-6 relative.
        return 1e-3

    def draw_prediction(self, image, outputs, index=0):
        """The image beside its predicted depth as a colour map (near bright)."""
        from PIL import Image

        image = np.asarray(image, np.uint8)
        if image.ndim == 2 or image.shape[-1] == 1:
            image = np.repeat(image.reshape(image.shape[:2] + (1,)), 3, axis=-1)
        depth = colour_map(np.asarray(outputs["depth"])[index])
        if depth.shape[:2] != image.shape[:2]:
            depth = np.asarray(Image.fromarray(depth).resize((image.shape[1], image.shape[0]),
                                                             Image.NEAREST))
        return Image.fromarray(np.concatenate([image, depth], axis=1))

    def describe_prediction(self, outputs, index=0):
        depth = np.asarray(outputs["depth"])[index]
        return (f"depth min {float(depth.min()):.3f}, median {float(np.median(depth)):.3f}, "
                f"max {float(depth.max()):.3f}")

"""Neural rendering (NeRF): rays in, colours out.

Data are the rays of ``keras_zoo.data.scenes`` (one per pixel of rendered views) with their
colours; a model learned when its loss falls and its PSNR rises. ``serving_default`` takes rays,
``origins`` and ``directions`` (float32 ``[R, 3]``) and their bounds ``near`` and ``far``
(float32 ``[R]``), and returns their colours as uint8 ``rgb`` ``[R, 3]``; an image is the rays of
its pixels (``scenes.camera_rays``).
"""

from __future__ import annotations

import functools

import numpy as np
import tensorflow as tf

from keras_zoo.tasks.base import Task

#: Side of the views the battery and the recipe's default data are rendered at.
IMAGE_SIZE = 32
#: Largest mean |float - int8| colour difference, in levels of 255, for the int8 check.
INT8_MEAN_ABS_LEVELS = 8.0


@functools.lru_cache(maxsize=8)
def _rays(split, image_size, scene_seed=0):
    from keras_zoo.data import scenes

    return scenes.ray_arrays(scenes.load_views(split, image_size, scene_seed))


def _pick(split, n, seed, image_size=IMAGE_SIZE):
    """``n`` rays of a split drawn without replacement, half of them hitting the spheres (rays
    at random would mostly see the background)."""
    origins, directions, colors = _rays(split, image_size)
    rng = np.random.default_rng(seed)
    hit = np.flatnonzero(colors.min(-1) < 0.999)
    miss = np.flatnonzero(colors.min(-1) >= 0.999)
    half = n // 2
    index = np.concatenate([rng.choice(hit, half, replace=False),
                            rng.choice(miss, n - half, replace=False)])
    return origins[index], directions[index], colors[index]


def _serving_inputs(model, origins, directions):
    n = len(origins)
    return {"origins": origins, "directions": directions,
            "near": np.full((n,), model.near, np.float32),
            "far": np.full((n,), model.far, np.float32)}


class RenderingTask(Task):
    name = "rendering"
    data_names = ("scenes",)

    def battery_data(self, model, entry, n=32, seed=0):
        origins, directions, colors = _pick("train", n, seed)
        return {"origins": origins, "directions": directions}, colors

    def dataset(self, model, entry, split="train", batch_size=1024, seed=0, data=None,
                image_size=IMAGE_SIZE, scene_seed=0, drop_remainder=False):
        origins, directions, colors = _rays(split, image_size, scene_seed)
        ds = tf.data.Dataset.from_tensor_slices(
            ({"origins": origins, "directions": directions}, colors))
        if split == "train":
            ds = ds.shuffle(len(colors), seed=seed, reshuffle_each_iteration=True)
        return ds.batch(batch_size, drop_remainder=drop_remainder).prefetch(tf.data.AUTOTUNE)

    def compile(self, model, entry, learning_rate=5e-3, optimizer=None):
        # 5e-4 is the paper's rate for 8x256 networks; the battery's 16-unit networks see 8
        # steps, at 5e-3. Recipes pass their own optimizer.
        import keras

        model.compile(optimizer=optimizer or keras.optimizers.Adam(learning_rate))

    def learned(self, history):
        losses = [float(v) for v in history.history["loss"]]
        psnrs = [float(v) for v in history.history["psnr"]]
        if not np.all(np.isfinite(losses + psnrs)):
            return False, f"not finite: loss {losses}, psnr {psnrs}"
        ok = losses[-1] < losses[0] and psnrs[-1] > psnrs[0]
        return ok, (f"loss {losses[0]:.4f} -> {losses[-1]:.4f}, "
                    f"PSNR {psnrs[0]:.2f} -> {psnrs[-1]:.2f} dB")

    def serving_fn(self, model):
        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="origins"),
                                      tf.TensorSpec([None, 3], tf.float32, name="directions"),
                                      tf.TensorSpec([None], tf.float32, name="near"),
                                      tf.TensorSpec([None], tf.float32, name="far")])
        def serve(origins, directions, near, far):
            rgb = model.render_rays(origins, directions, near, far, training=False)["rgb"]
            return {"rgb": tf.cast(tf.clip_by_value(tf.round(rgb * 255.0), 0.0, 255.0),
                                   tf.uint8)}

        return serve

    def serving_example(self, model, n=4, seed=0):
        origins, directions, _ = _pick("test", n, seed)
        return _serving_inputs(model, origins, directions)

    def test_examples(self, model, entry, n=32):
        origins, directions, colors = _pick("test", n, 0)
        return _serving_inputs(model, origins, directions), colors

    def representative_examples(self, model, entry, n=100, seed=0):
        origins, directions, _ = _pick("train", n, seed)
        return [_serving_inputs(model, origins[i:i + 1], directions[i:i + 1])
                for i in range(n)]

    def _mean_abs_levels(self, reference, quantized):
        r = np.asarray(reference["rgb"], np.float32)
        q = np.asarray(quantized["rgb"], np.float32)
        return float(np.mean(np.abs(r - q)))

    def int8_agreement(self, reference, quantized):
        return 1.0 - self._mean_abs_levels(reference, quantized) / 255.0

    def int8_check(self, reference, quantized):
        gap = self._mean_abs_levels(reference, quantized)
        return gap <= INT8_MEAN_ABS_LEVELS, (f"mean |float - int8| colour {gap:.2f} levels "
                                             f"(<= {INT8_MEAN_ABS_LEVELS})")

    def parity_tolerance(self):
        # uint8 colours: a value within float error of a .5 level rounds either way.
        return 1.0

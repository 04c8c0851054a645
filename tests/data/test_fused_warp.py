"""One warp for a recipe's translation and rotation (``keras_zoo.data.pipeline.FusedWarp``):
the same random draws as Keras' layers one after the other, composed in their order."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_zoo.data import pipeline


def _apply(layers, fused, images, seed=7):
    """``layers`` (one after the other, or fused) on ``images`` through ``seeded_map``."""
    steps = [pipeline.FusedWarp(layers)] if fused else layers

    def fn(x):
        for step in steps:
            x = step(x) if fused else step(x, training=True)
        return x

    ds = pipeline.seeded_map(tf.data.Dataset.from_tensors(images), fn, layers, seed)
    return next(iter(ds)).numpy()


def _warps(translation, rotation):
    return [keras.layers.RandomTranslation(translation, translation, seed=0),
            keras.layers.RandomRotation(rotation, seed=0)]


@pytest.fixture(scope="module")
def smooth():
    yy, xx = np.mgrid[0:32, 0:32]
    image = 128 + 100 * np.sin(xx / 5.0) * np.cos(yy / 7.0)
    return np.repeat(image[None, :, :, None], 8, axis=0).astype(np.float32)


@pytest.mark.parametrize("translation, rotation", [(0.08, 0.0), (0.0, 0.03)])
def test_with_one_warp_at_zero_it_is_the_other_layer_exactly(smooth, translation, rotation):
    """The draws come from the layers' own (batch-keyed) generators, and the matrices are
    the layers' own: only the composition is new."""
    alone = _apply(_warps(translation, rotation), False, smooth)
    assert np.abs(alone - smooth).mean() > 1.0  # the warp did something
    np.testing.assert_array_equal(_apply(_warps(translation, rotation), True, smooth), alone)


def test_the_composition_is_translation_then_rotation(smooth):
    """On a smooth image the one warp is the two warps up to the second resampling (measured
    0.2 of 255 in the interior); the product in the other order is ~1.6 away."""
    two = _apply(_warps(0.08, 0.03), False, smooth)
    one = _apply(_warps(0.08, 0.03), True, smooth)
    assert np.abs(one - two)[:, 6:-6, 6:-6].mean() < 0.6


def test_runs_of_warps_are_fused_and_the_rest_kept_in_order():
    t, r = _warps(0.1, 0.05)
    flip = keras.layers.RandomFlip(seed=0)
    nearest = keras.layers.RandomRotation(0.05, interpolation="nearest", seed=0)
    steps = pipeline.fuse_warps([t, r, flip, nearest, t])
    assert isinstance(steps[0], pipeline.FusedWarp) and steps[0].layers == [t, r]
    assert steps[1:] == [flip, nearest, t]  # different resampling settings stay apart
    assert pipeline.fuse_warps([r, nearest]) == [r, nearest]
    with pytest.raises(ValueError, match="FusedWarp: layers must"):
        pipeline.FusedWarp([flip])

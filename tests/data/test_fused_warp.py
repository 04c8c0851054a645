"""One warp for a recipe's translation, rotation, crop (zoom) and horizontal flip
(``keras_zoo.data.pipeline.FusedWarp``): the same random draws as Keras' layers one after the
other, composed in their order."""

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


def _crop_flip(crop=0.7):
    """The papers' pair as ``augment=("crop", "flip")`` builds it."""
    return [pipeline._augmentation_layer("crop", crop, 0),
            pipeline._augmentation_layer("flip", None, 0)]


def test_a_zoom_alone_is_keras_zoom_exactly(smooth):
    """RandomZoom's draws and matrix (the recipes' "crop") are Keras' own, bit for bit."""
    crop = _crop_flip()[:1]
    alone = _apply(crop, False, smooth)
    assert np.abs(alone - smooth).mean() > 1.0
    np.testing.assert_array_equal(_apply(crop, True, smooth), alone)


def test_a_fused_flip_is_keras_flip_exactly(smooth):
    """A flip maps pixel centres onto pixel centres: fused with a warp that does nothing (a
    zero translation), the batch is Keras' RandomFlip of it bit for bit, the same images
    flipped (about half of them)."""
    flip = [keras.layers.RandomFlip("horizontal", seed=0)]
    still = [keras.layers.RandomTranslation(0.0, 0.0, seed=0)]
    for layers in (still + flip, flip + still):  # a layer's draws depend on its rank
        keras_flip = _apply(layers, False, smooth)
        flipped = [not np.array_equal(a, b) for a, b in zip(keras_flip, smooth, strict=True)]
        assert 0 < sum(flipped) < len(flipped)
        np.testing.assert_array_equal(_apply(layers, True, smooth), keras_flip)


def test_crop_then_flip_is_one_warp_of_the_same_draws(smooth):
    """The crop and the flip as one resampling: the layers' output up to float rounding of
    the composed coordinates (the flip itself does not resample)."""
    two = _apply(_crop_flip(), False, smooth)
    one = _apply(_crop_flip(), True, smooth)
    assert np.abs(two - smooth).mean() > 1.0
    np.testing.assert_allclose(one, two, atol=0.05)


def test_runs_of_warps_are_fused_and_the_rest_kept_in_order():
    t, r = _warps(0.1, 0.05)
    flip = keras.layers.RandomFlip("horizontal", seed=0)
    vertical = keras.layers.RandomFlip(seed=0)  # Keras' default: horizontal and vertical
    jitter = keras.layers.RandomBrightness(0.1, seed=0)
    nearest = keras.layers.RandomRotation(0.05, interpolation="nearest", seed=0)
    steps = pipeline.fuse_warps([t, r, flip, nearest, t])
    # A horizontal flip joins the run before it; different resampling settings stay apart.
    assert isinstance(steps[0], pipeline.FusedWarp) and steps[0].layers == [t, r, flip]
    assert steps[1:] == [nearest, t]
    assert pipeline.fuse_warps([r, nearest]) == [r, nearest]
    fused = pipeline.fuse_warps([flip, nearest])  # a flip takes any settings
    assert len(fused) == 1 and fused[0].layers == [flip, nearest]
    assert fused[0].interpolation == "nearest"
    # Alone, with only other flips, or a vertical flip: nothing to save; left to Keras.
    assert pipeline.fuse_warps([flip, jitter, flip, flip]) == [flip, jitter, flip, flip]
    assert pipeline.fuse_warps([t, vertical]) == [t, vertical]
    for layers in ([flip], [flip, flip], [t, vertical]):
        with pytest.raises(ValueError, match="FusedWarp: layers must"):
            pipeline.FusedWarp(layers)

"""PixelCNN: causality of the masks, NLL in bits/dim against NumPy, autoregressive sampling."""

import math

import keras
import numpy as np
import pytest

import keras_zoo
from keras_zoo.models.generative.pixelcnn import bits_per_dim


def _tiny(**overrides):
    keras.utils.set_random_seed(0)
    return keras_zoo.models.get("pixelcnn", preset="tiny", **overrides)


def test_logits_at_a_pixel_depend_only_on_earlier_pixels():
    model = _tiny()
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (1, 8, 8, 1)).astype(np.float32)
    base = np.asarray(model(x))
    i, j = 3, 4
    changed = x.copy()
    changed[0, i, j, 0] = 1.0 - changed[0, i, j, 0]
    diff = np.abs(np.asarray(model(changed)) - base).max(axis=(-1, -2))[0]  # [H, W]
    order = np.arange(64).reshape(8, 8)
    assert np.all(diff[order <= order[i, j]] == 0)  # itself (mask A) and everything before
    assert diff[order > order[i, j]].max() > 0      # some later pixel sees it


def test_bits_per_dim_matches_numpy():
    rng = np.random.default_rng(1)
    levels = 5
    logits = rng.normal(0, 1, (2, 3, 3, 1, levels)).astype(np.float32)
    images = rng.integers(0, levels, (2, 3, 3, 1)) / (levels - 1)
    log_p = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    targets = np.round(images * (levels - 1)).astype(int)
    nll = -np.take_along_axis(log_p, targets[..., None], -1)[..., 0]
    want = nll.reshape(2, -1).mean(-1) / math.log(2)
    got = np.asarray(bits_per_dim(logits, images.astype(np.float32), levels))
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_fit_lowers_bits_per_dim_and_sampling_is_autoregressive():
    model = _tiny()
    images, _ = keras_zoo.data.load_arrays("digits", "train", (8, 8), 1)
    x = images[:256].astype(np.float32) / 255.0
    model.compile(optimizer=keras.optimizers.Adam(3e-3))
    before = float(model.bits_per_dim(x).mean())
    history = model.fit(x, batch_size=32, epochs=3, verbose=0)
    after = float(model.bits_per_dim(x).mean())
    assert after < before - 0.5, (before, after)
    assert history.history["bits_per_dim"][-1] == pytest.approx(
        history.history["loss"][-1] / math.log(2), rel=1e-5)
    samples = model.sample(4, seed=3)
    assert samples.shape == (4, 8, 8, 1)
    levels = samples * (model.levels - 1)
    np.testing.assert_allclose(levels, np.round(levels), atol=1e-5)
    np.testing.assert_array_equal(samples, model.sample(4, seed=3))
    assert not np.array_equal(samples[0], samples[1])


def test_bad_image_size_raises():
    model = _tiny()
    with pytest.raises(ValueError, match=r"images must have shape \(batch, 8, 8, 1\)"):
        model.bits_per_dim(np.zeros((1, 9, 8, 1), np.float32))
    with pytest.raises(ValueError, match="levels"):
        _tiny(levels=0)

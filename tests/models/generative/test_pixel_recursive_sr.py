"""Pixel Recursive Super Resolution (Dahl et al. 2017): logits added, causality of the prior,
eq. 6's loss, sampling given a low-resolution image; slow: beats bicubic in log-likelihood."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_zoo
from keras_zoo.models.generative.pixel_recursive_sr import bicubic_bits_per_dim


def _tiny():
    keras.utils.set_random_seed(0)
    # The tiny widths at 16x16 with the paper's factor 4 (the tiny config itself is 8x8 / 2).
    return keras_zoo.models.get("pixel_recursive_sr", preset="tiny", image_shape=(16, 16, 1),
                                factor=4)


def _images(n=4, seed=0):
    return np.random.default_rng(seed).integers(0, 17, size=(n, 16, 16, 1)).astype(
        np.float32) / 16.0


def test_logits_are_the_sum_of_the_conditioning_and_prior_networks():
    model = _tiny()
    y = _images()
    low = np.asarray(model.downsample(y))
    np.testing.assert_allclose(low, y.reshape(4, 4, 4, 4, 4, 1).mean((2, 4)), atol=1e-6)
    conditioning = model.network.get_layer("pixel_recursive_sr_network_conditioning")
    prior = model.network.get_layer("pixel_recursive_sr_network_prior")
    expected = np.asarray(conditioning(low)) + np.asarray(prior(y))
    np.testing.assert_allclose(np.asarray(model(y)), expected, atol=1e-5)
    assert model(y).shape == (4, 16, 16, 1, 17)


def test_a_pixel_sees_the_low_resolution_image_and_only_earlier_pixels():
    model = _tiny()
    y = _images(1)
    low = model.downsample(y)
    base = np.asarray(model({"images": y, "low_resolution": low}))
    changed = y.copy()
    changed[0, 9, 5, 0] = (changed[0, 9, 5, 0] + 0.5) % 1.0  # one pixel of the image
    out = np.asarray(model({"images": changed, "low_resolution": low}))
    flat = np.abs(out - base).reshape(16 * 16, -1).max(-1)
    first_changed = np.nonzero(flat > 1e-6)[0]
    assert first_changed.size and first_changed.min() == 9 * 16 + 6  # the next one first
    other_low = np.asarray(low).copy()
    other_low[0, 0, 0, 0] += 0.5
    out = np.asarray(model({"images": y, "low_resolution": other_low}))
    assert np.abs(out - base)[0, 0, 0].max() > 1e-6  # the conditioning reaches pixel (0, 0)


def test_loss_is_eq6_cross_entropy_of_the_sum_plus_of_the_conditioning_alone():
    model = _tiny()
    y = _images(3, seed=1)
    total, a = (np.asarray(t, np.float64)
                for t in model.network([model.downsample(y), tf.constant(y)]))
    targets = np.round(y * 16).astype(int)

    def nll(logits):
        log_p = logits - logits.max(-1, keepdims=True)
        log_p = log_p - np.log(np.exp(log_p).sum(-1, keepdims=True))
        return -np.take_along_axis(log_p, targets[..., None], -1).mean()

    logs = model.objective(tf.constant(y), training=False)
    np.testing.assert_allclose(float(logs["loss"]), nll(total) + nll(a), rtol=1e-5)
    np.testing.assert_allclose(float(logs["bits_per_dim"]), nll(total) / math.log(2), rtol=1e-5)
    np.testing.assert_allclose(model.bits_per_dim(y).mean(), nll(total) / math.log(2),
                               rtol=1e-5)


def test_bicubic_baseline_is_a_discretised_gaussian():
    y = _images(2, seed=2)
    low = tf.nn.avg_pool2d(y, 4, 4, "VALID")
    mean = np.clip(np.asarray(tf.image.resize(low, (16, 16), method="bicubic")), 0, 1) * 16
    sigma = 1.5
    log_p = -((np.arange(17) - mean[..., None]) ** 2) / (2 * sigma ** 2)
    log_p -= np.log(np.exp(log_p).sum(-1, keepdims=True))
    picked = np.take_along_axis(log_p, np.round(y * 16).astype(int)[..., None], -1)
    expected = -picked.reshape(2, -1).mean(-1) / math.log(2)
    np.testing.assert_allclose(np.asarray(bicubic_bits_per_dim(low, y, 17, sigma)), expected,
                               rtol=1e-5)


def test_super_resolve_samples_given_the_low_resolution_image():
    model = _tiny()
    low = np.asarray(model.downsample(_images(2)))
    greedy = model.super_resolve(low, temperature=0)
    assert greedy.shape == (2, 16, 16, 1)
    np.testing.assert_array_equal(greedy, model.super_resolve(low, temperature=0))
    assert set(np.unique(np.round(greedy * 16))) <= set(range(17))
    with pytest.raises(ValueError, match="low_resolution"):
        model.super_resolve(np.zeros((2, 8, 8, 1), np.float32))


@pytest.mark.slow
def test_beats_bicubic_upsampling_in_log_likelihood_on_held_out_images():
    # 8x8 -> 32x32 on the embedded shapes (grey): the model's held-out NLL against bicubic
    # upsampling with the Gaussian noise level that fits the training images best.
    from keras_zoo.data import load_arrays

    train, _ = load_arrays("shapes", "train", (32, 32), 1)
    test, _ = load_arrays("shapes", "test", (32, 32), 1)
    train, test = train.astype(np.float32) / 255.0, test.astype(np.float32) / 255.0
    keras.utils.set_random_seed(0)
    model = keras_zoo.models.get("pixel_recursive_sr", image_shape=(32, 32, 1), factor=4,
                                 levels=256, conditioning_filters=32, conditioning_blocks=2,
                                 prior_filters=32, prior_blocks=3, prior_output_filters=64)
    model.compile(optimizer=keras.optimizers.Adam(2e-3))
    model.fit(train, batch_size=32, epochs=15, shuffle=True, verbose=0)
    model_bpd = float(model.bits_per_dim(test).mean())

    def bicubic(images, sigma):
        low = tf.nn.avg_pool2d(images, 4, 4, "VALID")
        return float(np.mean(bicubic_bits_per_dim(low, images, 256, sigma)))

    sigma = min((0.5, 1, 2, 4, 8, 16, 32), key=lambda s: bicubic(train, s))
    bicubic_bpd = bicubic(test, sigma)
    print(f"held-out bits/dim: pixel recursive SR {model_bpd:.3f}, bicubic (sigma={sigma}) "
          f"{bicubic_bpd:.3f}")
    assert model_bpd < bicubic_bpd

"""FID and the perceptual path length against NumPy/SciPy references on fixed features."""

import keras
import numpy as np
import pytest
import scipy.linalg

import keras_zoo
from keras_zoo.metrics.generative import (
    FrechetInceptionDistance,
    feature_model,
    frechet_distance,
    frechet_inception_distance,
    perceptual_distance,
    perceptual_path_length,
    slerp,
)


def _scipy_fid(f1, f2):
    # pytorch-fid's computation: np.cov (unbiased), scipy's general matrix square root.
    mu1, mu2 = f1.mean(0), f2.mean(0)
    s1, s2 = np.cov(f1, rowvar=False), np.cov(f2, rowvar=False)
    root = scipy.linalg.sqrtm(s1 @ s2).real
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * np.trace(root))


def _identity_features(dim):
    inputs = keras.Input((dim,))
    return keras.Model(inputs, keras.layers.Identity()(inputs))


def test_frechet_distance_equals_scipy_on_fixed_features():
    rng = np.random.default_rng(0)
    f1 = rng.normal(size=(200, 6))
    f2 = rng.normal(size=(150, 6)) @ rng.normal(size=(6, 6)) * 0.7 + 0.3
    expected = _scipy_fid(f1, f2)
    actual = float(frechet_distance(f1.mean(0), np.cov(f1, rowvar=False), f2.mean(0),
                                    np.cov(f2, rowvar=False)))
    np.testing.assert_allclose(actual, expected, rtol=1e-6)
    # Sets of different sizes, fed in uneven batches, through the metric.
    metric = FrechetInceptionDistance(_identity_features(6))
    for chunk in np.array_split(f1.astype(np.float32), 3):
        metric.update_real(chunk)
    for chunk in np.array_split(f2.astype(np.float32), 4):
        metric.update_generated(chunk)
    np.testing.assert_allclose(float(metric.result()), expected, rtol=1e-4)
    metric.reset_state()
    metric.update_state(f1[:50].astype(np.float32), f1[50:100].astype(np.float32))
    np.testing.assert_allclose(float(metric.result()), _scipy_fid(f1[:50], f1[50:100]),
                               rtol=1e-4)


def test_fid_of_a_set_with_itself_is_zero_and_a_shift_adds_its_square():
    rng = np.random.default_rng(1)
    f = rng.normal(size=(100, 4)).astype(np.float32)
    features = _identity_features(4)
    assert abs(frechet_inception_distance(features, f, f)) < 1e-6
    shift = np.array([1.0, 2.0, 0.0, 0.0], np.float32)
    np.testing.assert_allclose(frechet_inception_distance(features, f, f + shift, 32), 5.0,
                               atol=1e-4)


def test_fid_through_a_zoo_classifier_equals_scipy_on_its_features():
    keras.utils.set_random_seed(0)
    classifier = keras_zoo.models.get("lenet5", preset="tiny")
    features = feature_model(classifier)
    assert features.output_shape[-1] == classifier.layers[-1].input.shape[-1]
    rng = np.random.default_rng(2)
    shape = (40,) + tuple(classifier.input_shape[1:])
    real, fake = rng.uniform(size=shape).astype(np.float32), rng.uniform(
        size=shape).astype(np.float32) ** 2
    f_real, f_fake = (np.asarray(features(x), np.float64) for x in (real, fake))
    np.testing.assert_allclose(frechet_inception_distance(features, real, fake, 16),
                               _scipy_fid(f_real, f_fake), rtol=1e-3, atol=1e-6)
    with pytest.raises(ValueError, match="no layers"):
        feature_model(classifier, layers="pool99")


def test_spatial_features_are_averaged_over_positions():
    rng = np.random.default_rng(3)
    inputs = keras.Input((3, 3, 2))
    features = keras.Model(inputs, keras.layers.Identity()(inputs))
    a, b = rng.normal(size=(2, 30, 3, 3, 2)).astype(np.float32)
    np.testing.assert_allclose(frechet_inception_distance(features, a, b),
                               _scipy_fid(a.mean((1, 2)), b.mean((1, 2))), rtol=1e-4)


def test_perceptual_distance_is_lpips_with_unit_weights():
    rng = np.random.default_rng(4)
    inputs = keras.Input((2, 2, 3))
    features = keras.Model(inputs, [keras.layers.Identity()(inputs),
                                    keras.layers.GlobalAveragePooling2D()(inputs)])
    a, b = rng.normal(size=(2, 5, 2, 2, 3)).astype(np.float32)

    def unit(x):
        return x / np.linalg.norm(x, axis=-1, keepdims=True)

    expected = (np.sum((unit(a) - unit(b)) ** 2, -1).mean((1, 2))
                + np.sum((unit(a.mean((1, 2))) - unit(b.mean((1, 2)))) ** 2, -1))
    np.testing.assert_allclose(np.asarray(perceptual_distance(features, a, b)), expected,
                               rtol=1e-5)


def test_slerp_follows_the_great_circle():
    a = np.array([[2.0, 0.0, 0.0]], np.float32)
    b = np.array([[0.0, 3.0, 0.0]], np.float32)
    for t in (0.0, 0.25, 0.5, 1.0):
        expected = [[np.cos(t * np.pi / 2), np.sin(t * np.pi / 2), 0.0]]
        np.testing.assert_allclose(np.asarray(slerp(a, b, np.float32(t))), expected, atol=1e-6)


def test_path_length_of_a_linear_generator_in_w_is_twice_the_frobenius_norm():
    # G(w) = A w, features = identity, d = squared L2 (no normalisation), lerp in W with
    # w = z: G(lerp(t + eps)) - G(lerp(t)) = eps A (z2 - z1), so d / eps^2 = |A (z2 - z1)|^2
    # whatever t, and E over z1, z2 ~ N(0, I) of it is 2 |A|_F^2.
    rng = np.random.default_rng(5)
    a = rng.normal(size=(3, 5)).astype(np.float32)
    latents = keras.Input((3,))
    generator = keras.Model(latents, keras.layers.Dense(5, use_bias=False)(latents))
    generator.set_weights([a])
    mapping = keras.Model(latents, keras.layers.Identity()(latents))
    features = _identity_features(5)
    ppl = perceptual_path_length(generator, features, 3, num_samples=4000, epsilon=1e-2,
                                 space="w", mapping=mapping, trim=None, normalize=False,
                                 batch_size=1000)
    np.testing.assert_allclose(ppl, 2 * np.sum(a.astype(np.float64) ** 2), rtol=0.06)
    # The same samples, recomputed in NumPy (seeded draws in the documented order).
    draw = np.random.default_rng(0)
    total = []
    for _ in range(4):
        z1, z2 = draw.normal(size=(2, 1000, 3))
        draw.uniform(size=(1000, 1))
        total.append(np.sum(((z2 - z1) @ a) ** 2, axis=-1))
    np.testing.assert_allclose(ppl, np.mean(np.concatenate(total)), rtol=1e-3)


def test_path_length_trims_outliers_and_checks_its_arguments():
    latents = keras.Input((4,))
    generator = keras.Model(latents, keras.layers.Dense(6, activation="tanh")(latents))
    features = _identity_features(6)
    trimmed = perceptual_path_length(generator, features, 4, num_samples=200, seed=1)
    kept = perceptual_path_length(generator, features, 4, num_samples=200, seed=1, trim=None)
    assert np.isfinite(trimmed) and trimmed > 0 and trimmed != kept
    with pytest.raises(ValueError, match="space must be"):
        perceptual_path_length(generator, features, 4, space="x")
    with pytest.raises(ValueError, match="mapping is needed"):
        perceptual_path_length(generator, features, 4, space="w")

"""Worked examples of the lecture notes as tests, errata included."""

import math

import keras
import numpy as np
import pytest

import keras_zoo
from tests.deferred import assert_deferred, deferred_weights


def test_the_5x5_image_convolved_by_hand():
    # Notes 004, lines 16-115: stride 1, no padding.
    image = np.array([[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0],
                      [0, 1, 1, 0, 0]], np.float32)
    kernel = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]], np.float32)
    conv = keras.layers.Conv2D(1, 3, use_bias=False)
    conv.build((1, 5, 5, 1))
    conv.set_weights([kernel[:, :, None, None]])
    out = conv(image[None, :, :, None]).numpy()[0, :, :, 0]
    np.testing.assert_array_equal(out, [[4, 3, 4], [2, 4, 3], [2, 3, 4]])


def output_size(n, k, s=1, p=0):
    """Notes 004 line 161 / 001: n_out = floor((n_in + 2p - k) / s) + 1."""
    return math.floor((n + 2 * p - k) / s) + 1


def test_output_size_formula_alexnet_conv1():
    assert output_size(227, 11, 4) == 55
    # ERRATA: the "224" of the notes gives 54, not 55.
    assert output_size(224, 11, 4) == 54


GRID = [(n, k, s, p) for n in (5, 8, 13, 32, 227) for k in (1, 3, 5, 11) for s in (1, 2, 4)
        for p in (0, 1, 2) if n + 2 * p >= k]


@pytest.mark.parametrize("n,k,s,p", GRID)
def test_output_size_formula_matches_keras(n, k, s, p):
    x = keras.Input((n, n, 1))
    y = keras.layers.ZeroPadding2D(p)(x) if p else x
    y = keras.layers.Conv2D(1, k, strides=s)(y)
    assert y.shape[1] == output_size(n, k, s, p)
    z = keras.layers.MaxPooling2D(k, strides=s)(keras.layers.ZeroPadding2D(p)(x) if p else x)
    assert z.shape[1] == output_size(n, k, s, p)


def test_alexnet_first_layer_and_neurons():
    with deferred_weights():  # shapes only: no 61M random draws
        model = keras_zoo.models.get("alexnet")
    assert_deferred(model.weights)
    conv1 = model.get_layer("conv1").output.shape
    assert tuple(conv1[1:]) == (55, 55, 96)
    # ERRATA: the notes' 253,440 neurons; 55*55*96 is 290,400.
    assert int(np.prod(conv1[1:])) == 290_400


def test_alexnet_lrn_uses_the_paper_constants():
    with deferred_weights():
        model = keras_zoo.models.get("alexnet")
    norm = model.get_layer("norm1")
    assert (norm.k, norm.n, norm.alpha, norm.beta) == (2.0, 5, 1e-4, 0.75)
    pool = model.get_layer("pool1")
    assert pool.pool_size == (3, 3) and pool.strides == (2, 2)  # overlapping pooling


def test_alexnet_parameter_count():
    # Two-tower (groups=2) AlexNet: 60,965,224, the paper's "60 million"; one tower: 62,378,344.
    with deferred_weights():  # counted from the variables' shapes, none drawn
        two_towers = keras_zoo.models.get("alexnet")
        one_tower = keras_zoo.models.get("alexnet", groups=1)
    assert_deferred(two_towers.weights + one_tower.weights)
    assert two_towers.count_params() == 60_965_224
    assert one_tower.count_params() == 62_378_344
    # ERRATA: AlexNet has about 60M parameters (notes 002); within 2 % of 60M with groups.
    assert abs(60_965_224 - 60e6) / 60e6 < 0.02


def test_lenet5_parameter_count():
    # Full C3 connectivity (the paper's sparse table would give 1,516 instead of 2,416 in C3).
    assert keras_zoo.models.get("lenet5").count_params() == 61_706


def test_zfnet_feature_map_sizes_follow_the_paper():
    with deferred_weights():
        model = keras_zoo.models.get("zfnet")
    sizes = [model.get_layer(n).output.shape[1] for n in
             ("conv1", "pool1", "conv2", "pool2", "conv3", "conv5", "pool5")]
    assert sizes == [110, 55, 26, 13, 13, 13, 6]


def test_he_initialisation_uses_fan_in_only():
    # ERRATA (000): He uses fan_in; Glorot uses fan_in + fan_out.
    fan_in, fan_out = 400, 100
    he = keras.initializers.HeNormal(seed=0)((fan_in, fan_out)).numpy()
    glorot = keras.initializers.GlorotNormal(seed=0)((fan_in, fan_out)).numpy()
    assert np.std(he) == pytest.approx(math.sqrt(2 / fan_in), rel=0.05)
    assert np.std(glorot) == pytest.approx(math.sqrt(2 / (fan_in + fan_out)), rel=0.05)


def test_keras_dropout_rate_is_the_drop_probability_and_inverted():
    # ERRATA (001/003): Keras' Dropout(rate) drops with probability `rate` and scales the kept
    # units by 1 / (1 - rate) at training time; inference is the identity.
    x = np.ones((1, 100_000), np.float32)
    y = keras.layers.Dropout(0.25, seed=1)(x, training=True).numpy()
    assert np.mean(y == 0) == pytest.approx(0.25, abs=0.01)
    assert np.unique(y[y != 0]) == pytest.approx([1 / 0.75])
    np.testing.assert_array_equal(keras.layers.Dropout(0.25)(x, training=False), x)


def test_batchnorm_has_epsilon_gamma_and_beta():
    # ERRATA (001): y = gamma * (x - mu) / sqrt(var + eps) + beta.
    x = np.random.default_rng(0).normal(2, 3, (64, 4)).astype(np.float32)
    bn = keras.layers.BatchNormalization(epsilon=1e-3)
    bn.build(x.shape)
    gamma, beta = np.array([1, 2, 3, 4], np.float32), np.array([0, 1, -1, 2], np.float32)
    bn.set_weights([gamma, beta, np.zeros(4, np.float32), np.ones(4, np.float32)])
    expected = gamma * (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-3) + beta
    np.testing.assert_allclose(bn(x, training=True), expected, atol=1e-4)

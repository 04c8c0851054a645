"""Training-mode statistics of RandomizedReLU and WeightNoiseDense (the layer battery checks
their inference networks against the formulas)."""

import numpy as np
import pytest

from keras_zoo.layers import RandomizedReLU, WeightNoiseDense


def test_rrelu_training_divides_negatives_by_uniform_divisors():
    layer = RandomizedReLU(3.0, 8.0, seed=4)
    x = np.concatenate([-np.ones((20000,), np.float32), np.ones((100,), np.float32)])
    out = np.asarray(layer(x, training=True))
    np.testing.assert_array_equal(out[20000:], 1.0)        # the positive part is untouched
    divisors = -1.0 / out[:20000]                          # y = x / a with x = -1
    assert divisors.min() >= 3.0 - 1e-5 and divisors.max() <= 8.0 + 1e-5
    # a ~ U(3, 8): mean 5.5, variance 25 / 12, and every fifth of the range about as likely.
    assert abs(divisors.mean() - 5.5) < 0.05
    assert abs(divisors.var() - 25 / 12) < 0.1
    counts = np.histogram(divisors, bins=5, range=(3, 8))[0] / 20000
    np.testing.assert_allclose(counts, 0.2, atol=0.015)
    assert len(np.unique(out[:20000])) > 1000               # one draw per element


def test_rrelu_inference_divides_by_the_mean_divisor():
    layer = RandomizedReLU(3.0, 8.0)
    x = np.array([-5.5, -1.0, 0.0, 2.0], np.float32)
    np.testing.assert_allclose(np.asarray(layer(x, training=False)), [-1.0, -1 / 5.5, 0.0, 2.0],
                               rtol=1e-6)
    # The paper's test rule uses the mean divisor, not the mean training slope E[1/a].
    assert layer.inference_slope == pytest.approx(1 / 5.5)
    assert np.log(8 / 3) / 5 > layer.inference_slope + 0.01


@pytest.mark.parametrize("lower, upper", [(0.0, 3.0), (5.0, 3.0), (-1.0, 2.0)])
def test_rrelu_rejects_bad_ranges(lower, upper):
    with pytest.raises(ValueError, match="lower"):
        RandomizedReLU(lower, upper)


def _weight_noise_reading_weights(stddev):
    layer = WeightNoiseDense(3, stddev=stddev, use_bias=False, seed=5)
    layer.build((None, 4))
    w = np.arange(1, 13, dtype=np.float32).reshape(4, 3)
    layer.set_weights([w])
    return layer, w, np.tile(np.eye(4, dtype=np.float32), (2, 1))  # one-hot rows read weights


def test_weight_noise_adds_gaussian_noise_shared_by_the_batch():
    stddev = 0.5
    layer, w, x = _weight_noise_reading_weights(stddev)
    draws = np.stack([np.asarray(layer(x, training=True)) for _ in range(2000)])  # [2000, 8, 3]
    # One draw per call: both copies of each one-hot row see the same noisy weights.
    np.testing.assert_array_equal(draws[:, :4], draws[:, 4:])
    noise = draws[:, :4] - w
    assert abs(noise.mean()) < 0.01
    assert abs(noise.std() - stddev) < 0.01
    # Independent draws for every weight: no correlation between two of them.
    assert abs(np.corrcoef(noise[:, 0, 0], noise[:, 1, 2])[0, 1]) < 0.1
    np.testing.assert_array_equal(np.asarray(layer(x, training=False)), np.concatenate([w, w]))


def test_weight_noise_reaches_the_bias_and_zero_stddev_is_plain_dense():
    layer = WeightNoiseDense(2, stddev=1.0, seed=6)
    layer.build((None, 3))
    x = np.zeros((1, 3), np.float32)  # the output is the (noisy) bias alone
    assert np.any(np.asarray(layer(x, training=True)) != 0.0)
    clean = WeightNoiseDense(2, stddev=0.0, seed=6)
    clean.build((None, 3))
    clean.set_weights(layer.get_weights())
    x = np.ones((2, 3), np.float32)
    np.testing.assert_array_equal(np.asarray(clean(x, training=True)),
                                  np.asarray(clean(x, training=False)))
    with pytest.raises(ValueError, match="stddev"):
        WeightNoiseDense(2, stddev=-0.1)

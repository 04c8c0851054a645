"""keras_zoo.robust: FGSM, PGD, the uniform-noise control, and their input checks."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_zoo import robust


def _net(seed=0, activation="softmax"):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((8, 8, 1))
    x = keras.layers.Conv2D(4, 3, padding="same", activation="relu")(inputs)
    x = keras.layers.Flatten()(x)
    return keras.Model(inputs, keras.layers.Dense(3, activation=activation)(x))


def _data(n=16, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, 8, 8, 1)).astype(np.float32)
    x[:, :2] = 0.0  # pixels at the range's ends: clipping must hold them
    x[:, -2:] = 1.0
    return x, rng.integers(0, 3, n)


def _loss(model, x, y):
    p = model(x).numpy()
    return float(-np.mean(np.log(p[np.arange(len(y)), y])))


def test_fgsm_moves_every_unclipped_pixel_by_exactly_eps():
    model = _net()
    x, y = _data()
    adv = robust.fgsm(model, x, y, eps=0.1)
    delta = adv - x
    assert adv.dtype == np.float32 and adv.min() >= 0 and adv.max() <= 1
    inside = (x + 0.1 <= 1) & (x - 0.1 >= 0)
    gradient_nonzero = np.abs(delta) > 0
    moved = inside & gradient_nonzero
    assert moved.mean() > 0.3
    np.testing.assert_allclose(np.abs(delta[moved]), 0.1, atol=1e-6)
    assert np.abs(delta).max() <= 0.1 + 1e-6
    assert _loss(model, adv, y) > _loss(model, x, y)  # the gradient sign raises the loss


def test_targeted_fgsm_lowers_the_targets_loss():
    model, (x, y) = _net(), _data()
    target = (y + 1) % 3
    adv = robust.fgsm(model, x, y, eps=0.05, target=target)
    assert _loss(model, adv, target) < _loss(model, x, target)


@pytest.mark.parametrize("norm", ["linf", "l2"])
def test_pgd_stays_in_the_ball_and_the_pixel_range(norm):
    model, (x, y) = _net(activation=None), _data()
    eps = 0.08 if norm == "linf" else 0.6
    adv = robust.pgd(model, x, y, eps=eps, steps=6, step_size=eps / 2, norm=norm, seed=1)
    assert adv.min() >= 0 and adv.max() <= 1
    delta = (adv - x).reshape(len(x), -1)
    size = np.abs(delta).max(1) if norm == "linf" else np.sqrt((delta ** 2).sum(1))
    assert size.max() <= eps + 1e-5
    np.testing.assert_array_equal(
        adv, robust.pgd(model, x, y, eps=eps, steps=6, step_size=eps / 2, norm=norm, seed=1))
    assert _loss(keras.Sequential([model, keras.layers.Softmax()]), adv, y) > \
        _loss(keras.Sequential([model, keras.layers.Softmax()]), x, y)


def test_uniform_noise_is_bounded_and_seeded():
    model, (x, _) = _net(), _data()
    noisy = robust.uniform_noise(model, x, 0.1, seed=2)
    assert np.abs(noisy - x).max() <= 0.1 + 1e-6 and noisy.min() >= 0 and noisy.max() <= 1
    np.testing.assert_array_equal(noisy, robust.uniform_noise(model, x, 0.1, seed=2))


def test_uint8_serving_model_gets_uint8_examples_in_its_ball():
    base = _net()
    inputs = keras.Input((8, 8, 1), dtype="uint8")
    served = keras.Model(inputs, base(keras.layers.Rescaling(1 / 255.0)(inputs)))
    x, y = _data()
    pixels = np.round(x * 255).astype(np.uint8)
    for adv in (robust.fgsm(served, pixels, y, eps=8),
                robust.pgd(served, pixels, y, eps=8, steps=3, step_size=3)):
        assert adv.dtype == np.uint8
        assert np.abs(adv.astype(int) - pixels).max() <= 8
    with pytest.raises(ValueError, match="eps=300"):
        robust.fgsm(served, pixels, y, eps=300)


def test_bad_inputs_name_the_argument():
    model, (x, y) = _net(), _data(4)
    for eps in (0.0, 1.5, -0.1):
        with pytest.raises(ValueError, match="eps="):
            robust.fgsm(model, x, y, eps=eps)
    with pytest.raises(ValueError, match="eps="):
        robust.pgd(model, x, y, eps=2.0)
    with pytest.raises(ValueError, match="norm="):
        robust.pgd(model, x, y, eps=0.1, norm="l1")
    with pytest.raises(ValueError, match="labels"):
        robust.fgsm(model, x, np.array([0, 1, 5, 0]), eps=0.1)
    with pytest.raises(ValueError, match="images"):
        robust.fgsm(model, x * 255, y, eps=0.1)

    def black_box(images):  # rounding has no gradient
        return model(tf.round(images * 255) / 255)

    with pytest.raises(ValueError, match="no differentiable path"):
        robust.fgsm(black_box, x, y, eps=0.1)

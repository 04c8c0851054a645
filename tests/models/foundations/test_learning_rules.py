"""The perceptron rule and Hebb's rule, step by step against NumPy."""

import keras
import numpy as np
import pytest

import keras_zoo

ETA = 0.1


def _data(n=12, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2, 2, 1)).astype(np.float32)
    y = rng.integers(0, 3, size=n)
    return x, y


def _model(name):
    keras.utils.set_random_seed(0)
    model = keras_zoo.models.get(name, input_shape=(2, 2, 1), classes=3)
    model.compile(optimizer=keras.optimizers.SGD(ETA),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")])
    return model


def _online_reference(w, b, x, y, mistake_driven):
    """The rule as printed, one example at a time: w_k += eta x t_k (only where unit k is
    wrong, t_k (w_k . x + b_k) <= 0, for the perceptron); the bias is the weight of input 1."""
    w, b = w.astype(np.float64), b.astype(np.float64)
    history = []
    for xi, yi in zip(x.reshape(len(x), -1).astype(np.float64), y, strict=True):
        t = -np.ones(w.shape[1])
        t[yi] = 1.0
        s = xi @ w + b
        active = (t * s <= 0) if mistake_driven else np.ones_like(t, bool)
        for k in range(w.shape[1]):
            if active[k]:
                w[:, k] += ETA * xi * t[k]
                b[k] += ETA * t[k]
        history.append((w.copy(), b.copy()))
    return history


@pytest.mark.parametrize("name, mistake_driven", [("perceptron", True),
                                                  ("hebbian_network", False)])
def test_online_rule_step_by_step(name, mistake_driven):
    model = _model(name)
    x, y = _data()
    w0, b0 = model.get_layer("units").get_weights()
    expected = _online_reference(w0, b0, x, y, mistake_driven)
    for i in range(len(x)):  # batch_size=1: the online rule
        model.train_on_batch(x[i:i + 1], y[i:i + 1])
        w, b = model.get_layer("units").get_weights()
        np.testing.assert_allclose(w, expected[i][0], atol=1e-5, err_msg=f"step {i}")
        np.testing.assert_allclose(b, expected[i][1], atol=1e-5, err_msg=f"step {i}")
    if mistake_driven:  # some steps must have been skipped, or the test proves nothing
        hebb = _online_reference(w0, b0, x, y, mistake_driven=False)
        assert not np.allclose(expected[-1][0], hebb[-1][0])


def test_perceptron_skips_correct_examples():
    model = _model("perceptron")
    layer = model.get_layer("units")
    x = np.ones((1, 2, 2, 1), np.float32)
    layer.set_weights([np.zeros((4, 3), np.float32), np.array([1.0, -1.0, -1.0], np.float32)])
    model.train_on_batch(x, np.array([0]))  # every unit is right: nothing moves
    np.testing.assert_array_equal(layer.get_weights()[0], 0.0)
    model.train_on_batch(x, np.array([1]))  # units 0 and 1 are wrong, unit 2 right
    w, b = layer.get_weights()
    np.testing.assert_allclose(w[:, 0], -ETA)
    np.testing.assert_allclose(w[:, 1], ETA)
    np.testing.assert_allclose(w[:, 2], 0.0)
    np.testing.assert_allclose(b, [1.0 - ETA, -1.0 + ETA, -1.0])


def test_hebbian_batch_step_sums_the_examples_steps():
    model = _model("hebbian_network")
    x, y = _data(6, seed=1)
    w0, b0 = model.get_layer("units").get_weights()
    t = 2.0 * np.eye(3)[y] - 1.0
    model.train_on_batch(x, y)  # one batch: the steps of all examples at the same weights
    w, b = model.get_layer("units").get_weights()
    np.testing.assert_allclose(w, w0 + ETA * x.reshape(6, -1).T @ t, atol=1e-5)
    np.testing.assert_allclose(b, b0 + ETA * t.sum(axis=0), atol=1e-5)


def test_perceptron_separates_separable_data():
    # Rosenblatt's convergence: on linearly separable data (a margin around a hyperplane) the
    # online rule stops making mistakes after finitely many steps.
    rng = np.random.default_rng(3)
    v = rng.normal(size=4)
    x = rng.normal(size=(200, 4))
    x = x[np.abs(x @ v) > 0.5 * np.linalg.norm(v)][:32]
    y = (x @ v > 0).astype(np.int64)
    x = x.reshape(-1, 2, 2, 1).astype(np.float32)
    keras.utils.set_random_seed(0)
    model = keras_zoo.models.get("perceptron", input_shape=(2, 2, 1), classes=2)
    model.compile(optimizer=keras.optimizers.SGD(ETA),
                  metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")])
    history = model.fit(x, y, batch_size=1, epochs=8, shuffle=False, verbose=0)
    assert history.history["loss"][-1] == 0.0  # an epoch without a mistake
    assert model.evaluate(x, y, verbose=0, return_dict=True)["accuracy"] == 1.0


def test_sample_weight_zero_freezes_the_step():
    model = _model("hebbian_network")
    x, y = _data(2)
    before = [w.copy() for w in model.get_weights()]
    model.train_on_batch(x, y, sample_weight=np.zeros(2, np.float32))
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)

"""Nadaraya-Watson regression: learning the kernel width improves on the fixed Gaussian."""

import keras
import numpy as np

from keras_zoo.models.sequence.nadaraya_watson import (
    NadarayaWatsonRegressor,
    d2l_regression_data,
    leave_one_out,
)


def test_learned_width_beats_the_fixed_kernel(graph_optimizer_off):
    keras.utils.set_random_seed(0)
    x_train, y_train, x_test, y_test = d2l_regression_data()
    inputs, targets = leave_one_out(x_train, y_train)
    model = NadarayaWatsonRegressor(1, len(x_train) - 1, initial_width=1.0)
    model.compile(keras.optimizers.Adam(0.1), "mse")

    test_inputs = {"queries": x_test[None], "keys": x_train[None], "values": y_train[None]}
    test_model = NadarayaWatsonRegressor(len(x_test), len(x_train))

    def test_mse():
        test_model.set_weights(model.get_weights())
        return float(np.mean((np.asarray(test_model(test_inputs))[0] - y_test) ** 2))

    before = test_mse()
    model.fit(inputs, targets, batch_size=len(x_train), epochs=60, verbose=0)
    after = test_mse()
    assert float(model.get_layer("attention").w.numpy()) > 1.5  # a sharper kernel
    assert after < before


def test_regression_examples_and_the_mean_predictor():
    from keras_zoo.models.sequence.nadaraya_watson import d2l_function, regression_examples

    x, y = regression_examples(64, 3, 20, seed=1, clean_targets=True)
    assert x["queries"].shape == (64, 3) and x["keys"].shape == (64, 20) and y.shape == (64, 3)
    np.testing.assert_allclose(y, d2l_function(x["queries"]), rtol=1e-5)
    noisy = x["values"] - d2l_function(x["keys"])
    assert 0.4 < noisy.std() < 0.6  # the documented noise, 0.5
    # The untrained estimator (w = 1) already beats predicting the mean.
    model = NadarayaWatsonRegressor(3, 20)
    mse = float(np.mean((np.asarray(model(x)) - y) ** 2))
    assert mse < float(np.var(y))

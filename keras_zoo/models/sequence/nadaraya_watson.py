"""Nadaraya-Watson kernel regression as the simplest attention model (Nadaraya 1964; Watson
1964; the attention reading of Zhang et al., Dive into Deep Learning, section 11.2): the
prediction at a query x is the average of the training targets y_i weighted by a softmax of the
(negative, scaled) squared distances between x and the training inputs x_i, with one learned
width w (``keras_zoo.layers.NadarayaWatson``).
"""

from __future__ import annotations

import keras
import numpy as np

from keras_zoo.layers.nadaraya_watson import NadarayaWatson
from keras_zoo.models.registry import register
from keras_zoo.models.sequence._common import check_int


def d2l_function(x):
    """The teaching function ``2 sin(x) + x^0.8`` (d2l section 11.2)."""
    return 2 * np.sin(x) + np.asarray(x) ** 0.8


def d2l_regression_data(n_train=50, n_test=50, noise=0.5, seed=0):
    """The teaching data set: ``y = 2 sin(x) + x^0.8 + noise`` on ``x in [0, 5)``.

    Returns ``(x_train, y_train, x_test, y_test_clean)`` (the test targets without noise).
    """
    check_int("d2l_regression_data", "n_train", n_train)
    check_int("d2l_regression_data", "n_test", n_test)
    rng = np.random.default_rng(seed)
    x_train = np.sort(rng.uniform(0, 5, n_train)).astype(np.float32)

    y_train = (d2l_function(x_train) + rng.normal(0, noise, n_train)).astype(np.float32)
    x_test = np.linspace(0, 5, n_test, endpoint=False).astype(np.float32)
    return x_train, y_train, x_test, d2l_function(x_test).astype(np.float32)


@keras.saving.register_keras_serializable(package="keras_zoo")
class NadarayaWatsonRegressor(keras.Model):
    """Inputs ``{"queries": [B, Q], "keys": [B, K], "values": [B, K]}`` (scalars per position);
    output the kernel-weighted averages ``[B, Q]``. Trained with MSE, the only weight is w.

    For training, the keys/values of each query are the *other* training points (leave-one-out),
    as in the d2l example, or the estimator would just copy y_i.

    Args:
        num_queries: Q; num_keys: K.
        initial_width: the starting w.
    """

    def __init__(self, num_queries, num_keys, initial_width=1.0, name=None, **kwargs):
        check_int("NadarayaWatsonRegressor", "num_queries", num_queries)
        check_int("NadarayaWatsonRegressor", "num_keys", num_keys)
        queries = keras.Input((num_queries,), name="queries")
        keys = keras.Input((num_keys,), name="keys")
        values = keras.Input((num_keys,), name="values")
        q = keras.layers.Reshape((num_queries, 1), name="queries_as_vectors")(queries)
        k = keras.layers.Reshape((num_keys, 1), name="keys_as_vectors")(keys)
        v = keras.layers.Reshape((num_keys, 1), name="values_as_vectors")(values)
        out = NadarayaWatson(initial_width=initial_width, name="attention")([q, v, k])
        out = keras.layers.Reshape((num_queries,), name="predictions")(out)
        super().__init__({"queries": queries, "keys": keys, "values": values}, out,
                         name=name or "nadaraya_watson", **kwargs)
        self._config = {"num_queries": num_queries, "num_keys": num_keys,
                        "initial_width": initial_width}

    def get_config(self):
        return {**self._config, "name": self.name}


def leave_one_out(x_train, y_train):
    """``(inputs, targets)``: each training point a query over all the others."""
    n = len(x_train)
    others = ~np.eye(n, dtype=bool)
    keys = np.stack([x_train[others[i]] for i in range(n)])
    values = np.stack([y_train[others[i]] for i in range(n)])
    return {"queries": x_train[:, None], "keys": keys, "values": values}, y_train[:, None]


def regression_examples(n, num_queries, num_keys, noise=0.5, seed=0, clean_targets=False):
    """``n`` independent regression problems on the d2l function, for ``NadarayaWatsonRegressor``:
    each draws ``num_keys + num_queries`` points ``x ~ U[0, 5)`` with noisy ``y``; the first
    ``num_keys`` are the keys/values, the others the queries, whose targets are their noisy y
    (or the clean ``f(x)``, to measure the estimator). Returns ``(inputs, targets [n, Q])``.
    """
    for arg, value in (("n", n), ("num_queries", num_queries), ("num_keys", num_keys)):
        check_int("regression_examples", arg, value)
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 5, (n, num_keys + num_queries)).astype(np.float32)
    y = (d2l_function(x) + rng.normal(0, noise, x.shape)).astype(np.float32)
    targets = d2l_function(x[:, num_keys:]) if clean_targets else y[:, num_keys:]
    return ({"queries": x[:, num_keys:], "keys": x[:, :num_keys], "values": y[:, :num_keys]},
            targets.astype(np.float32))


register("nadaraya_watson", task="kernel_regression", family="attention",
         tiny={"num_queries": 4, "num_keys": 16, "initial_width": 1.0},
         # d2l's example: each of 50 training points a query over the other 49.
         canonical={"num_queries": 1, "num_keys": 49, "initial_width": 1.0},
         data="d2l_regression", recipe="kernel_regression",
         paper="Nadaraya, On Estimating Regression, 1964; Watson, Smooth Regression Analysis, "
               "1964; as attention: Zhang et al., Dive into Deep Learning, section 11.2",
         notes="One weight, the kernel's inverse width w.")(NadarayaWatsonRegressor)

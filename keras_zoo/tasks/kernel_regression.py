"""Kernel regression (Nadaraya-Watson as attention): noisy samples of a 1-D function in, the
kernel-weighted estimate at the queries out."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from keras_zoo.tasks.base import ArraysTask

#: Examples per split when a recipe does not say.
_SPLIT_SIZES = {"train": 2000, "validation": 200, "test": 200}


def _shape(model, name):
    for tensor in model.inputs:
        if tensor.name == name:
            return int(tensor.shape[1])
    raise ValueError(f"{model.name}: a kernel regressor needs an input named {name!r}.")


class KernelRegressionTask(ArraysTask):
    """Inputs ``queries`` ``[B, Q]``, ``keys`` and ``values`` ``[B, K]`` (float32); output
    ``predictions`` ``[B, Q]``. Embedded data ``"d2l_regression"``: each example is its own
    draw of ``K + Q`` noisy points of ``2 sin(x) + x^0.8`` on ``[0, 5)``
    (``nadaraya_watson.regression_examples``); training targets are noisy, test targets clean.

    Learned: the MSE falls and ends below the mean predictor's (R^2 > 0).
    """

    name = "kernel_regression"
    data_names = ("d2l_regression",)

    def _arrays(self, model, entry, split, n=None, data=None):
        from keras_zoo.models.sequence.nadaraya_watson import regression_examples

        seed = {"train": 0, "validation": 1, "test": 2}[split]
        return regression_examples(n or _SPLIT_SIZES[split], _shape(model, "queries"),
                                   _shape(model, "keys"), seed=seed,
                                   clean_targets=split == "test")

    def compile(self, model, entry, learning_rate=1e-1, optimizer=None):
        import keras

        # One weight (the kernel width): a large step is safe and 8 battery steps move it.
        model.compile(optimizer=optimizer or keras.optimizers.Adam(learning_rate), loss="mse",
                      metrics=[keras.metrics.R2Score(name="r2")])

    def learned(self, history):
        losses = [float(v) for v in history.history["loss"]]
        r2 = float(history.history["r2"][-1])
        ok = bool(np.all(np.isfinite(losses))) and losses[-1] < losses[0] and r2 > 0
        return ok, f"mse {losses[0]:.4f} -> {losses[-1]:.4f}; R^2 {r2:.3f} (> 0: beats the mean)"

    def serving_fn(self, model):
        q, k = _shape(model, "queries"), _shape(model, "keys")

        @tf.function(input_signature=[tf.TensorSpec([None, q], tf.float32, name="queries"),
                                      tf.TensorSpec([None, k], tf.float32, name="keys"),
                                      tf.TensorSpec([None, k], tf.float32, name="values")])
        def serve(queries, keys, values):
            return {"predictions": model({"queries": queries, "keys": keys, "values": values},
                                         training=False)}

        return serve

    def int8_agreement(self, reference, quantized):
        a, b = np.asarray(reference["predictions"]), np.asarray(quantized["predictions"])
        return float(1.0 - np.mean(np.abs(a - b)) / max(float(np.ptp(a)), 1e-6))

    def int8_check(self, reference, quantized):
        a, b = np.asarray(reference["predictions"]), np.asarray(quantized["predictions"])
        error = float(np.mean(np.abs(a - b)))
        spread = float(np.ptp(a))
        return error <= 0.05 * spread, (f"mean |d prediction| {error:.4f} (<= 5% of the "
                                        f"predictions' range {spread:.3f})")

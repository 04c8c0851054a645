"""Lp pooling (Sermanet, Chintala & LeCun, ICPR 2012; Bruna, Szlam & LeCun, ICLR 2014)."""

import math

import keras
import numpy as np
from keras import ops

from keras_zoo.layers._pooling import check_pooling_input, pool_arguments, pooled_shape


def window_weights(pool_size, window, sigma):
    """The fixed weights ``w_j`` of one pooling window (they sum to 1)."""
    k_h, k_w = pool_size
    if window == "uniform":
        weights = np.ones((k_h, k_w))
    else:
        rows = np.arange(k_h) - (k_h - 1) / 2.0
        cols = np.arange(k_w) - (k_w - 1) / 2.0
        weights = np.exp(-(rows[:, None] ** 2 + cols[None, :] ** 2) / (2.0 * sigma ** 2))
    return (weights / weights.sum()).astype("float32")


@keras.saving.register_keras_serializable(package="keras_zoo")
class LpPooling2D(keras.layers.Layer):
    """Lp pooling: a weighted p-norm of each window.

    Sermanet, Chintala & LeCun, "Convolutional Neural Networks Applied to House Numbers Digit
    Classification", ICPR 2012, eq. 1 (and the notes' ``001``):

    ``y = (sum_j w_j |x_j|^p) ^ (1/p)``

    with fixed weights ``w_j`` summing to 1: "uniform" (``1/n``: p = 1 is average pooling of
    |x|, p -> inf tends to max pooling) or "gaussian" (the paper's Gaussian kernel G). "same"
    padding adds zeros, which count in the sum with their weight (the formula over a fixed
    window), unlike Keras' AveragePooling2D. The root of an all-zero window is 0, with a zero
    gradient (no inf).

    Args:
        p: the exponent, >= 1 (the paper's best: 2).
        pool_size: an int or a pair.
        strides: an int, a pair, or None (= pool_size).
        padding: "valid" or "same".
        window: "uniform" or "gaussian".
        sigma: the Gaussian's standard deviation in pixels (``window="gaussian"`` only).
    """

    def __init__(self, p=2.0, pool_size=2, strides=None, padding="valid", window="uniform",
                 sigma=1.0, **kwargs):
        super().__init__(**kwargs)
        if not (isinstance(p, (int, float)) and math.isfinite(p) and p >= 1.0):
            raise ValueError(f"LpPooling2D: p must be a finite number >= 1, got {p!r}.")
        if window not in ("uniform", "gaussian"):
            raise ValueError(f"LpPooling2D: window must be 'uniform' or 'gaussian', got "
                             f"{window!r}.")
        if not float(sigma) > 0.0:
            raise ValueError(f"LpPooling2D: sigma must be > 0, got {sigma!r}.")
        self.p = float(p)
        self.pool_size, self.strides, self.padding = pool_arguments(
            "LpPooling2D", pool_size, strides, padding)
        self.window = window
        self.sigma = float(sigma)

    def build(self, input_shape):
        check_pooling_input("LpPooling2D", input_shape, self.pool_size, self.padding)
        if input_shape[-1] is None:
            raise ValueError("LpPooling2D: the channels must be known.")
        weights = window_weights(self.pool_size, self.window, self.sigma)
        # The same window for every channel: a fixed depthwise kernel (TFLite DEPTHWISE_CONV_2D).
        self._kernel = np.repeat(weights[:, :, None, None], input_shape[-1], axis=2)

    def call(self, inputs):
        powered = ops.power(ops.abs(inputs), self.p)
        kernel = ops.convert_to_tensor(self._kernel, inputs.dtype)
        total = ops.depthwise_conv(powered, kernel, strides=self.strides, padding=self.padding)
        positive = total > 0
        safe = ops.where(positive, total, ops.ones_like(total))
        return ops.where(positive, ops.power(safe, 1.0 / self.p), ops.zeros_like(total))

    def compute_output_shape(self, input_shape):
        return pooled_shape(input_shape, self.pool_size, self.strides, self.padding)

    def get_config(self):
        return {**super().get_config(), "p": self.p, "pool_size": self.pool_size,
                "strides": self.strides, "padding": self.padding, "window": self.window,
                "sigma": self.sigma}

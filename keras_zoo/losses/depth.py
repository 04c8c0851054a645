"""The scale-invariant log loss of monocular depth (Eigen, Puhrsch & Fergus, "Depth Map
Prediction from a Single Image using a Multi-Scale Deep Network", NIPS 2014, eq. 4), over the
pixels with a valid ground truth (depth > 0; NYU's missing Kinect readings are 0)."""

from __future__ import annotations

import keras
from keras import ops

#: Depths below it are clamped before a logarithm (metres or the scene's units).
MIN_DEPTH = 1e-3


def valid_pixels(y_true, y_pred):
    """``(y_true, y_pred, valid)``: float32 maps of one shape (a trailing channel of 1
    dropped) and the mask of pixels with a ground truth (> 0)."""
    y_true = ops.cast(y_true, "float32")
    y_pred = ops.cast(y_pred, "float32")
    if len(y_pred.shape) == len(y_true.shape) + 1:
        y_pred = ops.squeeze(y_pred, -1)
    if len(y_true.shape) == len(y_pred.shape) + 1:
        y_true = ops.squeeze(y_true, -1)
    return y_true, y_pred, ops.cast(y_true > 0, "float32")


@keras.saving.register_keras_serializable(package="keras_zoo")
class ScaleInvariantLogLoss(keras.losses.Loss):
    """``L(y, y*) = 1/n sum_i d_i^2 - lambda/n^2 (sum_i d_i)^2`` with ``d_i = log y_i - log y*_i``
    over an image's n valid pixels (Eigen et al. 2014, eq. 4): lambda = 1 is fully scale
    invariant, 0 the plain squared log error; the paper trains with lambda = 0.5 ("the average
    of the two").

    Args:
        variance_weight: lambda.
        name: the loss's name.
    """

    def __init__(self, variance_weight=0.5, name="scale_invariant_log", **kwargs):
        super().__init__(name=name, **kwargs)
        if not 0.0 <= float(variance_weight) <= 1.0:
            raise ValueError(f"ScaleInvariantLogLoss: variance_weight must be in [0, 1], got "
                             f"{variance_weight!r}.")
        self.variance_weight = float(variance_weight)

    def call(self, y_true, y_pred):
        y_true, y_pred, valid = valid_pixels(y_true, y_pred)
        d = (ops.log(ops.maximum(y_pred, MIN_DEPTH)) -
             ops.log(ops.maximum(y_true, MIN_DEPTH))) * valid
        axes = tuple(range(1, len(d.shape)))
        n = ops.maximum(ops.sum(valid, axis=axes), 1.0)
        return (ops.sum(d * d, axis=axes) / n
                - self.variance_weight * ops.square(ops.sum(d, axis=axes)) / (n * n))

    def get_config(self):
        return {**super().get_config(), "variance_weight": self.variance_weight}

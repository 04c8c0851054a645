"""Monocular depth: the error measures of Eigen, Puhrsch & Fergus, "Depth Map Prediction from a
Single Image using a Multi-Scale Deep Network", NIPS 2014, section 4 (abs-rel, RMSE, threshold
delta < 1.25), over the pixels with a valid ground truth (depth > 0).
"""

from __future__ import annotations

import keras
from keras import ops

from keras_zoo.losses.depth import MIN_DEPTH, valid_pixels


class _PixelMean(keras.metrics.Metric):
    """A mean over valid pixels of ``_pixel(y_true, y_pred)``, accumulated over batches."""

    def __init__(self, name, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), initializer="zeros", name="total")
        self.count = self.add_variable((), initializer="zeros", name="count")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred, valid = valid_pixels(y_true, y_pred)
        value = self._pixel(ops.maximum(y_true, MIN_DEPTH), y_pred)
        self.total.assign_add(ops.sum(value * valid))
        self.count.assign_add(ops.sum(valid))

    def result(self):
        return ops.divide_no_nan(self.total, self.count)

    def reset_state(self):
        self.total.assign(0.0)
        self.count.assign(0.0)


@keras.saving.register_keras_serializable(package="keras_zoo")
class AbsRel(_PixelMean):
    """Absolute relative difference ``mean |y - y*| / y*`` (Eigen et al. 2014, section 4)."""

    def __init__(self, name="abs_rel", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def _pixel(self, y_true, y_pred):
        return ops.abs(y_pred - y_true) / y_true


@keras.saving.register_keras_serializable(package="keras_zoo")
class RootMeanSquaredError(_PixelMean):
    """RMSE (linear) ``sqrt(mean (y - y*)^2)`` over valid pixels (Eigen et al. 2014)."""

    def __init__(self, name="rmse", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def _pixel(self, y_true, y_pred):
        return ops.square(y_pred - y_true)

    def result(self):
        return ops.sqrt(super().result())


@keras.saving.register_keras_serializable(package="keras_zoo")
class DeltaAccuracy(_PixelMean):
    """Threshold accuracy: the share of pixels with ``max(y/y*, y*/y) < threshold``
    (Eigen et al. 2014: thresholds 1.25, 1.25^2, 1.25^3).

    Args:
        threshold: 1.25 by default.
        name: defaults to ``delta1`` for 1.25.
    """

    def __init__(self, threshold=1.25, name=None, dtype=None):
        super().__init__(name=name or ("delta1" if threshold == 1.25 else
                                       f"delta_{threshold:g}"), dtype=dtype)
        self.threshold = float(threshold)

    def _pixel(self, y_true, y_pred):
        y_pred = ops.maximum(y_pred, MIN_DEPTH)
        ratio = ops.maximum(y_pred / y_true, y_true / y_pred)
        return ops.cast(ratio < self.threshold, "float32")

    def get_config(self):
        return {**super().get_config(), "threshold": self.threshold}


def depth_metrics():
    """The metrics a depth model compiles with."""
    return [AbsRel(), RootMeanSquaredError(), DeltaAccuracy(1.25)]

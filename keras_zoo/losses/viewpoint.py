"""The geometry-aware viewpoint classification loss of Render-for-CNN (Su, Qi, Li & Guibas,
ICCV 2015, section 4.2, eq. 1)."""

from __future__ import annotations

import keras
import tensorflow as tf


def angle_bins(angles, bins):
    """The bin (0..bins-1) of each angle in degrees; bin ``b`` covers
    ``[b, b + 1) * 360 / bins`` (angles taken modulo 360)."""
    wrapped = tf.math.floormod(tf.cast(angles, tf.float32), 360.0)
    return tf.minimum(tf.cast(tf.floor(wrapped * bins / 360.0), tf.int32), bins - 1)


def bin_centers(bins):
    """The angle in degrees at the centre of each bin ``[bins]``."""
    return (tf.range(bins, dtype=tf.float32) + 0.5) * (360.0 / bins)


def circular_difference(a, b):
    """|a - b| on the circle, in degrees, in [0, 180]."""
    d = tf.math.floormod(tf.cast(a, tf.float32) - tf.cast(b, tf.float32), 360.0)
    return tf.minimum(d, 360.0 - d)


@keras.saving.register_keras_serializable(package="keras_zoo")
class GeometryAwareViewpointLoss(keras.losses.Loss):
    """``L = -sum_angles sum_v exp(-d(v, v_s) / sigma) log P_v`` (Su et al. 2015, eq. 1).

    Each of the angles (azimuth, elevation, in-plane rotation) is classified into ``bins``
    bins; the true bin ``v_s`` and its neighbours are all rewarded, with weights falling as
    ``exp(-d / sigma)`` in the circular distance ``d`` between bins (in bins, as the paper's
    360 one-degree bins make degrees and bins one unit; sigma = 3). The weights are not
    normalised, as in the equation. ``y_true``: the angles in degrees ``[B, A]``;
    ``y_pred``: logits ``[B, A, bins]``; the loss is summed over the angles.

    Args:
        bins: bins per angle (the paper's 360).
        sigma: the width of the weights, in bins (the paper's 3).
        name, reduction: as in ``keras.losses.Loss``.
    """

    def __init__(self, bins=360, sigma=3.0, name="geometry_aware_viewpoint",
                 reduction="sum_over_batch_size"):
        super().__init__(name=name, reduction=reduction)
        if not isinstance(bins, int) or bins < 2:
            raise ValueError(f"GeometryAwareViewpointLoss: bins must be an int >= 2, got "
                             f"{bins!r}.")
        if not float(sigma) > 0:
            raise ValueError(f"GeometryAwareViewpointLoss: sigma must be > 0, got {sigma!r}.")
        self.bins = bins
        self.sigma = float(sigma)

    def weights(self, angles):
        """``exp(-d(v, v_s) / sigma)`` for every bin v: ``[B, A, bins]``."""
        true_bin = angle_bins(angles, self.bins)[..., None]
        d = tf.abs(tf.range(self.bins)[None, None, :] - true_bin)
        d = tf.cast(tf.minimum(d, self.bins - d), tf.float32)
        return tf.exp(-d / self.sigma)

    def call(self, y_true, y_pred):
        log_p = tf.nn.log_softmax(tf.cast(y_pred, tf.float32), axis=-1)
        return -tf.reduce_sum(self.weights(y_true) * log_p, axis=[-2, -1])

    def get_config(self):
        return {**super().get_config(), "bins": self.bins, "sigma": self.sigma}

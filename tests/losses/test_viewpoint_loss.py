"""The geometry-aware viewpoint loss (Su et al. 2015, eq. 1) against NumPy."""

import numpy as np
import pytest

from keras_zoo.losses.viewpoint import GeometryAwareViewpointLoss, angle_bins


def _reference(angles, logits, bins, sigma):
    log_p = logits - logits.max(-1, keepdims=True)
    log_p = log_p - np.log(np.exp(log_p).sum(-1, keepdims=True))
    total = np.zeros(len(angles))
    for i in range(len(angles)):
        for a in range(angles.shape[1]):
            true_bin = int(np.floor(np.mod(angles[i, a], 360) / (360 / bins)))
            for v in range(bins):
                d = min(abs(v - true_bin), bins - abs(v - true_bin))  # circular, in bins
                total[i] -= np.exp(-d / sigma) * log_p[i, a, v]
    return total.mean()


def test_loss_equals_eq1():
    rng = np.random.default_rng(0)
    angles = np.stack([rng.uniform(0, 360, 5), rng.uniform(-30, 60, 5),
                       rng.uniform(-20, 20, 5)], -1).astype(np.float32)
    logits = rng.normal(size=(5, 3, 12)).astype(np.float32) * 2
    loss = GeometryAwareViewpointLoss(bins=12, sigma=1.5)
    np.testing.assert_allclose(float(loss(angles, logits)), _reference(angles, logits, 12, 1.5),
                               rtol=1e-5)


def test_weights_wrap_around_the_circle_and_negative_angles_bin_modulo_360():
    loss = GeometryAwareViewpointLoss(bins=36, sigma=3.0)
    w = np.asarray(loss.weights(np.array([[355.0]], np.float32)))[0, 0]
    assert w[35] == 1.0
    np.testing.assert_allclose([w[0], w[34], w[1]], np.exp([-1 / 3, -1 / 3, -2 / 3]), rtol=1e-6)
    np.testing.assert_array_equal(np.asarray(angle_bins(np.array([-5.0, 0.0, 360.0, 725.0]),
                                                        36)), [35, 0, 0, 0])


def test_nearby_bins_cost_less_than_far_ones():
    # The point of the geometry-aware loss: a confident prediction one bin off costs less than
    # one half a circle off; plain cross-entropy would charge both the same.
    loss = GeometryAwareViewpointLoss(bins=36, sigma=3.0)
    truth = np.array([[100.0]], np.float32)

    def confident(b):
        logits = np.full((1, 1, 36), -8.0, np.float32)
        logits[0, 0, b] = 8.0
        return logits

    assert float(loss(truth, confident(11))) < float(loss(truth, confident(28)))


def test_bad_arguments():
    with pytest.raises(ValueError, match="bins"):
        GeometryAwareViewpointLoss(bins=1)
    with pytest.raises(ValueError, match="sigma"):
        GeometryAwareViewpointLoss(bins=36, sigma=0)

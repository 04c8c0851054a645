"""Metric-learning losses against NumPy loops written from the papers' formulas."""

import itertools

import numpy as np
import pytest
import tensorflow as tf

from keras_zoo.losses import (
    ContrastiveLoss,
    NTXentLoss,
    TripletLoss,
    contrastive_loss,
    info_nce,
    nt_xent,
    pairwise_distances,
    triplet_loss,
)


def _dist(a, b):
    return float(np.sqrt(np.sum((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2)))


def contrastive_reference(labels, z, margin):
    # Hadsell et al. 2006, eq. 4, over the pairs i < j.
    losses = []
    for i, j in itertools.combinations(range(len(labels)), 2):
        d = _dist(z[i], z[j])
        losses.append(0.5 * d * d if labels[i] == labels[j] else 0.5 * max(0.0, margin - d) ** 2)
    return float(np.mean(losses)) if losses else 0.0


def triplet_reference(labels, z, margin, mining):
    n = len(labels)
    d = np.array([[_dist(z[i], z[j]) for j in range(n)] for i in range(n)])
    pos = [[j for j in range(n) if j != a and labels[j] == labels[a]] for a in range(n)]
    neg = [[j for j in range(n) if labels[j] != labels[a]] for a in range(n)]
    losses = []
    if mining == "batch_all":
        for a in range(n):
            for p in pos[a]:
                for q in neg[a]:
                    loss = d[a, p] - d[a, q] + margin
                    if loss > 0:
                        losses.append(loss)
    elif mining == "batch_hard":
        for a in range(n):
            if pos[a] and neg[a]:
                losses.append(max(0.0, max(d[a, pos[a]]) - min(d[a, neg[a]]) + margin))
    else:  # Schroff et al.: d(a,p) < d(a,n) < d(a,p) + margin
        for a in range(n):
            if not neg[a]:
                continue
            for p in pos[a]:
                semi = [q for q in neg[a] if d[a, p] < d[a, q] < d[a, p] + margin]
                q = min(semi, key=lambda k: d[a, k]) if semi else max(neg[a], key=lambda k: d[a, k])
                losses.append(max(0.0, d[a, p] - d[a, q] + margin))
    return float(np.mean(losses)) if losses else 0.0


def nt_xent_reference(za, zb, tau):
    z = np.concatenate([za, zb]).astype(np.float64)
    z /= np.linalg.norm(z, axis=1, keepdims=True)
    n = len(za)
    total = 0.0
    for i in range(2 * n):
        j = (i + n) % (2 * n)
        denominator = sum(np.exp(z[i] @ z[k] / tau) for k in range(2 * n) if k != i)
        total += -np.log(np.exp(z[i] @ z[j] / tau) / denominator)
    return total / (2 * n)


@pytest.fixture
def batch():
    rng = np.random.default_rng(3)
    labels = np.array([0, 0, 1, 1, 1, 2, 3, 2], np.int32)
    return labels, rng.normal(size=(8, 5)).astype(np.float32) * 0.6


def test_pairwise_distances(batch):
    _, z = batch
    d = pairwise_distances(z).numpy()
    expected = np.array([[_dist(a, b) for b in z] for a in z])
    np.testing.assert_allclose(d, expected, atol=1e-5)
    assert np.all(np.diag(d) == 0)


@pytest.mark.parametrize("margin", [0.5, 2.0])
def test_contrastive_against_reference(batch, margin):
    labels, z = batch
    expected = contrastive_reference(labels, z, margin)
    assert float(contrastive_loss(labels, z, margin)) == pytest.approx(expected, rel=1e-5)
    assert float(ContrastiveLoss(margin)(labels, z)) == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("mining", ["batch_all", "batch_hard", "semi_hard"])
@pytest.mark.parametrize("margin", [0.3, 1.5])
def test_triplet_against_reference(batch, mining, margin):
    labels, z = batch
    expected = triplet_reference(labels, z, margin, mining)
    assert expected > 0
    assert float(triplet_loss(labels, z, margin, mining)) == pytest.approx(expected, rel=1e-5)
    assert float(TripletLoss(margin, mining)(labels, z)) == pytest.approx(expected, rel=1e-5)


def test_semi_hard_picks_the_closest_semi_hard_negative():
    # a=0 and p=1 at distance 1; negatives at 0.5 (hard), 1.2 and 1.4 (semi-hard), 3 (easy).
    z = np.array([[0.0], [1.0], [0.5], [1.2], [1.4], [3.0]], np.float32)
    labels = np.array([0, 0, 1, 2, 3, 4])
    d = triplet_loss(labels[:2].tolist() + labels[2:].tolist(), z, margin=0.5, mining="semi_hard")
    # For (a=0, p=1): closest semi-hard n=3 (1.2): 1 - 1.2 + 0.5 = 0.3.
    # For (a=1, p=0): distances from 1: 0.5, 0.2, 0.4, 2.0 -> semi-hard (1, 1.5): none; the
    # farthest negative, 2.0: max(0, 1 - 2 + 0.5) = 0.
    assert float(d) == pytest.approx(0.15, abs=1e-6)


def test_no_positive_is_zero_not_nan():
    z = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    labels = np.array([0, 1, 2, 3])
    for mining in ("batch_all", "batch_hard", "semi_hard"):
        value = float(triplet_loss(labels, z, 0.2, mining))
        assert value == 0.0
    assert float(contrastive_loss(labels, z, 1.0)) == pytest.approx(
        contrastive_reference(labels, z, 1.0))
    assert float(contrastive_loss([0], z[:1])) == 0.0  # no pair at all
    assert np.isfinite(float(nt_xent(z[:1], z[1:2], 0.5)))
    assert float(nt_xent(z[:1], z[1:2], 0.5)) == pytest.approx(0.0, abs=1e-6)


def test_loss_gradients_are_finite_with_duplicate_embeddings():
    z = tf.Variable(np.zeros((4, 3), np.float32))
    with tf.GradientTape() as tape:
        loss = triplet_loss([0, 0, 1, 1], z, 0.2, "batch_hard") + contrastive_loss([0, 0, 1, 1], z)
    grad = tape.gradient(loss, z).numpy()
    assert np.all(np.isfinite(grad))


def test_single_class_batch_is_an_error():
    z = np.ones((4, 2), np.float32)
    with pytest.raises(ValueError, match="y_true holds a single class"):
        triplet_loss([1, 1, 1, 1], z)
    with pytest.raises(ValueError, match="single class"):
        TripletLoss()(np.array([2, 2]), z[:2])

    @tf.function
    def graph(labels):
        return triplet_loss(labels, z)

    with pytest.raises(tf.errors.InvalidArgumentError, match="single class"):
        graph(tf.constant([3, 3, 3, 3]))


def test_nt_xent_against_reference():
    rng = np.random.default_rng(1)
    za, zb = rng.normal(size=(5, 4)), rng.normal(size=(5, 4))
    for tau in (0.1, 0.5, 1.0):
        expected = nt_xent_reference(za, zb, tau)
        assert float(nt_xent(za, zb, tau)) == pytest.approx(expected, rel=1e-5)
        stacked = np.concatenate([za, zb]).astype(np.float32)
        assert float(NTXentLoss(tau)(np.zeros(10), stacked)) == pytest.approx(expected, rel=1e-5)


def test_info_nce_against_reference():
    rng = np.random.default_rng(2)
    q, k = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    qn = q / np.linalg.norm(q, axis=1, keepdims=True)
    kn = k / np.linalg.norm(k, axis=1, keepdims=True)
    logits = qn @ kn.T / 0.2
    expected = np.mean([-logits[i, i] + np.log(np.exp(logits[i]).sum()) for i in range(6)])
    assert float(info_nce(q, k, 0.2)) == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("tau", [0, -0.5, 0.0])
def test_temperature_must_be_positive(tau):
    with pytest.raises(ValueError, match="temperature must be a number > 0"):
        NTXentLoss(tau)
    with pytest.raises(ValueError, match="temperature"):
        nt_xent(np.ones((2, 2)), np.ones((2, 2)), tau)
    with pytest.raises(ValueError, match="temperature"):
        info_nce(np.ones((2, 2)), np.ones((2, 2)), tau)


def test_bad_options():
    with pytest.raises(ValueError, match="mining must be one of"):
        TripletLoss(mining="hardest")
    with pytest.raises(ValueError, match="margin"):
        ContrastiveLoss(margin=0)


def test_losses_serialise():
    import keras

    for loss in (ContrastiveLoss(0.7), TripletLoss(0.3, "batch_hard"), NTXentLoss(0.2)):
        clone = keras.losses.deserialize(keras.losses.serialize(loss))
        assert clone.get_config() == loss.get_config()

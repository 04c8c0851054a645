"""Metric-learning losses over the embeddings of one batch.

Every loss takes ``y_true`` = integer class labels ``[B]`` and ``y_pred`` = embeddings ``[B, D]``
and forms its pairs or triplets inside the batch (online mining), so a plain ``model.fit`` on
``(images, labels)`` trains with it. A batch in which no valid pair or triplet exists gives a
loss of 0 (never NaN): such a batch carries no signal, and averaging over nothing is undefined.
"""

from __future__ import annotations

import keras
import tensorflow as tf

#: Triplet mining strategies: every valid triplet (Hermans et al. 2017's batch-all), the hardest
#: positive and negative per anchor (batch-hard), or Schroff et al. 2015's semi-hard negatives.
MINING = ("batch_all", "batch_hard", "semi_hard")
_EPSILON = 1e-12


def pairwise_distances(embeddings, squared=False):
    """Euclidean distances ``[B, B]`` between the rows of ``embeddings`` ``[B, D]``.

    The square root's gradient is infinite at 0 (every diagonal entry): distances are taken as
    sqrt(max(d^2, eps)) and the diagonal is set to exactly 0 afterwards.
    """
    embeddings = tf.cast(embeddings, tf.float32)
    dot = tf.matmul(embeddings, embeddings, transpose_b=True)
    norms = tf.linalg.diag_part(dot)
    squared_d = tf.maximum(norms[:, None] - 2.0 * dot + norms[None, :], 0.0)
    if squared:
        distances = squared_d
    else:
        distances = tf.sqrt(tf.maximum(squared_d, _EPSILON))
    return distances * (1.0 - tf.eye(tf.shape(embeddings)[0]))


def _label_masks(labels):
    """``(positive [B,B], negative [B,B])``: same label (anchor excluded), other label."""
    labels = tf.reshape(tf.cast(labels, tf.int32), [-1])
    same = tf.equal(labels[:, None], labels[None, :])
    not_self = tf.logical_not(tf.eye(tf.shape(labels)[0], dtype=tf.bool))
    return tf.logical_and(same, not_self), tf.logical_not(same)


def _safe_mean(values, mask):
    """Mean of ``values`` where ``mask``; 0 when the mask is empty."""
    mask = tf.cast(mask, values.dtype)
    return tf.math.divide_no_nan(tf.reduce_sum(values * mask), tf.reduce_sum(mask))


def contrastive_loss(labels, embeddings, margin=1.0):
    """Hadsell, Chopra & LeCun 2006 (DrLIM), eq. 4, over every pair i < j of the batch.

    L = Y * D^2 / 2 + (1 - Y) * max(0, m - D)^2 / 2 with Y = 1 for a similar pair (same label)
    and D the Euclidean distance. (The paper writes Y = 0 for similar pairs; the loss is the
    same.) A batch of fewer than two examples has no pair: 0.
    """
    positive, negative = _label_masks(labels)
    d = pairwise_distances(embeddings)
    per_pair = tf.where(positive, 0.5 * tf.square(d),
                        0.5 * tf.square(tf.maximum(margin - d, 0.0)))
    upper = tf.linalg.band_part(tf.ones_like(d), 0, -1) - tf.eye(tf.shape(d)[0])
    pairs = tf.logical_and(tf.logical_or(positive, negative), upper > 0)
    return _safe_mean(per_pair, pairs)


def _check_several_classes(labels, loss_name):
    """A single-class batch has no negative for any anchor: an error, not a silent 0."""
    labels = tf.reshape(tf.cast(labels, tf.int32), [-1])
    several = tf.logical_or(tf.size(labels) < 2,
                            tf.reduce_any(tf.not_equal(labels, labels[0:1])))
    message = (f"{loss_name}: y_true holds a single class in this batch, so no anchor has a "
               "negative; draw batches of at least two classes (e.g. P classes x K examples).")
    if tf.executing_eagerly():
        if not bool(several):
            raise ValueError(message)
        return []
    return [tf.debugging.Assert(several, [message])]


def triplet_loss(labels, embeddings, margin=1.0, mining="semi_hard"):
    """Triplet loss max(0, d(a,p) - d(a,n) + margin) (Schroff, Kalenichenko & Philbin 2015,
    eq. 1, with Euclidean rather than squared distances), mined online in the batch.

    Args:
        labels: ``[B]`` integer classes; a single-class batch is an error.
        embeddings: ``[B, D]``.
        margin: alpha, > 0.
        mining: ``"batch_all"``: mean over the valid triplets whose loss is positive
            (Hermans, Beyer & Leibe 2017: averaging in the zero ones dilutes the signal);
            ``"batch_hard"``: per anchor the farthest positive and the closest negative
            (Hermans et al.), mean over anchors that have both;
            ``"semi_hard"``: per (anchor, positive) pair the closest negative with
            d(a,p) < d(a,n) < d(a,p) + margin (Schroff et al., section 3.2); where no
            negative is semi-hard, the farthest negative (its loss is 0 if every negative is
            easy, positive if every negative is hard), as TF-Addons and FaceNet's code do.
    """
    if mining not in MINING:
        raise ValueError(f"triplet_loss: mining must be one of {MINING}, got {mining!r}.")
    if margin <= 0:
        raise ValueError(f"triplet_loss: margin must be > 0, got {margin!r}.")
    with tf.control_dependencies(_check_several_classes(labels, "triplet_loss")):
        d = tf.identity(pairwise_distances(embeddings))
    positive, negative = _label_masks(labels)
    big = tf.reduce_max(d) + margin + 1.0
    if mining == "batch_hard":
        hardest_p = tf.reduce_max(tf.where(positive, d, 0.0), axis=1)
        hardest_n = tf.reduce_min(tf.where(negative, d, big), axis=1)
        valid = tf.logical_and(tf.reduce_any(positive, 1), tf.reduce_any(negative, 1))
        return _safe_mean(tf.maximum(hardest_p - hardest_n + margin, 0.0), valid)
    d_ap = d[:, :, None]   # [a, p, 1]
    d_an = d[:, None, :]   # [a, 1, n]
    valid = tf.logical_and(positive[:, :, None], negative[:, None, :])
    if mining == "batch_all":
        losses = tf.maximum(d_ap - d_an + margin, 0.0)
        return _safe_mean(losses, tf.logical_and(valid, losses > 0))
    semi_hard = tf.logical_and(valid, tf.logical_and(d_an > d_ap, d_an < d_ap + margin))
    closest_semi_hard = tf.reduce_min(tf.where(semi_hard, d_an, big), axis=2)
    farthest = tf.reduce_max(tf.where(valid, d_an, -1.0), axis=2)
    chosen = tf.where(tf.reduce_any(semi_hard, axis=2), closest_semi_hard, farthest)
    pair_valid = tf.logical_and(positive, tf.reduce_any(negative, axis=1)[:, None])
    return _safe_mean(tf.maximum(d - chosen + margin, 0.0), pair_valid)


def _check_temperature(temperature, name):
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) \
            or not temperature > 0:
        raise ValueError(f"{name}: temperature must be a number > 0, got {temperature!r}.")


def info_nce(queries, keys, temperature=0.1):
    """InfoNCE (van den Oord et al. 2018): -log softmax(q_i . k_j / tau)_i over the keys of the
    batch, key i the positive of query i, every other key a negative; mean over queries. Both
    are L2-normalised first (cosine similarity)."""
    _check_temperature(temperature, "info_nce")
    q = tf.math.l2_normalize(tf.cast(queries, tf.float32), axis=-1)
    k = tf.math.l2_normalize(tf.cast(keys, tf.float32), axis=-1)
    logits = tf.matmul(q, k, transpose_b=True) / temperature
    labels = tf.range(tf.shape(q)[0])
    return tf.reduce_mean(
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))


def nt_xent(z_a, z_b, temperature=0.5):
    """NT-Xent (Chen et al. 2020, SimCLR, section 2.1, eq. 1) for two views ``[N, D]`` each.

    For each of the 2N projections, l(i, j) = -log exp(sim(z_i, z_j)/tau) /
    sum_{k != i} exp(sim(z_i, z_k)/tau), with j its other view and sim the cosine; the loss is
    the mean over all 2N. With N = 1 the positive is the only term of the sum: 0.
    """
    _check_temperature(temperature, "nt_xent")
    z = tf.math.l2_normalize(tf.concat([tf.cast(z_a, tf.float32), tf.cast(z_b, tf.float32)], 0),
                             axis=-1)
    n = tf.shape(z_a)[0]
    logits = tf.matmul(z, z, transpose_b=True) / temperature
    # Excluding k = i: a large negative, not -inf, so that softmax stays finite.
    logits = logits - 1e9 * tf.eye(2 * n)
    targets = tf.concat([tf.range(n, 2 * n), tf.range(0, n)], axis=0)
    return tf.reduce_mean(
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=targets, logits=logits))


@keras.saving.register_keras_serializable(package="keras_zoo")
class ContrastiveLoss(keras.losses.Loss):
    """``contrastive_loss`` as a Keras loss: y_true labels ``[B]``, y_pred embeddings ``[B, D]``.

    Args:
        margin: m, the distance beyond which a dissimilar pair costs nothing (> 0).
        name: the loss name.
    """

    def __init__(self, margin=1.0, name="contrastive_loss", **kwargs):
        super().__init__(name=name, reduction="none", **kwargs)
        if margin <= 0:
            raise ValueError(f"ContrastiveLoss: margin must be > 0, got {margin!r}.")
        self.margin = float(margin)

    def call(self, y_true, y_pred):
        return contrastive_loss(y_true, y_pred, self.margin)

    def get_config(self):
        return {"name": self.name, "margin": self.margin}


@keras.saving.register_keras_serializable(package="keras_zoo")
class TripletLoss(keras.losses.Loss):
    """``triplet_loss`` as a Keras loss: y_true labels ``[B]``, y_pred embeddings ``[B, D]``.

    Args:
        margin: alpha (> 0).
        mining: one of ``MINING``.
        name: the loss name.
    """

    def __init__(self, margin=1.0, mining="semi_hard", name="triplet_loss", **kwargs):
        super().__init__(name=name, reduction="none", **kwargs)
        if mining not in MINING:
            raise ValueError(f"TripletLoss: mining must be one of {MINING}, got {mining!r}.")
        if margin <= 0:
            raise ValueError(f"TripletLoss: margin must be > 0, got {margin!r}.")
        self.margin = float(margin)
        self.mining = mining

    def call(self, y_true, y_pred):
        return triplet_loss(y_true, y_pred, self.margin, self.mining)

    def get_config(self):
        return {"name": self.name, "margin": self.margin, "mining": self.mining}


@keras.saving.register_keras_serializable(package="keras_zoo")
class NTXentLoss(keras.losses.Loss):
    """``nt_xent`` as a Keras loss: y_pred is the two views stacked, ``[2N, D]`` (view a's N
    rows, then view b's); y_true is ignored (the pairing is the label).

    Args:
        temperature: tau (> 0; the paper's best is 0.1-0.5 depending on the batch size).
        name: the loss name.
    """

    def __init__(self, temperature=0.5, name="nt_xent", **kwargs):
        super().__init__(name=name, reduction="none", **kwargs)
        _check_temperature(temperature, "NTXentLoss")
        self.temperature = float(temperature)

    def call(self, y_true, y_pred):
        z_a, z_b = tf.split(y_pred, 2, axis=0)
        return nt_xent(z_a, z_b, self.temperature)

    def get_config(self):
        return {"name": self.name, "temperature": self.temperature}

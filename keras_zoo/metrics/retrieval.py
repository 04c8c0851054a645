"""Ranking and retrieval quality: DCG, NDCG, recall@k and mean average precision at R.

The functions work on arrays or tensors (TensorFlow ops, so they also run inside a metric's
``update_state``); the Keras metrics accumulate them over batches. Retrieval is leave-one-out:
every example is a query, the others are the gallery, ranked by cosine similarity, and a
gallery item is relevant when it has the query's label.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf


def _check_k(k, name):
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"{name}: k must be a positive int, got {k!r}.")


def _discounts(n):
    # 1 / log2(i + 1) for ranks i = 1..n.
    return 1.0 / (tf.math.log(tf.range(2, n + 2, dtype=tf.float32)) / tf.math.log(2.0))


def dcg(relevance, k=None):
    """DCG@k = sum_{i=1..k} rel_i / log2(i + 1) (Jarvelin & Kekalainen 2002) of graded
    relevances already in ranked order, ``[..., N]``; returns ``[...]``."""
    rel = tf.cast(relevance, tf.float32)
    n = tf.shape(rel)[-1]
    if k is not None:
        _check_k(k, "dcg")
        n = tf.minimum(n, k)
        rel = rel[..., :n]
    return tf.reduce_sum(rel * _discounts(n), axis=-1)


def ndcg(relevance, scores, k=None):
    """NDCG@k: the DCG of the items ranked by ``scores`` over the DCG of the ideal ranking.

    Args:
        relevance: ``[Q, N]`` graded relevance of each item for each query.
        scores: ``[Q, N]`` the ranking scores (higher first).
        k: cut-off (None: all N).
    Returns ``[Q]``; a query with no relevant item scores 0 (its ideal DCG is 0).
    """
    rel = tf.cast(relevance, tf.float32)
    order = tf.argsort(tf.cast(scores, tf.float32), axis=-1, direction="DESCENDING", stable=True)
    ranked = tf.gather(rel, order, batch_dims=1)
    ideal = tf.sort(rel, axis=-1, direction="DESCENDING")
    return tf.math.divide_no_nan(dcg(ranked, k), dcg(ideal, k))


def _leave_one_out(embeddings, labels):
    """``(similarity [B,B] with -inf on the diagonal, relevant [B,B] bool)``."""
    z = tf.math.l2_normalize(tf.cast(embeddings, tf.float32), axis=-1)
    labels = tf.reshape(tf.cast(labels, tf.int32), [-1])
    n = tf.shape(z)[0]
    eye = tf.eye(n, dtype=tf.bool)
    sim = tf.where(eye, tf.fill([n, n], -np.inf), tf.matmul(z, z, transpose_b=True))
    relevant = tf.logical_and(tf.equal(labels[:, None], labels[None, :]), tf.logical_not(eye))
    return sim, relevant


def _ranked_relevance(embeddings, labels):
    sim, relevant = _leave_one_out(embeddings, labels)
    order = tf.argsort(sim, axis=-1, direction="DESCENDING", stable=True)
    ranked = tf.cast(tf.gather(relevant, order, batch_dims=1), tf.float32)
    # The query itself ranks last (-inf similarity): drop it from the list.
    return ranked[:, :-1], tf.reduce_sum(tf.cast(relevant, tf.float32), axis=-1)


def recall_at_k_per_query(embeddings, labels, k=1):
    """``(hits [B], has_positive [B])``: whether a same-label item is among each query's k
    nearest neighbours (Song et al. 2016's Recall@K), and whether the query has one at all."""
    _check_k(k, "recall_at_k")
    ranked, positives = _ranked_relevance(embeddings, labels)
    hits = tf.cast(tf.reduce_any(ranked[:, :k] > 0, axis=-1), tf.float32)
    return hits, positives > 0


def map_at_r_per_query(embeddings, labels):
    """``(AP@R [B], has_positive [B])``: Musgrave, Belongie & Lim 2020's MAP@R, R the number of
    same-label items of the query: (1/R) sum_{i=1..R} P(i) rel(i)."""
    ranked, r = _ranked_relevance(embeddings, labels)
    m = tf.shape(ranked)[-1]
    ranks = tf.range(1, m + 1, dtype=tf.float32)
    precision = tf.cumsum(ranked, axis=-1) / ranks
    within_r = tf.cast(ranks[None, :] <= r[:, None], tf.float32)
    ap = tf.math.divide_no_nan(tf.reduce_sum(precision * ranked * within_r, axis=-1), r)
    return ap, r > 0


def ndcg_at_k_per_query(embeddings, labels, k=10):
    """NDCG@k of each leave-one-out query with binary relevance (same label)."""
    _check_k(k, "ndcg_at_k")
    sim, relevant = _leave_one_out(embeddings, labels)
    n = tf.shape(sim)[0]
    # The query itself is irrelevant and ranked last: it changes neither DCG nor the ideal.
    sim = tf.where(tf.eye(n, dtype=tf.bool), tf.fill([n, n], -1e9), sim)
    return ndcg(tf.cast(relevant, tf.float32), sim, k), tf.reduce_any(relevant, axis=-1)


def _masked_mean(values, mask):
    values, mask = np.asarray(values, np.float64), np.asarray(mask, bool)
    return float(values[mask].mean()) if mask.any() else 0.0


def recall_at_k(embeddings, labels, k=1) -> float:
    """Recall@k over the queries that have a same-label item (0 if none has)."""
    return _masked_mean(*recall_at_k_per_query(embeddings, labels, k))


def map_at_r(embeddings, labels) -> float:
    """MAP@R over the queries that have a same-label item (0 if none has)."""
    return _masked_mean(*map_at_r_per_query(embeddings, labels))


def ndcg_at_k(embeddings, labels, k=10) -> float:
    """Mean leave-one-out NDCG@k over the queries that have a same-label item."""
    return _masked_mean(*ndcg_at_k_per_query(embeddings, labels, k))


def retrieval_report(embeddings, labels, ks=(1, 5), ndcg_k=10) -> dict:
    """``{"recall@1": ..., "recall@5": ..., "ndcg@10": ..., "map@r": ...}`` of held-out
    embeddings."""
    report = {f"recall@{k}": recall_at_k(embeddings, labels, k) for k in ks}
    report[f"ndcg@{ndcg_k}"] = ndcg_at_k(embeddings, labels, ndcg_k)
    report["map@r"] = map_at_r(embeddings, labels)
    return report


class _QueryMean(keras.metrics.Metric):
    """Mean of a per-query figure over the valid queries of every batch seen."""

    def __init__(self, name, **kwargs):
        super().__init__(name=name, **kwargs)
        self.total = self.add_variable((), initializer="zeros", name="total")
        self.count = self.add_variable((), initializer="zeros", name="count")

    def per_query(self, y_true, y_pred):
        raise NotImplementedError

    def update_state(self, y_true, y_pred, sample_weight=None):
        if sample_weight is not None:
            raise ValueError(f"{self.name}: sample_weight is not supported.")
        values, valid = self.per_query(y_true, y_pred)
        valid = tf.cast(valid, tf.float32)
        self.total.assign_add(tf.reduce_sum(values * valid))
        self.count.assign_add(tf.reduce_sum(valid))

    def result(self):
        return tf.math.divide_no_nan(self.total, self.count)

    def reset_state(self):
        self.total.assign(0.0)
        self.count.assign(0.0)


@keras.saving.register_keras_serializable(package="keras_zoo")
class RecallAtK(_QueryMean):
    """Leave-one-out Recall@k within each batch: y_true labels ``[B]``, y_pred embeddings.

    Args:
        k: the number of nearest neighbours looked at.
        name: the metric name (default ``recall@k``).
    """

    def __init__(self, k=1, name=None, **kwargs):
        _check_k(k, "RecallAtK")
        self.k = int(k)
        super().__init__(name=name or f"recall@{k}", **kwargs)

    def per_query(self, y_true, y_pred):
        return recall_at_k_per_query(y_pred, y_true, self.k)

    def get_config(self):
        return {"name": self.name, "k": self.k}


@keras.saving.register_keras_serializable(package="keras_zoo")
class MeanAveragePrecisionAtR(_QueryMean):
    """Leave-one-out MAP@R within each batch: y_true labels ``[B]``, y_pred embeddings."""

    def __init__(self, name="map@r", **kwargs):
        super().__init__(name=name, **kwargs)

    def per_query(self, y_true, y_pred):
        return map_at_r_per_query(y_pred, y_true)

    def get_config(self):
        return {"name": self.name}


@keras.saving.register_keras_serializable(package="keras_zoo")
class NDCG(_QueryMean):
    """NDCG@k of rankings: y_true graded relevance ``[Q, N]``, y_pred scores ``[Q, N]``.

    Args:
        k: cut-off (None: the whole list).
        name: the metric name (default ``ndcg@k``).
    """

    def __init__(self, k=None, name=None, **kwargs):
        if k is not None:
            _check_k(k, "NDCG")
        self.k = None if k is None else int(k)
        super().__init__(name=name or (f"ndcg@{k}" if k else "ndcg"), **kwargs)

    def per_query(self, y_true, y_pred):
        values = ndcg(y_true, y_pred, self.k)
        return values, tf.ones_like(values, dtype=tf.bool)

    def get_config(self):
        return {"name": self.name, "k": self.k}


@keras.saving.register_keras_serializable(package="keras_zoo")
class DCG(_QueryMean):
    """DCG@k of rankings: y_true graded relevance ``[Q, N]``, y_pred scores ``[Q, N]``.

    Args:
        k: cut-off (None: the whole list).
        name: the metric name (default ``dcg@k``).
    """

    def __init__(self, k=None, name=None, **kwargs):
        if k is not None:
            _check_k(k, "DCG")
        self.k = None if k is None else int(k)
        super().__init__(name=name or (f"dcg@{k}" if k else "dcg"), **kwargs)

    def per_query(self, y_true, y_pred):
        order = tf.argsort(tf.cast(y_pred, tf.float32), axis=-1, direction="DESCENDING",
                           stable=True)
        values = dcg(tf.gather(tf.cast(y_true, tf.float32), order, batch_dims=1), self.k)
        return values, tf.ones_like(values, dtype=tf.bool)

    def get_config(self):
        return {"name": self.name, "k": self.k}

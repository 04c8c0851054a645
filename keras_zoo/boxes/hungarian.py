"""Bipartite (Hungarian) matching of predictions to ground truth, as DETR trains with it
(Carion et al. 2020, section 3.1, equation 1; Kuhn 1955, Munkres 1957).

The optimal assignment is computed by SciPy's ``linear_sum_assignment`` (a maintained, exact
``O(n^3)`` shortest-augmenting-path solver, Crouse 2016) on the CPU, wrapped in
``tf.numpy_function`` so that it runs inside ``fit``'s graph. That choice: the matching is a
training-time, non-differentiable step on small matrices (queries x objects of one image);
a pure-TF Hungarian would be a data-dependent ``while_loop`` that is slower on CPU and harder to
get right, and nothing of it is exported (a set predictor needs no matching at inference), so
the served graphs keep builtin TFLite ops. The cost is a host round trip per batch and no XLA.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf


def linear_assignment(cost):
    """The optimal one-to-one assignment of a ``[Q, M]`` cost matrix, ``Q >= M``.

    Returns ``[Q]`` int32: for each row (query) the column (object) assigned to it, or -1 for the
    ``Q - M`` unassigned rows. Every column is assigned exactly once; an empty ``M = 0`` assigns
    nothing. Non-finite costs are an error (they would make the optimum meaningless).
    """
    from scipy.optimize import linear_sum_assignment

    cost = np.asarray(cost, np.float64)
    if cost.ndim != 2:
        raise ValueError(f"linear_assignment: cost must be [queries, objects], got shape "
                         f"{cost.shape}.")
    q, m = cost.shape
    if m > q:
        raise ValueError(f"linear_assignment: {m} objects but only {q} queries; every object "
                         f"needs its own query (num_queries >= objects per image).")
    match = np.full(q, -1, np.int32)
    if m == 0:
        return match
    if not np.all(np.isfinite(cost)):
        raise ValueError("linear_assignment: the cost matrix has NaN or infinite entries.")
    rows, cols = linear_sum_assignment(cost)
    match[rows] = cols
    return match


def _batched_assignment(cost, valid):
    out = np.full(cost.shape[:2], -1, np.int32)
    for i in range(cost.shape[0]):
        objects = np.nonzero(valid[i])[0]
        assigned = linear_assignment(cost[i][:, objects])
        rows = assigned >= 0
        out[i, rows] = objects[assigned[rows]]
    return out


def hungarian_match(cost, valid):
    """Per image, the minimum-cost one-to-one matching of queries to its real objects.

    Runs in the graph through ``tf.numpy_function``; no gradient flows through it.

    Args:
        cost: ``[B, Q, M]`` float, the cost of predicting object ``m`` with query ``q``.
        valid: ``[B, M]`` bool, which of the ``M`` (padded) objects are real.

    Returns:
        ``[B, Q]`` int32: the object index matched to each query, -1 for "no object".
    """
    cost = tf.stop_gradient(tf.cast(cost, tf.float32))
    match = tf.numpy_function(_batched_assignment, [cost, tf.cast(valid, tf.bool)], tf.int32,
                              stateful=False, name="hungarian_match")
    return tf.reshape(match, tf.shape(cost)[:2])

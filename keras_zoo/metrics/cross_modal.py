"""Recall@k across modalities (text -> image, audio -> text, ...), by class.

The embedded multimodal data has many interchangeable items (two captions "a small red circle"
describe equally well every small red circle), so a retrieved item counts when its label equals
the query's: with one item per label this is the usual instance recall@k."""

from __future__ import annotations

import numpy as np


def cross_modal_recall_at_k(queries, gallery, query_labels, gallery_labels, k=1) -> float:
    """The fraction of ``queries`` ``[N, D]`` whose ``k`` most cosine-similar ``gallery`` items
    ``[M, D]`` include one with the query's label."""
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"cross_modal_recall_at_k: k must be a positive int, got {k!r}.")
    queries, gallery = np.asarray(queries, np.float64), np.asarray(gallery, np.float64)
    query_labels, gallery_labels = np.asarray(query_labels), np.asarray(gallery_labels)
    if queries.ndim != 2 or gallery.ndim != 2 or queries.shape[1] != gallery.shape[1]:
        raise ValueError(f"cross_modal_recall_at_k: need [N, D] queries and [M, D] gallery, got "
                         f"{queries.shape} and {gallery.shape}.")
    if len(query_labels) != len(queries) or len(gallery_labels) != len(gallery):
        raise ValueError("cross_modal_recall_at_k: one label per query and per gallery item.")
    queries = queries / np.maximum(np.linalg.norm(queries, axis=1, keepdims=True), 1e-12)
    gallery = gallery / np.maximum(np.linalg.norm(gallery, axis=1, keepdims=True), 1e-12)
    similarity = queries @ gallery.T
    top = np.argsort(-similarity, axis=1, kind="stable")[:, :k]
    return float(np.mean(np.any(gallery_labels[top] == query_labels[:, None], axis=1)))

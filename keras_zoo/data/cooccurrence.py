"""A synthetic item co-occurrence graph (items watched or bought together) over embedded images.

Each item is an image; its hidden topic is the image's class. An edge joins two items that
"co-occur": with probability ``1 - noise`` two items of the same topic, otherwise two random
items (the noise every real co-watch graph has). Collaborative metric learning learns an
embedding of the items' content in which related items are close.

    anchors, positives = cooccurrence.edges(labels, edges_per_item=4, noise=0.1, seed=0)
"""

from __future__ import annotations

import numpy as np


def edges(labels, edges_per_item=4, noise=0.1, seed=0):
    """``(anchor indices [E], positive indices [E])``: ``edges_per_item`` edges per item.

    Args:
        labels: ``[N]`` the items' hidden topics.
        edges_per_item: edges drawn from each item.
        noise: fraction of edges to a uniformly random item, in [0, 1).
        seed: the graph's seed.
    """
    labels = np.asarray(labels)
    if isinstance(edges_per_item, bool) or not isinstance(edges_per_item, int) \
            or edges_per_item < 1:
        raise ValueError(f"edges_per_item must be a positive int, got {edges_per_item!r}.")
    if not 0 <= noise < 1:
        raise ValueError(f"noise must be in [0, 1), got {noise!r}.")
    if len(labels) < 2:
        raise ValueError(f"a graph needs at least 2 items, got {len(labels)}.")
    rng = np.random.default_rng(seed)
    by_topic = {c: np.flatnonzero(labels == c) for c in np.unique(labels)}
    anchors, positives = [], []
    for i, topic in enumerate(labels):
        same = by_topic[topic][by_topic[topic] != i]
        for _ in range(edges_per_item):
            if rng.uniform() < noise or len(same) == 0:
                j = rng.integers(len(labels) - 1)
                j += j >= i  # never the item itself
            else:
                j = rng.choice(same)
            anchors.append(i)
            positives.append(int(j))
    return np.array(anchors, np.int64), np.array(positives, np.int64)

"""Visual words: clip features quantised to the nearest centroid of a hierarchical k-means
vocabulary (VideoBERT: Sun, Myers, Vondrick, Murphy & Schmid, VideoBERT: A Joint Model for Video
and Language Representation Learning, ICCV 2019, section 3.2: "we tokenize the visual features
using hierarchical k-means ... d = 4 levels and k = 12 clusters per level, 12^4 = 20736")."""

from __future__ import annotations

import keras
import numpy as np


def hierarchical_kmeans(features, branching, levels, seed=0, iterations=20):
    """``[N, D]`` features -> ``[branching ** levels, D]`` leaf centroids, in tree order (leaf
    ``i``'s parent at the level above is ``i // branching``).

    Each node's points are split by k-means (k-means++ seeding, ``iterations`` Lloyd steps,
    seeded); a node with fewer distinct points than ``branching`` repeats its points (its
    extra leaves are duplicates, never nearest-first), an empty node takes its parent's
    centroid, so every tree is complete.
    """
    features = np.asarray(features, np.float64)
    if features.ndim != 2 or features.shape[0] == 0:
        raise ValueError(f"hierarchical_kmeans: features must be a non-empty [N, D] array, got "
                         f"shape {features.shape}.")
    for name, value in (("branching", branching), ("levels", levels)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"hierarchical_kmeans: {name} must be a positive int, got "
                             f"{value!r}.")
    rng = np.random.default_rng(seed)
    nodes = [(features, features.mean(axis=0))]
    for _ in range(levels):
        children = []
        for points, centre in nodes:
            centroids = _kmeans(points, branching, rng, iterations, centre)
            assignment = _nearest(points, centroids)
            children.extend((points[assignment == j], centroids[j]) for j in range(branching))
        nodes = children
    return np.stack([centre for _, centre in nodes]).astype(np.float32)


def _nearest(points, centroids):
    distances = ((points[:, None, :] - centroids[None, :, :]) ** 2).sum(-1)
    return np.argmin(distances, axis=1)


def _kmeans(points, k, rng, iterations, centre):
    if len(points) == 0:
        return np.repeat(centre[None], k, axis=0)
    unique = np.unique(points, axis=0)
    if len(unique) <= k:
        return unique[np.arange(k) % len(unique)]
    # k-means++ seeding (Arthur & Vassilvitskii 2007).
    centroids = [points[rng.integers(len(points))]]
    for _ in range(k - 1):
        d = ((points[:, None, :] - np.asarray(centroids)[None]) ** 2).sum(-1).min(axis=1)
        centroids.append(points[rng.choice(len(points), p=d / d.sum())])
    centroids = np.asarray(centroids)
    for _ in range(iterations):
        assignment = _nearest(points, centroids)
        for j in range(k):
            members = points[assignment == j]
            if len(members):
                centroids[j] = members.mean(axis=0)
    return centroids


@keras.saving.register_keras_serializable(package="keras_zoo")
class VisualWords(keras.layers.Layer):
    """``[..., D]`` features -> int32 ``[...]`` ids of the nearest of ``branching ** levels``
    centroids (squared Euclidean distance), VideoBERT's visual tokens.

    The centroids are a non-trainable weight: ``adapt(features)`` fits them by hierarchical
    k-means (``hierarchical_kmeans``); before that they are seeded random normal vectors.

    Args:
        branching: clusters per level (VideoBERT: 12).
        levels: levels of the tree (VideoBERT: 4).
        seed: seeds the initial centroids and the k-means.
    """

    def __init__(self, branching=12, levels=4, seed=0, **kwargs):
        super().__init__(**kwargs)
        for name, value in (("branching", branching), ("levels", levels)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"VisualWords: {name} must be a positive int, got {value!r}.")
        self.branching, self.levels, self.seed = branching, levels, int(seed)
        self.vocabulary_size = branching ** levels

    def build(self, input_shape):
        self.centroids = self.add_weight(
            shape=(self.vocabulary_size, input_shape[-1]), name="centroids", trainable=False,
            initializer=keras.initializers.RandomNormal(seed=self.seed))

    def adapt(self, features):
        """Fits the centroids to ``[..., D]`` features by hierarchical k-means."""
        features = np.asarray(features, np.float32)
        features = features.reshape(-1, features.shape[-1])
        if not self.built:
            self.build(features.shape)
        if features.shape[-1] != self.centroids.shape[-1]:
            raise ValueError(f"{self.name}: features are {features.shape[-1]}-d, the centroids "
                             f"{self.centroids.shape[-1]}-d.")
        self.centroids.assign(hierarchical_kmeans(features, self.branching, self.levels,
                                                  self.seed))

    def call(self, features):
        # ||f - c||^2 = ||c||^2 - 2 f.c + ||f||^2; the last term does not change the argmin.
        scores = keras.ops.sum(keras.ops.square(self.centroids), axis=-1) - 2.0 * keras.ops.matmul(
            features, keras.ops.transpose(self.centroids))
        # tf.argmin itself: keras.ops.argmin on floats adds a signbit test (BitwiseAnd), which
        # TFLite has no builtin for.
        import tensorflow as tf

        return tf.argmin(scores, axis=-1, output_type=tf.int32)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1])

    def get_config(self):
        return {**super().get_config(), "branching": self.branching, "levels": self.levels,
                "seed": self.seed}

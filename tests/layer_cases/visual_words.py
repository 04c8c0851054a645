"""Case for VideoBERT's visual words (Sun et al. 2019, section 3.2): each feature vector's token
is the index of its nearest centroid (squared Euclidean distance)."""

import numpy as np

from keras_zoo.layers import VisualWords
from tests.layer_harness import LayerCase


def nearest_centroid_reference(layer, inputs):
    (x,) = inputs
    centroids = np.asarray(layer.centroids, np.float64)
    distances = ((x.astype(np.float64)[..., None, :] - centroids) ** 2).sum(-1)
    return np.argmin(distances, axis=-1)


CASES = [
    LayerCase(
        id="visual_words_nearest_centroid",
        layer_class=VisualWords,
        make=lambda: VisualWords(branching=3, levels=2, seed=4),
        inputs=lambda rng: [rng.normal(size=(2, 5, 4)).astype(np.float32)],
        reference=nearest_centroid_reference,
        gradients="a token id is an integer: nothing flows back through argmin",
    ),
]

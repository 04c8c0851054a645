"""Segmenter's class-embedding spread (the mask transformer from scratch; see the recipe
segmentation_segmenter and tests/models/segmentation/test_training_slow.py)."""

import keras
import numpy as np
import pytest

from keras_zoo.data.segmentation import load_arrays
from keras_zoo.models.segmentation.segmenter import TINY as _TINY
from keras_zoo.models.segmentation.segmenter import Segmenter

#: The tiny encoder as these figures were measured (2 layers; the tiny config has 1 since
#: 2026-12-04).
TINY = {**_TINY, "num_layers": 2}


def _class_token_cosines(stddev):
    keras.utils.set_random_seed(0)
    model = Segmenter(decoder="mask", decoder_layers=1, class_embedding_stddev=stddev, **TINY)
    images, _ = load_arrays("shapes", "train", (32, 32), 4, n=8)
    classes = keras.Model(model.input, model.get_layer("class_l2").output)(
        images.astype("float32") / 255).numpy()
    cosines = np.einsum("bkd,bjd->bkj", classes, classes)
    off_diagonal = ~np.eye(cosines.shape[-1], dtype=bool)
    return cosines[:, off_diagonal]


def test_class_embedding_spread_keeps_the_class_tokens_apart():
    # The official 0.02 leaves the unit class vectors nearly parallel at initialisation (every
    # patch then gets the same mask, and from scratch training sat at the class prior); 1.0
    # keeps them apart.
    assert _class_token_cosines(0.02).min() > 0.95
    assert _class_token_cosines(1.0).mean() < 0.5


def test_class_embedding_spread_is_the_initial_spread_and_checked():
    keras.utils.set_random_seed(0)
    model = Segmenter(decoder="mask", decoder_layers=1, class_embedding_stddev=1.0, **TINY)
    weights = model.get_layer("class_embeddings").get_weights()[0]
    assert 0.7 < weights.std() < 1.0  # truncated at 2 standard deviations: 0.88 expected
    for bad in (0, -1.0, True, "1"):
        with pytest.raises(ValueError, match="class_embedding_stddev"):
            Segmenter(decoder="mask", class_embedding_stddev=bad, **TINY)
    # The linear decoder has no class embeddings or decoder layers: setting them is refused.
    for option in ({"class_embedding_stddev": 1.0}, {"decoder_layers": 2},
                   {"decoder_heads": 2}):
        with pytest.raises(ValueError, match=f"{next(iter(option))} configure the mask"):
            Segmenter(decoder="linear", **option, **TINY)

"""CLIP RN50: the modified ResNet image encoder (stem, anti-aliased strides, attention
pooling), its parameter count against the released model, and bad input."""

import numpy as np
import pytest

import keras_zoo
from keras_zoo.data import captions
from keras_zoo.models.multimodal import clip


def _trainable(model):
    return sum(int(np.prod(v.shape)) for v in model.trainable_weights)


def test_rn50_count_by_formula_is_the_released_models():
    # openai/CLIP's RN50: 102,007,137 parameters (PyTorch's, without BatchNorm statistics).
    assert clip.clip_resnet_parameters() == clip.RN50_PARAMS
    entry = keras_zoo.models.info("clip_rn50")
    assert entry.params == clip.clip_resnet_parameters(trainable=False)


def test_tiny_count_is_the_formula_at_its_size():
    model = keras_zoo.models.get("clip_rn50", "tiny")
    size = dict(image_size=16, vision_layers=(1,), vision_width=4,
                vocabulary_size=len(captions.VOCABULARY), sequence_length=8, text_width=16,
                text_layers=1, embed_dim=16)
    assert _trainable(model) == clip.clip_resnet_parameters(**size)
    assert model.count_params() == clip.clip_resnet_parameters(**size, trainable=False)


def test_attention_pooling_reads_the_whole_map():
    encoder = clip.resnet_encoder((16, 16, 3), layers=(1, 1), width=4, heads=2, embed_dim=8)
    # The RN50 layout: a 4x downsampling stem, then each later stage halves: 16 px -> 2 x 2.
    assert encoder.get_layer("positions").output.shape[1:] == (4, 32)
    assert encoder.get_layer("pool_position_embedding").output.shape[1:] == (5, 32)
    rng = np.random.default_rng(0)
    images = rng.random((2, 16, 16, 3)).astype("float32")
    base = np.asarray(encoder(images))
    corner = images.copy()
    corner[:, 12:, 12:] = 1.0 - corner[:, 12:, 12:]  # only the last map position sees it
    assert base.shape == (2, 8)
    assert np.abs(np.asarray(encoder(corner)) - base).max() > 1e-4


def test_bad_input():
    with pytest.raises(ValueError, match="multiple of 8"):
        clip.resnet_encoder((20, 20, 3), layers=(1, 1), width=4, heads=2, embed_dim=8)
    with pytest.raises(ValueError, match="heads"):
        clip.resnet_encoder((16, 16, 3), layers=(1, 1), width=4, heads=3, embed_dim=8)
    with pytest.raises(ValueError, match="even width"):
        clip.resnet_encoder((16, 16, 3), layers=(1, 1), width=5, heads=1, embed_dim=8)

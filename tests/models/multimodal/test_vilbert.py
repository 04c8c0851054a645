"""ViLBERT: co-attention exchanges keys and values between the streams; the model learns the
masked multimodal tasks by plain fit."""

import keras
import numpy as np
import pytest

import keras_zoo
from keras_zoo.layers import CoAttention
from tests.deferred import assert_deferred, deferred_weights


def _layer_and_streams():
    keras.utils.set_random_seed(0)
    layer = CoAttention(2, 4, 8, 8)
    rng = np.random.default_rng(0)
    visual = rng.normal(size=(2, 3, 6)).astype(np.float32)
    linguistic = rng.normal(size=(2, 5, 6)).astype(np.float32)
    return layer, visual, linguistic


def test_co_attention_queries_one_stream_with_the_others_keys_and_values():
    layer, visual, linguistic = _layer_and_streams()
    v, w, v_scores, w_scores = layer([visual, linguistic], return_attention_scores=True)
    # Visual queries over the 5 words; linguistic queries over the 3 regions.
    assert tuple(v_scores.shape) == (2, 2, 3, 5) and tuple(w_scores.shape) == (2, 2, 5, 3)
    # With the linguistic stream zeroed, every visual query sees identical keys: uniform
    # weights, and the attended values are the same for every region, so the visual output
    # depends on the region only through its residual.
    zero = np.zeros_like(linguistic)
    _, _, scores, _ = layer([visual, zero], return_attention_scores=True)
    np.testing.assert_allclose(np.asarray(scores), 1 / 5, atol=1e-6)
    attended = layer.visual_attention(visual, zero, zero)
    attended = np.asarray(attended)
    np.testing.assert_allclose(attended, np.broadcast_to(attended[:, :1], attended.shape),
                               atol=1e-6)
    # And the linguistic output changes when (only) the visual stream changes.
    _, w_other = layer([visual + 1.0, linguistic])
    assert np.abs(np.asarray(w_other) - np.asarray(w)).max() > 1e-3
    v_same, _ = layer([visual, linguistic])
    np.testing.assert_allclose(np.asarray(v_same), np.asarray(v), atol=1e-6)


def test_masked_words_are_not_attended_by_visual_queries():
    layer, visual, linguistic = _layer_and_streams()
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], np.float32)
    _, _, scores, _ = layer([visual, linguistic], linguistic_mask=mask,
                            return_attention_scores=True)
    np.testing.assert_allclose(np.asarray(scores)[0, :, :, 3:], 0.0, atol=1e-6)


def test_vilbert_tiny_is_really_tiny_and_validates():
    entry = keras_zoo.models.info("vilbert")
    assert entry.build("tiny").count_params() < 100_000
    with pytest.raises(ValueError, match="divisible"):
        entry.build("tiny", hidden_dim=15)


@pytest.mark.parametrize("preset", ["canonical"])
def test_vilbert_count_equals_the_formula(preset):
    """``vilbert.parameter_count`` (the paper gives no total; the formula over the authors'
    configuration, see ``VILBERT``) plus the region CNN equals the built model's count."""
    from keras_zoo.models.multimodal.vilbert import parameter_count

    with deferred_weights():  # counts and config only (tests/deferred.py)
        model = keras_zoo.models.info("vilbert").build(preset)
        assert_deferred(model.weights)
    config = model.get_config()
    cnn = sum(layer.count_params() for layer in model.layers
              if layer.name.startswith("visual_conv"))
    assert cnn > 0
    assert model.count_params() == cnn + parameter_count(
        **config, region_feature_dim=config["filters"][-1])


@pytest.mark.slow
def test_the_papers_vilbert_has_the_formulas_count():
    """The authors' configuration (``VILBERT``) over 2048-d region features (the Faster R-CNN
    region encoder with 2048-wide fc6/fc7) and 1,601 region classes: 259,768,956 parameters
    besides the region encoder, by ``parameter_count`` and by the built model."""
    from keras_zoo.models.multimodal.vilbert import (
        VILBERT,
        VILBERT_REGION_CLASSES,
        VILBERT_REGION_FEATURES,
        parameter_count,
    )

    expected = parameter_count(**VILBERT, region_feature_dim=VILBERT_REGION_FEATURES,
                               region_classes=VILBERT_REGION_CLASSES)
    assert expected == 259_768_956
    with deferred_weights():  # counted only (tests/deferred.py)
        model = keras_zoo.models.info("vilbert").build(
            "tiny", **VILBERT, region_classes=VILBERT_REGION_CLASSES,
            region_encoder="faster_rcnn",
            region_encoder_config={"head_units": VILBERT_REGION_FEATURES})
        assert_deferred(model.weights)
    encoder = model.get_layer("region_encoder").count_params()
    assert model.count_params() - encoder == expected

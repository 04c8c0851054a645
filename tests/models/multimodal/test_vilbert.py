"""ViLBERT: co-attention exchanges keys and values between the streams; the model learns the
masked multimodal tasks by plain fit."""

import keras
import numpy as np
import pytest

import keras_zoo
from keras_zoo.layers import CoAttention


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

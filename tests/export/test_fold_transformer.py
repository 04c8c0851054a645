"""``keras_zoo.export.fold_transformer``: the simplified encoder computes the same function
(within 1e-5 relative), saves and loads with safe_mode=True, and keeps what it cannot rewrite."""

import keras
import numpy as np
import pytest

import keras_zoo
from keras_zoo.export.fold_transformer import simplify_transformers
from keras_zoo.layers import FusedSelfAttention


def _randomize(model, seed=1):
    """Non-trivial layer-norm scales and shifts and biases (initialised to 1 and 0, a fold
    of them would be tested on the identity otherwise)."""
    rng = np.random.default_rng(seed)
    for w in model.weights:
        if any(k in w.path for k in ("gamma", "beta", "bias")):
            noise = rng.normal(size=w.shape).astype("float32") * 0.5
            w.assign(noise + (1.0 if "gamma" in w.path else 0.0))
    return model


def _vit():
    keras.utils.set_random_seed(0)
    return _randomize(keras_zoo.models.get("vit_b16", "tiny", num_layers=2))


def _images(model, n=3):
    return np.random.default_rng(0).uniform(0, 1, (n, *model.input_shape[1:])).astype("float32")


def _close(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    assert np.max(np.abs(a - b)) <= 1e-5 * np.max(np.abs(a)), np.max(np.abs(a - b))


def test_pre_norm_vit_is_fused_and_folded_and_computes_the_same():
    model = _vit()
    result = simplify_transformers(model)
    assert result.reason is None
    assert result.fused == ("encoder_layer_0_attention", "encoder_layer_1_attention")
    assert ("encoder_layer_1_mlp_norm", "encoder_layer_1_mlp_dense_1") in result.folded
    assert ("encoder_layer_0_attention_norm", "encoder_layer_0_attention") in result.folded
    assert len(result.folded) == 4
    # The final norm feeds the class-token slice, not a linear map: kept.
    assert "GetItem" in result.skipped["encoder_norm"]
    copy = result.model
    assert isinstance(copy.get_layer("encoder_layer_0_attention"), FusedSelfAttention)
    norm = copy.get_layer("encoder_layer_0_mlp_norm")
    assert not norm.center and not norm.scale
    assert not any(isinstance(layer, keras.layers.MultiHeadAttention) for layer in copy.layers)
    assert copy.count_params() < model.count_params()  # the folded gammas and betas
    x = _images(model)
    _close(model(x, training=False), copy(x, training=False))
    # The original is untouched.
    assert isinstance(model.get_layer("encoder_layer_0_attention"),
                      keras.layers.MultiHeadAttention)


def test_simplified_model_saves_and_loads_in_safe_mode(tmp_path):
    model = _vit()
    copy = simplify_transformers(model).model
    path = str(tmp_path / "vit.keras")
    copy.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    x = _images(model)
    np.testing.assert_array_equal(np.asarray(copy(x)), np.asarray(loaded(x)))


def test_simplifying_twice_changes_nothing_more():
    copy = simplify_transformers(_vit()).model
    again = simplify_transformers(copy)
    assert again.model is copy
    assert again.reason == "no self-attention layer to fuse"


def test_post_norm_masked_attention_is_fused_and_its_norms_kept():
    """BERT: a padding mask reaches the attention; post-norm layer norms feed the residual too,
    so they are not folded. BertClassifier is a Functional subclass: rewritten only when asked
    (``subclass=True``, what ``simplify_for_task`` asks for sequence classification), into a
    plain Functional carrying ``vocabulary_size``."""
    from keras_zoo.export.fold_transformer import simplify_for_task
    from keras_zoo.tasks import get_task

    keras.utils.set_random_seed(0)
    bert = _randomize(keras_zoo.models.get("bert_classifier", "tiny", num_layers=2,
                                           vocabulary_size=40))
    refused = simplify_transformers(bert)
    assert refused.model is bert and "not a plain Functional" in refused.reason
    result = simplify_for_task(get_task("sequence_classification"), bert)
    assert result.reason is None and len(result.fused) == 2 and result.folded == ()
    assert len(result.flattened) == 4  # the MLPs' Dense layers; the head's are on [B, D]
    assert "Add" in result.skipped["transformer_layer_0_attention_norm"]
    copy = result.model
    assert type(copy) is not type(bert) and copy.vocabulary_size == 40
    assert copy.name == bert.name and copy.input_shape == bert.input_shape
    tokens = np.random.default_rng(0).integers(1, 40, (4, 12)).astype("int32")
    tokens[:, 7:] = 0  # padding: the mask matters
    _close(bert(tokens), copy(tokens))
    unmasked = bert(np.where(tokens == 0, 1, tokens).astype("int32"))
    assert np.max(np.abs(np.asarray(bert(tokens)) - np.asarray(unmasked))) > 1e-4
    # Other tasks keep their subclasses (their serving code may call their methods).
    assert simplify_for_task(get_task("classification"), bert).model is bert


def test_cross_attention_and_shared_layers_are_kept():
    queries = keras.Input((5, 8))
    context = keras.Input((7, 8))
    attention = keras.layers.MultiHeadAttention(2, 4, name="cross")
    out = attention(queries, context)
    shared = keras.layers.MultiHeadAttention(2, 4, name="shared")
    out = shared(out, out)
    out = shared(out, out)
    result = simplify_transformers(keras.Model([queries, context], out))
    assert "not self-attention" in result.skipped["cross"]
    assert "more than once" in result.skipped["shared"]
    assert result.reason == "no self-attention layer to fuse"


def test_fused_attention_equals_keras_attention_with_a_mask_and_scores():
    keras.utils.set_random_seed(0)
    x = keras.Input((6, 12))
    mask = keras.Input((1, 6), dtype="bool")
    out, scores = keras.layers.MultiHeadAttention(3, 4, name="mha")(
        x, x, attention_mask=mask, return_attention_scores=True)
    model = _randomize(keras.Model([x, mask], [out, scores]))
    result = simplify_transformers(model)
    assert result.fused == ("mha",)
    rng = np.random.default_rng(0)
    inputs = [rng.normal(size=(2, 6, 12)).astype("float32"), rng.uniform(size=(2, 1, 6)) > 0.3]
    inputs[1][:, :, 0] = True
    for a, b in zip(model(inputs), result.model(inputs), strict=True):
        _close(a, b)


@pytest.mark.parametrize("kwargs", [dict(num_heads=0, head_dim=4, output_dim=8),
                                    dict(num_heads=2, head_dim=True, output_dim=8)])
def test_fused_attention_refuses_bad_sizes(kwargs):
    with pytest.raises(ValueError, match="must be a positive int"):
        FusedSelfAttention(**kwargs)

"""ViT: paper sizes and parameter counts (with keras-hub's ViTBackbone as a second opinion),
position-embedding resampling for a new resolution, clear errors, attention maps and rollout,
and (slow) a tiny ViT learning the embedded digits."""

import argparse
import gc
import os
import time

import keras
import numpy as np
import pytest

import keras_zoo
from keras_zoo.layers import PatchEmbedding, resample_position_embedding
from keras_zoo.models.classification import attention_maps as am
from keras_zoo.models.classification.vit import VisionTransformer
from tests.deferred import assert_deferred, deferred_weights
from training.commands import attention

TINY = dict(keras_zoo.models.info("vit_b16").tiny)


def _vit_params(patch, layers, width, mlp, image=224, channels=3, classes=1000, tokens=1,
                heads=1):
    """The count from the paper's equations: embedding E (P^2 C x D + bias), tokens, E_pos,
    per layer 2 LayerNorms + Q, K, V, O (D x D + bias) + MLP, final LayerNorm, heads."""
    n = (image // patch) ** 2
    embedding = patch * patch * channels * width + width + tokens * width + (n + tokens) * width
    layer = 2 * 2 * width + 4 * (width * width + width) + width * mlp + mlp + mlp * width + width
    return embedding + layers * layer + 2 * width + heads * (width * classes + classes)


def test_vit_b16_count_and_keras_hub_backbone():
    import keras_hub

    # Built in a StatelessScope that defers the weights' initialization (tests/deferred.py):
    # the same layers and variable shapes, no random draws; the counts are checked after.
    with deferred_weights():
        ours = keras_zoo.models.get("vit_b16", preset="canonical")
        hub = keras_hub.models.ViTBackbone(
            image_shape=(224, 224, 3), patch_size=16, num_layers=12, num_heads=12,
            hidden_dim=768, mlp_dim=3072)
        assert_deferred(ours.weights + hub.weights)
    assert ours.count_params() == 86_567_656
    assert ours.output_shape == (None, 1000)
    head = 768 * 1000 + 1000
    assert head == 769_000
    assert hub.count_params() + head == 86_567_656
    keras.backend.clear_session()


def test_registered_counts_follow_table_1():
    # L/16 and H/14 are built in the slow tier only (300M / 630M parameters).
    for name, (patch, layers, width, mlp) in {
            "vit_b16": (16, 12, 768, 3072), "vit_b32": (32, 12, 768, 3072),
            "vit_l16": (16, 24, 1024, 4096), "vit_h14": (14, 32, 1280, 5120)}.items():
        assert keras_zoo.models.info(name).params == _vit_params(patch, layers, width, mlp), name


@pytest.mark.slow
@pytest.mark.parametrize("name,patch,layers,width", [
    ("vit_b32", 32, 12, 768), ("vit_l16", 16, 24, 1024), ("vit_h14", 14, 32, 1280)])
def test_large_counts(name, patch, layers, width):
    with deferred_weights():  # counts and configs only (tests/deferred.py)
        model = keras_zoo.models.get(name, preset="canonical")
        assert_deferred(model.weights)
    assert model.count_params() == keras_zoo.models.info(name).params
    embedding = model.get_layer("patch_embedding")
    assert embedding.patch_size == (patch, patch) and embedding.hidden_dim == width
    attention = [layer for layer in model.layers
                 if isinstance(layer, keras.layers.MultiHeadAttention)]
    assert len(attention) == layers
    del model
    keras.backend.clear_session()
    gc.collect()


def test_patch_size_must_divide_the_image():
    with pytest.raises(ValueError, match=r"height 30 is not divisible by the patch size 4"):
        keras_zoo.models.get("vit_b16", preset="tiny", input_shape=(30, 32, 1))
    with pytest.raises(ValueError, match=r"width 33 is not divisible by the patch size 4"):
        PatchEmbedding(4, 8)(keras.Input((32, 33, 1)))


def test_forward_pre_norm_structure():
    model = keras_zoo.models.get("vit_b16", preset="tiny")
    # Pre-norm: the first LayerNorm of a block reads the residual stream, before attention.
    norm = model.get_layer("encoder_layer_0_attention_norm")
    assert norm.input is model.get_layer("embedding_dropout").output
    x = np.random.default_rng(0).uniform(size=(3, 32, 32, 1)).astype(np.float32)
    out = np.asarray(model(x))
    np.testing.assert_allclose(out.sum(-1), 1.0, atol=1e-5)
    features = keras_zoo.models.get("vit_b16", preset="tiny", include_top=False)
    assert features.output_shape == (None, 65, 32)
    pooled = keras_zoo.models.get("vit_b16", preset="tiny", include_top=False, pooling="avg")
    assert pooled.output_shape == (None, 32)


# --- resolution change ---------------------------------------------------------------------
def _bicubic_1d(n_in, n_out, a=-0.5):
    """The resampling matrix [n_out, n_in] of half-pixel-centred Keys-cubic interpolation (the
    kernel a=-0.5 of tf.image.resize bicubic, antialias=False), written from the definition:
    taps outside the grid are dropped and the remaining weights renormalised to sum to 1."""
    def keys(t):
        t = abs(t)
        if t <= 1:
            return (a + 2) * t ** 3 - (a + 3) * t ** 2 + 1
        if t < 2:
            return a * t ** 3 - 5 * a * t ** 2 + 8 * a * t - 4 * a
        return 0.0

    matrix = np.zeros((n_out, n_in))
    scale = n_in / n_out
    for o in range(n_out):
        centre = (o + 0.5) * scale - 0.5
        base = int(np.floor(centre))
        for tap in range(base - 1, base + 3):
            if 0 <= tap < n_in:
                matrix[o, tap] += keys(centre - tap)
    return matrix / matrix.sum(axis=1, keepdims=True)


def test_resample_position_embedding_is_bicubic_and_keeps_tokens():
    rng = np.random.default_rng(0)
    old, new, depth = (4, 6), (7, 5), 3
    embedding = rng.normal(size=(2 + old[0] * old[1], depth)).astype(np.float32)
    out = resample_position_embedding(embedding, old, new, num_tokens=2)
    assert out.shape == (2 + new[0] * new[1], depth)
    np.testing.assert_array_equal(out[:2], embedding[:2])
    grid = embedding[2:].reshape(old[0], old[1], depth)
    expected = np.einsum("ri,cj,ijd->rcd", _bicubic_1d(old[0], new[0]),
                         _bicubic_1d(old[1], new[1]), grid)
    # TF reads the kernel from a 1024-entry table (resize_bicubic_op.cc), which rounds each
    # tap's offset to 1/1024: up to ~1e-3 from the exact kernel on unit-variance values.
    np.testing.assert_allclose(out[2:].reshape(new[0], new[1], depth), expected, atol=3e-3)
    # Same grid: unchanged; a 3-D [1, L, D] embedding keeps its leading axis.
    np.testing.assert_array_equal(resample_position_embedding(embedding, old, old, 2), embedding)
    assert resample_position_embedding(embedding[None], old, new, 2).shape == (1, 37, depth)


def test_resample_rejects_a_wrong_length():
    with pytest.raises(ValueError, match=r"has 50 positions.*needs 65 \(8\*8 \+ 1\)"):
        resample_position_embedding(np.zeros((50, 4)), 8, 12, num_tokens=1)


def test_trained_weights_load_at_another_resolution(tmp_path):
    small = VisionTransformer(**{**TINY, "input_shape": (32, 32, 1)})
    x = np.random.default_rng(0).uniform(size=(8, 32, 32, 1)).astype(np.float32)
    small.compile("adam", "sparse_categorical_crossentropy")
    small.run_eagerly = True  # one training step: tracing it would cost ~8 CPU s, eager ~1
    small.fit(x, np.arange(8) % 10, epochs=1, verbose=0)
    path = os.fspath(tmp_path / "vit32.weights.h5")
    small.save_weights(path)

    large = VisionTransformer(**{**TINY, "input_shape": (48, 48, 1)}, weights=path)
    old = np.asarray(small.get_layer("patch_embedding").position_embedding_weight)
    new = np.asarray(large.get_layer("patch_embedding").position_embedding_weight)
    assert old.shape == (65, 32) and new.shape == (145, 32)
    np.testing.assert_allclose(new, resample_position_embedding(old, (8, 8), (12, 12), 1),
                               atol=1e-6)
    np.testing.assert_array_equal(new[0], old[0])  # the class token's embedding is kept
    # Everything else transfers unchanged.
    for a, b in zip(small.weights, large.weights, strict=True):
        if "position_embedding" not in a.path:
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=a.path)
    y = np.asarray(large(np.zeros((2, 48, 48, 1), np.float32)))
    assert y.shape == (2, 10) and np.all(np.isfinite(y))


def test_a_position_embedding_that_cannot_be_resampled_is_refused(tmp_path):
    wide = VisionTransformer(**{**TINY, "input_shape": (32, 48, 1)})  # 8 x 12 grid: 96 patches
    path = os.fspath(tmp_path / "wide.weights.h5")
    wide.save_weights(path)
    square = VisionTransformer(**TINY)
    with pytest.raises(ValueError, match=r"97 positions; this layer needs 65"):
        square.load_weights(path)


# --- attention maps ------------------------------------------------------------------------
def _layer_norm(x, gamma, beta, eps=1e-6):
    return (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + eps) * gamma + beta


def test_attention_maps_are_the_models_softmax_weights():
    # Two layers (the tiny config has one since 2026-12-04): a map per layer.
    model = keras_zoo.models.get("vit_b16", preset="tiny", num_layers=2)
    image = np.random.default_rng(1).uniform(size=(32, 32, 1)).astype(np.float32)
    maps = am.attention_maps(model, image)
    assert len(maps) == 2 and maps[0].shape == (2, 65, 65)
    np.testing.assert_allclose(maps[1].sum(-1), 1.0, atol=1e-5)
    # Layer 0 from its weights: softmax((LN(z0) W_q + b_q)(LN(z0) W_k + b_k)^T / sqrt(d)).
    z0 = np.asarray(keras.Model(model.inputs[0], model.get_layer("embedding_dropout").output)(
        image[None]))[0]
    norm = model.get_layer("encoder_layer_0_attention_norm")
    h = _layer_norm(z0, np.asarray(norm.gamma), np.asarray(norm.beta))
    mha = model.get_layer("encoder_layer_0_attention")
    wq, bq = np.asarray(mha.query_dense.kernel), np.asarray(mha.query_dense.bias)
    wk, bk = np.asarray(mha.key_dense.kernel), np.asarray(mha.key_dense.bias)
    q = np.einsum("td,dhk->htk", h, wq) + bq.transpose(0, 1)[:, None, :]
    k = np.einsum("td,dhk->htk", h, wk) + bk[:, None, :]
    scores = q @ k.transpose(0, 2, 1) / np.sqrt(q.shape[-1])
    expected = np.exp(scores - scores.max(-1, keepdims=True))
    expected /= expected.sum(-1, keepdims=True)
    np.testing.assert_allclose(maps[0], expected, atol=1e-5)


def test_attention_rollout_formula():
    rng = np.random.default_rng(2)
    maps = [rng.dirichlet(np.ones(5), size=(3, 5)) for _ in range(2)]  # 2 layers, 3 heads, T=5
    heat = am.attention_rollout(maps, num_tokens=1, grid_size=(2, 2))
    eye = np.eye(5)
    a = [0.5 * m.mean(0) + 0.5 * eye for m in maps]
    a = [x / x.sum(-1, keepdims=True) for x in a]
    row = (a[1] @ a[0])[0, 1:]
    expected = (row - row.min()) / (row.max() - row.min())
    np.testing.assert_allclose(heat.ravel(), expected, atol=1e-12)


def test_rollout_overlay_png_through_the_cli_entry(tmp_path):
    from PIL import Image

    parser = argparse.ArgumentParser()
    attention.add_arguments(parser)
    out = tmp_path / "rollout.png"
    args = parser.parse_args(["vit_b16", "--digit-index", "3", "--output", os.fspath(out)])
    assert attention.run(args) == 0
    picture = Image.open(out)
    assert picture.format == "PNG" and picture.size == (32, 32) and picture.mode == "RGB"
    # User errors reach the CLI's handler (one line, exit 2; tests/training/test_cli_errors.py).
    with pytest.raises(OSError, match="exists"):  # never overwrites
        attention.run(args)
    no_attention = parser.parse_args(["lenet5", "--output", os.fspath(tmp_path / "x.png")])
    with pytest.raises(ValueError):
        attention.run(no_attention)


def test_attention_maps_of_a_distilled_deit_have_two_tokens():
    model = keras_zoo.models.get("deit_ti_distilled", preset="tiny")
    image = np.zeros((32, 32, 1), np.float32)
    maps = am.attention_maps(model, image)
    assert maps[0].shape == (2, 66, 66)
    assert am.rollout_for_image(model, image).shape == (8, 8)


# --- slow: it learns ------------------------------------------------------------------------
@pytest.mark.slow
def test_tiny_vit_learns_the_digits():
    from keras_zoo.data import load_arrays

    x_train, y_train = load_arrays("digits", "train", (32, 32), 1)
    x_test, y_test = load_arrays("digits", "test", (32, 32), 1)
    x_train, x_test = x_train.astype(np.float32) / 255.0, x_test.astype(np.float32) / 255.0
    model = keras_zoo.models.get("vit_b16", preset="tiny")
    epochs, batch = 30, 32
    steps = epochs * int(np.ceil(len(x_train) / batch))
    model.compile(keras.optimizers.AdamW(keras.optimizers.schedules.CosineDecay(1e-3, steps),
                                         weight_decay=0.05),
                  "sparse_categorical_crossentropy", metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(x_train, y_train, batch_size=batch, epochs=epochs, verbose=0)
    seconds = time.perf_counter() - start
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"tiny ViT on digits: test accuracy {accuracy:.4f} after {epochs} epochs, "
          f"{seconds:.1f} s of training")
    assert accuracy >= 0.95, accuracy


# --- the shared encoder block (also used for BERT and the Transformer encoder) -----------------
def _gelu(x):
    from scipy.special import erf

    return 0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))


def _block_reference(model, name, x, norm_first, mask=None, eps=1e-6):
    """Vaswani et al. 2017 / ViT eq. 2-3 in NumPy from the block's weights."""
    def ln(v, layer):
        return _layer_norm(v, np.asarray(layer.gamma), np.asarray(layer.beta), eps)

    mha = model.get_layer(f"{name}_attention")
    w = {n: (np.asarray(getattr(mha, f"{n}_dense").kernel), np.asarray(getattr(mha, f"{n}_dense").bias))
         for n in ("query", "key", "value", "output")}

    def attention(h):
        q = np.einsum("btd,dhk->bhtk", h, w["query"][0]) + w["query"][1].transpose(0, 1)[None, :, None]
        k = np.einsum("btd,dhk->bhtk", h, w["key"][0]) + w["key"][1][None, :, None]
        v = np.einsum("btd,dhk->bhtk", h, w["value"][0]) + w["value"][1][None, :, None]
        scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(q.shape[-1])
        if mask is not None:
            scores = np.where(mask[:, None], scores, -1e9)
        a = np.exp(scores - scores.max(-1, keepdims=True))
        a /= a.sum(-1, keepdims=True)
        return np.einsum("bhtk,hkd->btd", a @ v, w["output"][0]) + w["output"][1]

    def mlp(h):
        d1, d2 = model.get_layer(f"{name}_mlp_dense_1"), model.get_layer(f"{name}_mlp_dense_2")
        hidden = _gelu(h @ np.asarray(d1.kernel) + np.asarray(d1.bias))
        return hidden @ np.asarray(d2.kernel) + np.asarray(d2.bias)

    n1, n2 = model.get_layer(f"{name}_attention_norm"), model.get_layer(f"{name}_mlp_norm")
    if norm_first:
        z = x + attention(ln(x, n1))
        return z + mlp(ln(z, n2))
    z = ln(x + attention(x), n1)
    return ln(z + mlp(z), n2)


@pytest.mark.parametrize("norm_first", [True, False])
def test_transformer_encoder_block_formula(norm_first):
    from keras_zoo.blocks.transformer import transformer_encoder_block

    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 5, 8)).astype(np.float32)
    mask = rng.uniform(size=(2, 5, 5)) > 0.3
    mask[:, :, 0] = True  # every query sees at least one key
    inputs = keras.Input((5, 8))
    mask_input = keras.Input((5, 5), dtype="bool")
    out = transformer_encoder_block(inputs, num_heads=2, key_dim=4, mlp_dim=16,
                                    norm_first=norm_first, attention_mask=mask_input,
                                    epsilon=1e-6, name="block")
    model = keras.Model([inputs, mask_input], out)
    np.testing.assert_allclose(np.asarray(model([x, mask])),
                               _block_reference(model, "block", x, norm_first, mask), atol=2e-5)

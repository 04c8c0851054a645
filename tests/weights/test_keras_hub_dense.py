"""keras-hub ViT -> the ViT encoders of Segmenter and DPT (dense prediction): a randomly
initialised ``ViTBackbone`` converted by path rules into the zoo model's encoder gives the same
tokens; the decoder stays as built; at another image size the position table is resampled
bicubically; ``weights="keras_hub:<preset>"`` with ``from_preset`` patched."""

import keras
import keras_hub
import numpy as np
import pytest

import keras_zoo
from keras_zoo.layers.patch_embedding import resample_position_embedding
from keras_zoo.weights import keras_hub as hub_weights
from keras_zoo.weights import with_preprocessing
from tests.weights.anchors import random_images

#: A 4-layer ViT (DPT's tiny encoder: 4x4 patches on 32x32 images, width 32).
SMALL = dict(image_shape=(32, 32, 3), patch_size=4, num_layers=4, num_heads=2, hidden_dim=32,
             mlp_dim=64)
#: A 2-layer ViT for Segmenter in the default tier (1 CPU s less than SMALL's build).
TWO_LAYERS = dict(image_shape=(32, 32, 3), patch_size=8, num_layers=2, num_heads=2,
                  hidden_dim=16, mlp_dim=32)
DPT_SMALL = dict(reassemble_dims=(8, 16, 32, 32), features=8)
#: keras-hub's vit_base_patch16_384_imagenet / vit_large_patch16_384_imagenet (slow tier).
BASE_384 = dict(image_shape=(384, 384, 3), patch_size=16, num_layers=12, num_heads=12,
                hidden_dim=768, mlp_dim=3072)


def _backbone(config, seed=0):
    backbone = keras_hub.models.ViTBackbone(**config)
    rng = np.random.default_rng(seed)
    backbone.set_weights([(w + rng.normal(0, 0.02, w.shape)).astype(w.dtype)
                          for w in backbone.get_weights()])
    return backbone


def _converter():
    return keras_hub.layers.ViTImageConverter(scale=1 / 127.5, offset=-1.0)


def _their_tokens(backbone, images):
    return np.asarray(backbone(np.asarray(_converter()(255.0 * images))))


def _tap(model, layer):
    """Our model cut at the output of ``layer`` (a name). The layer's last call is the one in
    ``model``'s graph (``with_preprocessing`` re-runs the built graph after its new input)."""
    node = model.get_layer(layer)._inbound_nodes[-1]
    return keras.Model(model.inputs[0], node.outputs[0])


def _last_block(model):
    return [layer.name for layer in model.layers if layer.name.startswith("encoder_layer_")][-1]


def _their_final_norm(backbone, tokens):
    """keras-hub's final LayerNorm (epsilon 1e-6) applied to our tokens: DPT builds no final
    LayerNorm (it reads the layers' outputs), so its last layer equals the backbone's output
    once normalised with the backbone's gamma and beta."""
    weights = {w.path.rsplit("/", 1)[-1]: np.asarray(w) for w in backbone.weights
               if "vit_encoder/ln/" in w.path}
    tokens = tokens.astype("float64")
    mean = tokens.mean(-1, keepdims=True)
    variance = tokens.var(-1, keepdims=True)
    return (tokens - mean) / np.sqrt(variance + 1e-6) * weights["gamma"] + weights["beta"]


def _convert(name, backbone, **config):
    sizes = hub_weights.MODELS[name].config(backbone.get_config())
    ours = keras_zoo.models.get(name, **{**sizes, **config})
    built = {w.path: np.asarray(w) for w in ours.weights}
    hub_weights.convert(backbone, ours, name, f"{name}: weights='keras_hub:x'")
    ours = with_preprocessing(ours, hub_weights.converter_affine(_converter()))
    return ours, built


def _check_decoder_kept(ours, built, prefixes):
    kept = [w for w in ours.weights if w.path.startswith(prefixes)]
    assert kept, prefixes
    for w in kept:
        np.testing.assert_array_equal(np.asarray(w), built[w.path], err_msg=w.path)


def test_segmenter_encoder_converts_exactly():
    backbone = _backbone(TWO_LAYERS)
    ours, built = _convert("segmenter_linear", backbone, input_shape=(32, 32, 3), classes=3)
    images = random_images((32, 32, 3))
    expected = _their_tokens(backbone, images)
    actual = np.asarray(_tap(ours, "encoder_norm")(images))
    assert np.abs(expected).max() > 1e-2
    assert np.abs(actual - expected).max() <= 1e-5
    _check_decoder_kept(ours, built, ("decoder_linear/",))
    assert ours.output_shape == (None, 32, 32, 3)


@pytest.mark.slow  # ~1-3 CPU s; the default tier proves Segmenter's mapping
def test_segmenter_at_its_own_size_resamples_the_position_table():
    backbone = _backbone(SMALL)  # a 8x8 grid; ours at 64 px is 16x16
    ours, _ = _convert("segmenter_mask", backbone, input_shape=(64, 64, 3), classes=3,
                       decoder_layers=1)
    theirs = next(np.asarray(w) for w in backbone.weights
                  if w.path.endswith("position_embedding/embeddings"))
    table = next(np.asarray(w) for w in ours.weights
                 if w.path == "patch_embedding/position_embedding")
    np.testing.assert_array_equal(table.reshape(-1, 32),
                                  resample_position_embedding(theirs, 8, 16))
    np.testing.assert_array_equal(table.reshape(-1, 32)[0], theirs[0])  # class token kept


@pytest.mark.slow  # ~1-3 CPU s; the default tier proves Segmenter's mapping
def test_dpt_encoder_converts_exactly_without_the_final_norm():
    backbone = _backbone(SMALL)
    ours, built = _convert("dpt_depth", backbone, input_shape=(32, 32, 3), **DPT_SMALL)
    assert "encoder_norm" not in [layer.name for layer in ours.layers]
    images = random_images((32, 32, 3))
    expected = _their_tokens(backbone, images)
    actual = _their_final_norm(backbone, np.asarray(_tap(ours, _last_block(ours))(images)))
    assert np.abs(expected).max() > 1e-2
    assert np.abs(actual - expected).max() <= 1e-5
    _check_decoder_kept(ours, built, ("reassemble", "fusion", "head_"))


def test_dpt_hooks_follow_the_paper_for_base_and_large():
    base = hub_weights.MODELS["dpt"].config(dict(BASE_384, layer_norm_epsilon=1e-6,
                                                 use_mha_bias=True, use_mlp_bias=True,
                                                 use_class_token=True, use_patch_bias=True))
    assert base["hooks"] == (3, 6, 9, 12) and base["reassemble_dims"] == (96, 192, 384, 768)
    assert "input_shape" not in base  # DPT keeps its 384 x 384
    large = hub_weights.MODELS["dpt"].config(dict(base, image_shape=(224, 224, 3), num_layers=24,
                                                  hidden_dim=1024, num_heads=16, mlp_dim=4096,
                                                  layer_norm_epsilon=1e-6, use_mha_bias=True,
                                                  use_mlp_bias=True, use_class_token=True,
                                                  use_patch_bias=True))
    assert large["hooks"] == (5, 12, 18, 24)


@pytest.mark.slow  # ~1-3 CPU s; the default tier proves Segmenter's mapping
def test_dpt_from_the_preset_name(monkeypatch):
    backbone = _backbone(SMALL)
    monkeypatch.setattr(keras_hub.models.ViTBackbone, "from_preset",
                        classmethod(lambda cls, preset, **kwargs: backbone))
    monkeypatch.setattr(keras_hub.layers.ViTImageConverter, "from_preset",
                        classmethod(lambda cls, preset, **kwargs: _converter()))
    ours = keras_zoo.models.get("dpt_depth", weights="keras_hub:vit_base_patch16_384_imagenet",
                                input_shape=(32, 32, 3), **DPT_SMALL)
    assert ours.get_layer("preprocessing") is not None
    images = random_images((32, 32, 3))
    actual = _their_final_norm(backbone, np.asarray(_tap(ours, _last_block(ours))(images)))
    np.testing.assert_allclose(actual, _their_tokens(backbone, images), atol=1e-5, rtol=0)


@pytest.mark.slow  # ~1-3 CPU s; the default tier proves Segmenter's mapping
def test_dpt_of_another_width_or_depth_names_the_first_tensor():
    backbone = _backbone(SMALL)
    sizes = dict(input_shape=(32, 32, 3), patch_size=4, num_heads=2, hidden_dim=32, classes=3,
                 **DPT_SMALL)
    label = "dpt: weights='keras_hub:x'"
    wide = keras_zoo.models.get("dpt", num_layers=4, mlp_dim=128, hooks=(1, 2, 3, 4), **sizes)
    with pytest.raises(ValueError, match=r"dpt: weights='keras_hub:x': their tensor .*dense_1/"
                                         r"kernel' \(32, 64\) does not fit our "
                                         r"'encoder_layer_0_mlp_dense_1/kernel' \(32, 128\)"):
        hub_weights.convert(backbone, wide, "dpt", label)
    # Hooks ending at layer 4 of 5 build 4 layers: the backbone's 5th has nowhere to go.
    deeper = _backbone(dict(SMALL, num_layers=5))
    short = keras_zoo.models.get("dpt", num_layers=5, mlp_dim=64, hooks=(1, 2, 3, 4), **sizes)
    with pytest.raises(ValueError, match=r"their tensor .*transformer_block_5/ln_1/gamma' "
                                         r"\(32,\) maps to our 'encoder_layer_4_attention_norm/"
                                         r"gamma', which the model does not have"):
        hub_weights.convert(deeper, short, "dpt", label)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["segmenter_linear", "dpt_depth"])
def test_vit_b16_384_into_dense_models_at_real_size(name):
    # DPT-Base / Seg-B/16 at 384 x 384 from vit_base_patch16_384_imagenet's architecture:
    # 12 layers of width 768, float32 rounding over the depth; 1e-4 stated.
    backbone = _backbone(BASE_384)
    if name == "dpt_depth":
        ours, _ = _convert(name, backbone)
        actual = _their_final_norm(backbone, np.asarray(_tap(ours, _last_block(ours))(
            random_images((384, 384, 3)))))
    else:
        ours, _ = _convert(name, backbone, input_shape=(384, 384, 3))
        actual = np.asarray(_tap(ours, "encoder_norm")(random_images((384, 384, 3))))
    difference = np.abs(actual - _their_tokens(backbone, random_images((384, 384, 3)))).max()
    print(f"{name}: max abs difference {difference:.3g}")
    assert difference <= 1e-4, difference

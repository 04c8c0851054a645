"""keras-hub CLIP -> keras-zoo CLIP: a ``CLIPBackbone`` built from its class constructors (no
network) with random weights, converted by walking its attributes, equal logits and
embeddings; ``weights="keras_hub:<preset>"`` with ``from_preset`` patched (the image
converter's normalisation inside the image encoder); the switches that make the zoo's CLIP the
released one, each needed; the errors."""

import keras_hub
import numpy as np
import pytest

import keras_zoo
from keras_zoo.models.multimodal import clip
from keras_zoo.weights import keras_hub as hub_weights
from keras_zoo.weights import with_preprocessing
from tests.weights.anchors import clip_differences

#: Two layers per tower, 32 px images in 16 patches, a 12-token context (default tier).
SMALL = dict(vision=dict(patch_size=8, hidden_dim=16, num_layers=2, num_heads=2,
                         intermediate_dim=64, image_shape=(32, 32, 3)),
             text=dict(vocabulary_size=40, embedding_dim=16, hidden_dim=16, num_layers=2,
                       num_heads=2, intermediate_dim=64, max_sequence_length=12),
             projection_dim=12)
#: keras-hub's documented clip_vit_base_patch32 (OpenAI's ViT-B/32; slow tier).
VIT_B32 = dict(vision=dict(patch_size=32, hidden_dim=768, num_layers=12, num_heads=12,
                           intermediate_dim=3072, image_shape=(224, 224, 3)),
               text=dict(vocabulary_size=49408, embedding_dim=512, hidden_dim=512,
                         num_layers=12, num_heads=8, intermediate_dim=2048,
                         max_sequence_length=77),
               projection_dim=512)
#: CLIP's image normalisation (keras-hub's CLIPImageConverter of the presets).
MEAN = np.array([0.48145466, 0.4578275, 0.40821073])
STD = np.array([0.26862954, 0.26130258, 0.27577711])


def _converter():
    return keras_hub.layers.CLIPImageConverter(scale=list(1 / (255 * STD)),
                                               offset=list(-MEAN / STD))


def _backbone(config, seed=0, std=0.2, arange=True):
    """A random ``CLIPBackbone``, every weight perturbed; ``position_ids`` set to ``arange``
    as in the presets (a freshly built backbone has zeros: every position reads row 0)."""
    vision = keras_hub.models.CLIPVisionEncoder(**config["vision"], name="vision_encoder")
    text = keras_hub.models.CLIPTextEncoder(**config["text"], name="text_encoder")
    backbone = keras_hub.models.CLIPBackbone(vision, text,
                                             projection_dim=config["projection_dim"])
    rng = np.random.default_rng(seed)
    for variable in backbone.weights:
        if "position_ids" in variable.path:
            if arange:
                variable.assign(np.arange(variable.shape[1])[None])
        elif variable.path.endswith("logit_scale"):
            continue  # log(1 / 0.07), as built
        else:
            value = np.asarray(variable)
            variable.assign((value + rng.normal(0, std, value.shape)).astype(value.dtype))
    return backbone


def _tokens(vocabulary_size, length, seed=0):
    """Three captions: [EOS] (the largest id) at 5, at the end and at 2, padding (0) after
    [EOS] in two of them, which the causal mask keeps out of [EOS]'s output."""
    tokens = np.random.default_rng(seed).integers(1, vocabulary_size - 1, (3, length))
    eos = vocabulary_size - 1
    tokens[0, 5], tokens[0, 6:] = eos, 0
    tokens[1, -1] = eos
    tokens[2, 2], tokens[2, 3:] = eos, 0
    return tokens.astype("int32")


def _ours(backbone, **overrides):
    config = {**hub_weights.MODELS["clip_vit_b32"].config(backbone.get_config()), **overrides}
    model = keras_zoo.models.get("clip_vit_b32", **config)
    hub_weights.convert(backbone, model, "clip_vit_b32", "clip_vit_b32")
    return with_preprocessing(model, hub_weights.converter_affine(_converter()))


def _differences(backbone, ours, n=3):
    text = backbone.get_config()["text_encoder"]["config"]
    tokens = _tokens(text["vocabulary_size"], text["max_sequence_length"])[:n]
    return clip_differences(backbone, ours, _converter(), tokens)


@pytest.mark.slow  # the default tier proves the same through the preset name (below)
def test_clip_small_backbone_converts_exactly():
    backbone = _backbone(SMALL)
    differences = _differences(backbone, _ours(backbone))
    assert max(differences.values()) <= 1e-5, differences
    # Another vocabulary: the first tensor that does not fit is named.
    ours = keras_zoo.models.get("clip_vit_b32", **{**hub_weights.MODELS["clip_vit_b32"].config(
        backbone.get_config()), "vocabulary_size": 41})
    with pytest.raises(ValueError, match=r"clip_vit_b32: x: their tensor 'text_encoder_embedding/"
                                         r"token_embedding/embeddings' \(40, 16\) does not fit "
                                         r"our 'token_embedding/embeddings' \(41, 16\)"):
        hub_weights.convert(backbone, ours, "clip_vit_b32", "clip_vit_b32: x")


@pytest.mark.slow
def test_clip_fresh_backbone_position_ids_are_honoured():
    # A freshly built backbone's position_ids are zeros (every position reads row 0 of the
    # table): the conversion reads the table through them, so the outputs still agree.
    backbone = _backbone(SMALL, seed=1, arange=False)
    differences = _differences(backbone, _ours(backbone))
    assert max(differences.values()) <= 1e-5, differences


@pytest.mark.slow
@pytest.mark.parametrize("overrides, changed", [
    ({"activation": "gelu"}, "image"),  # CLIP's x sigmoid(1.702 x), not the exact GELU
    ({"causal": False}, "text"),        # [EOS] would see the padding after it
])
def test_clip_switches_are_needed(overrides, changed):
    backbone = _backbone(SMALL, seed=2)
    differences = _differences(backbone, _ours(backbone, **overrides))
    assert differences[changed] > 1e-3, differences


@pytest.mark.slow
def test_clip_vit_b32_converts_exactly():
    # ViT-B/32 and its 12-layer text Transformer at the released sizes; perturbations of 0.02
    # (the released initialisation's scale) keep 12 layers' activations O(1).
    backbone = _backbone(VIT_B32, seed=3, std=0.02)
    ours = _ours(backbone)
    trainable = sum(int(np.prod(w.shape)) for w in ours.weights if "preprocessing" not in w.path)
    assert trainable == clip.VIT_B32_PARAMS == clip.clip_vit_parameters(patch_bias=False)
    differences = _differences(backbone, ours, n=2)
    print(differences)
    assert max(differences.values()) <= 1e-5, differences


def test_clip_from_the_preset_name(monkeypatch):
    backbone = _backbone(SMALL, seed=4)
    asked = []

    def from_preset(cls, preset, **kwargs):
        asked.append(preset)
        return backbone

    monkeypatch.setattr(keras_hub.models.CLIPBackbone, "from_preset", classmethod(from_preset))
    monkeypatch.setattr(keras_hub.layers.CLIPImageConverter, "from_preset",
                        classmethod(lambda cls, preset, **kwargs: _converter()))
    model = keras_zoo.models.get("clip_vit_b32", weights="keras_hub:clip_vit_base_patch32")
    assert asked == ["clip_vit_base_patch32"]
    # The normalisation lives in the image encoder, which retrieval serving runs alone.
    encoder = model.get_layer("image_encoder")
    assert encoder.layers[1].name == "preprocessing"
    differences = _differences(backbone, model)
    assert max(differences.values()) <= 1e-5, differences


@pytest.mark.slow
def test_clip_saved_weights_bring_the_preprocessing(monkeypatch, tmp_path):
    backbone = _backbone(SMALL, seed=5)
    monkeypatch.setattr(keras_hub.models.CLIPBackbone, "from_preset",
                        classmethod(lambda cls, preset, **kwargs: backbone))
    monkeypatch.setattr(keras_hub.layers.CLIPImageConverter, "from_preset",
                        classmethod(lambda cls, preset, **kwargs: _converter()))
    model = keras_zoo.models.get("clip_vit_b32", weights="keras_hub:clip_vit_base_patch32")
    path = str(tmp_path / "clip.weights.h5")
    model.save_weights(path)
    config = hub_weights.MODELS["clip_vit_b32"].config(backbone.get_config())
    loaded = keras_zoo.models.get("clip_vit_b32", weights=path, **config)
    differences = _differences(backbone, loaded)
    assert max(differences.values()) <= 1e-5, differences


def test_clip_errors():
    with pytest.raises(ValueError, match="'vit_base_patch16_224_imagenet' is a keras_hub.models."
                                         "ViTBackbone preset, not one of clip_vit_b32's"):
        keras_zoo.models.get("clip_vit_b32", weights="keras_hub:vit_base_patch16_224_imagenet")
    config = _backbone(SMALL).get_config()
    config["text_encoder"]["config"]["intermediate_activation"] = "gelu"
    # One activation in both towers (quick_gelu or OpenCLIP's exact GELU), not a mix.
    with pytest.raises(NotImplementedError, match=r"'intermediate_activation': \('quick_gelu', "
                                                  r"'gelu'\)"):
        hub_weights.MODELS["clip_vit_b32"].config(config)
    with pytest.raises(ValueError, match="pooling='eos' reads CLIP's \\[EOS\\] token id"):
        keras_zoo.models.get("clip_vit_b32", preset="tiny", text_pooling="eos")
    with pytest.raises(ValueError, match="vocabulary_size=40 is for text_input='token_ids'"):
        keras_zoo.models.get("clip_vit_b32", preset="tiny", vocabulary_size=40)
    with pytest.raises(ValueError, match="activation must be one of"):
        keras_zoo.models.get("clip_vit_b32", preset="tiny", activation="relu")

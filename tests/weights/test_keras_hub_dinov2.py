"""keras-hub DINOv2 alone -> ``depth_anything``'s encoder (Depth Anything starts from DINOv2; the
decoder is new): a randomly initialised ``DINOV2Backbone`` (register tokens, a position table
trained at another size, an odd patch grid) converted by path rules gives the same final
LayerNorm'd tokens as the backbone's output (our last tap); the preset name with
``from_preset`` patched; the errors (SwiGLU giant, another architecture's preset, a conflicting
width naming the first tensor)."""

import keras
import keras_hub
import numpy as np
import pytest

import keras_zoo
from keras_zoo.weights import keras_hub as hub_weights
from keras_zoo.weights import with_preprocessing
from tests.weights.anchors import imagenet_scale_offset, perturbed, random_images

#: DINOv2 at 98 px (7 x 7 patches), its position table trained at 70 px (5 x 5), two
#: registers, four layers.
SMALL = dict(patch_size=14, num_layers=4, hidden_dim=32, num_heads=2, intermediate_dim=64,
             num_register_tokens=2, image_shape=(98, 98, 3),
             position_embedding_shape=(70, 70, 3))
#: dinov2_small's encoder (ViT-S/14, DINOv2's 518-px table) at 224 px.
VIT_S = dict(patch_size=14, num_layers=12, hidden_dim=384, num_heads=6, intermediate_dim=1536,
             image_shape=(224, 224, 3), position_embedding_shape=(518, 518, 3))


def _backbone(config, seed=0, std=0.02):
    return perturbed(keras_hub.models.DINOV2Backbone(**config), seed, std)


def _converter():
    # The presets' converter: ImageNet mean and std on [0, 255] pixels.
    scale, offset = imagenet_scale_offset()
    return keras_hub.layers.DINOV2ImageConverter(scale=scale, offset=offset)


def _last_tap(model):
    """Our last tapped tokens: the final LayerNorm's output on the last layer, with the class
    and register tokens (keras-hub's DINOv2 output)."""
    norm = model.get_layer("encoder_norm")
    last = max(int(layer.name.split("_")[2]) for layer in model.layers
               if layer.name.startswith("encoder_layer_"))
    for node in reversed(norm._inbound_nodes):  # the preprocessed graph's calls come last
        if node.input_tensors[0]._keras_history[0].name == f"encoder_layer_{last}_mlp_add":
            return keras.Model(model.inputs, node.output_tensors[0])
    raise AssertionError("no tap of the last encoder layer")


def _compare(model, backbone, images, atol):
    expected = np.asarray(backbone(np.asarray(_converter()(255.0 * images))))
    actual = np.asarray(_last_tap(model)(images))
    assert np.abs(expected).max() > 1e-2, "degenerate outputs: the comparison would be empty"
    assert np.abs(expected[0] - expected[1]).max() > 1e-3, "outputs do not depend on inputs"
    difference = np.abs(actual - expected).max()
    assert difference <= atol, f"max abs difference {difference:.3g} > {atol}"
    return difference


def _ours(backbone, **config):
    sizes = {**hub_weights.ALSO["depth_anything"][0].config(backbone.get_config()), **config}
    model = keras_zoo.models.get("depth_anything", **sizes)
    hub_weights.convert(backbone, model, "depth_anything", "depth_anything: weights='x'")
    return with_preprocessing(model, hub_weights.converter_affine(_converter()))


@pytest.mark.slow  # the default tier proves the same through the preset name (below)
def test_dinov2_encoder_converts_exactly():
    backbone = _backbone(SMALL)
    config = hub_weights.ALSO["depth_anything"][0].config(backbone.get_config())
    assert config["hooks"] == (1, 2, 3, 4) and config["tap_norm"]
    assert config["num_register_tokens"] == 2
    ours = _ours(backbone, input_shape=(98, 98, 3))
    print(f"depth_anything encoder <- DINOv2 (small anchor): "
          f"{_compare(ours, backbone, random_images((98, 98, 3)), 1e-5):.3g}")


@pytest.mark.slow
def test_dinov2_small_encoder_at_real_size():
    backbone = _backbone(VIT_S, seed=3)
    config = hub_weights.ALSO["depth_anything"][0].config(backbone.get_config())
    assert config["hooks"] == (3, 6, 9, 12) and config["reassemble_dims"] == (48, 96, 192, 384)
    ours = _ours(backbone, input_shape=(224, 224, 3))
    # 12 layers of width 384: float32 rounding, 1e-4 stated.
    print(f"depth_anything encoder <- DINOv2 ViT-S/14 (224 px): "
          f"{_compare(ours, backbone, random_images((224, 224, 3)), 1e-4):.3g}")


def test_dinov2_from_the_preset_name(monkeypatch):
    backbone = _backbone(SMALL, seed=1)
    asked = []

    def from_preset(cls, preset, **kwargs):
        asked.append(preset)
        return backbone

    monkeypatch.setattr(keras_hub.models.DINOV2Backbone, "from_preset", classmethod(from_preset))
    monkeypatch.setattr(keras_hub.layers.DINOV2ImageConverter, "from_preset",
                        classmethod(lambda cls, preset, **kwargs: _converter()))
    model = keras_zoo.models.get("depth_anything",
                                 weights="keras_hub:dinov2_with_registers_small",
                                 input_shape=(98, 98, 3))
    assert asked == ["dinov2_with_registers_small"]
    assert model.get_layer("preprocessing") is not None
    assert model.output_shape == (None, 98, 98, 1)  # the decoder is built, new
    difference = _compare(model, backbone, random_images((98, 98, 3)), 1e-5)
    print(f"depth_anything <- keras_hub:dinov2_with_registers_small (small anchor): "
          f"{difference:.3g}")
    with pytest.raises(ValueError, match=r"depth_anything: weights='keras_hub:dinov2_small' "
                                         r"\(keras_hub.models.DINOV2Backbone\): their tensor "
                                         r"'embeddings/cls_token' \(1, 1, 32\) does not fit "
                                         r"our 'patch_embedding/class_token' \(1, 1, 48\)"):
        keras_zoo.models.get("depth_anything", weights="keras_hub:dinov2_small",
                             input_shape=(98, 98, 3), hidden_dim=48)


def test_dinov2_errors():
    rule = hub_weights.ALSO["depth_anything"][0].config
    config = keras_hub.models.DINOV2Backbone(**SMALL).get_config()
    with pytest.raises(NotImplementedError, match="'use_swiglu_ffn': True"):
        rule({**config, "use_swiglu_ffn": True})
    with pytest.raises(NotImplementedError, match="6 layers"):
        rule({**config, "num_layers": 6})
    with pytest.raises(ValueError, match="'dinov2_giant' is a keras_hub.models.DINOV2Backbone "
                                         "preset, not one of depth_anything's"):
        keras_zoo.models.get("depth_anything", weights="keras_hub:dinov2_giant")
    with pytest.raises(ValueError, match="'dinov2_small' is a keras_hub.models.DINOV2Backbone "
                                         "preset, not one of dpt's"):
        keras_zoo.models.get("dpt", weights="keras_hub:dinov2_small")
    with pytest.raises(ValueError, match="unknown keras-hub preset 'dinov2_tiny'"):
        keras_zoo.models.get("depth_anything", weights="keras_hub:dinov2_tiny")
    accepted = keras_zoo.weights.sources("depth_anything")
    assert "keras_hub:depth_anything_v2_small" in accepted
    assert "keras_hub:dinov2_with_registers_large" in accepted

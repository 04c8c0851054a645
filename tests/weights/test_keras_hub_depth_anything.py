"""keras-hub Depth Anything -> ``depth_anything``: a randomly initialised
``DepthAnythingBackbone`` (a DINOv2 encoder with register tokens, taps through the final
LayerNorm, an odd patch grid and a position table interpolated from another size) converted by
path rules gives the same depth map, encoder, decoder and head; at another image size the
518-px table is resampled as keras-hub resamples it; ``weights="keras_hub:<preset>"`` with
``from_preset`` patched; the errors for a wrong width and an unsupported configuration."""

import keras_hub
import numpy as np
import pytest

import keras_zoo
from keras_zoo.weights import keras_hub as hub_weights
from keras_zoo.weights import with_preprocessing
from tests.weights.anchors import imagenet_scale_offset, perturbed, random_images

#: DINOv2 at 98 px (a 7 x 7 grid: the 1/2 map is 4 x 4, the fusion resizes are not 2x), its
#: position table trained at 70 px (5 x 5), two registers, four layers all tapped.
SMALL_ENCODER = dict(patch_size=14, num_layers=4, hidden_dim=32, num_heads=2,
                     intermediate_dim=64, num_register_tokens=2, image_shape=(98, 98, 3),
                     position_embedding_shape=(70, 70, 3), apply_layernorm=True)
SMALL_NECK = dict(reassemble_factors=[4, 2, 1, 0.5], neck_hidden_dims=[8, 16, 32, 32],
                  fusion_hidden_dim=16, head_hidden_dim=8, head_in_index=-1,
                  feature_keys=["stage1", "stage2", "stage3", "stage4"])
#: Depth-Anything-V2-Small (Hugging Face's depth-anything/Depth-Anything-V2-Small-hf config:
#: DINOv2 ViT-S/14 at 518 px, layers 3, 6, 9, 12 through the final LayerNorm).
V2_SMALL_ENCODER = dict(patch_size=14, num_layers=12, hidden_dim=384, num_heads=6,
                        intermediate_dim=1536, image_shape=(518, 518, 3),
                        position_embedding_shape=(518, 518, 3), apply_layernorm=True)
V2_SMALL_NECK = dict(reassemble_factors=[4, 2, 1, 0.5], neck_hidden_dims=[48, 96, 192, 384],
                     fusion_hidden_dim=64, head_hidden_dim=32, head_in_index=-1,
                     feature_keys=["stage3", "stage6", "stage9", "stage12"])


def _backbone(encoder, neck, seed=0, std=0.02):
    image_encoder = keras_hub.models.DINOV2Backbone(**encoder)
    backbone = keras_hub.models.DepthAnythingBackbone(image_encoder=image_encoder, **neck)
    return perturbed(backbone, seed, std)


def _converter():
    # The presets' converter: ImageNet mean and std on [0, 255] pixels.
    scale, offset = imagenet_scale_offset()
    return keras_hub.layers.DepthAnythingImageConverter(scale=scale, offset=offset)


def _theirs(backbone, images):
    return np.asarray(backbone(np.asarray(_converter()(255.0 * images))))


def _ours(backbone, **config):
    sizes = {**hub_weights.MODELS["depth_anything"].config(backbone.get_config()), **config}
    model = keras_zoo.models.get("depth_anything", **sizes)
    hub_weights.convert(backbone, model, "depth_anything", "depth_anything: weights='x'")
    return with_preprocessing(model, hub_weights.converter_affine(_converter()))


def _assert_same(actual, expected, atol):
    assert np.abs(expected).max() > 1e-2, "degenerate outputs: the comparison would be empty"
    assert np.abs(expected[0] - expected[1]).max() > 1e-3, "outputs do not depend on inputs"
    difference = np.abs(actual - expected).max()
    assert difference <= atol, f"max abs difference {difference:.3g} > {atol}"
    return difference


def test_depth_anything_converts_exactly():
    backbone = _backbone(SMALL_ENCODER, SMALL_NECK)
    config = hub_weights.MODELS["depth_anything"].config(backbone.get_config())
    assert config["hooks"] == (1, 2, 3, 4) and config["tap_norm"]
    assert config["num_register_tokens"] == 2 and config["output_activation"] == "relu"
    # The raw depth channel (keras-hub's backbone has no output activation; its
    # DepthEstimator adds the ReLU of the relative model).
    ours = _ours(backbone, input_shape=(98, 98, 3), output_activation="linear")
    assert ours.output_shape == (None, 98, 98, 1)
    images = random_images((98, 98, 3))
    _assert_same(np.asarray(ours(images)), _theirs(backbone, images), 1e-5)


def test_depth_anything_from_the_preset_name(monkeypatch):
    backbone = _backbone(SMALL_ENCODER, SMALL_NECK, seed=1)
    asked = []

    def from_preset(cls, preset, **kwargs):
        asked.append(preset)
        return backbone

    monkeypatch.setattr(keras_hub.models.DepthAnythingBackbone, "from_preset",
                        classmethod(from_preset))
    monkeypatch.setattr(keras_hub.layers.DepthAnythingImageConverter, "from_preset",
                        classmethod(lambda cls, preset, **kwargs: _converter()))
    model = keras_zoo.models.get("depth_anything", weights="keras_hub:depth_anything_v2_small",
                                 input_shape=(98, 98, 3))
    assert asked == ["depth_anything_v2_small"]
    assert model.get_layer("preprocessing") is not None
    images = random_images((98, 98, 3))
    # The relative model's output: keras-hub's DepthEstimator(depth_estimation_type="relative")
    # is the backbone then a ReLU.
    expected = np.maximum(_theirs(backbone, images), 0.0)
    _assert_same(np.asarray(model(images)), expected, 1e-5)
    with pytest.raises(ValueError, match=r"depth_anything: weights='keras_hub:depth_anything_"
                                         r"v2_small'.*their tensor 'neck/convs_0/kernel' "
                                         r"\(3, 3, 8, 16\) does not fit our 'reassemble1_"
                                         r"features/kernel' \(3, 3, 8, 24\)"):
        keras_zoo.models.get("depth_anything", weights="keras_hub:depth_anything_v2_small",
                             input_shape=(98, 98, 3), features=24)
    # DINOv2 alone loads (test_keras_hub_dinov2.py); DINOv3 is another architecture.
    with pytest.raises(ValueError, match="'dinov3_vit_small_lvd1689m' is a keras_hub.models."
                                         "DINOV3Backbone preset, not one of depth_anything's "
                                         r"\(DepthAnythingBackbone, DINOV2Backbone\)"):
        keras_zoo.models.get("depth_anything", weights="keras_hub:dinov3_vit_small_lvd1689m")


def test_depth_anything_of_another_layout_is_refused():
    encoder = keras_hub.models.DINOV2Backbone(**SMALL_ENCODER)
    config = keras_hub.models.DepthAnythingBackbone(image_encoder=encoder,
                                                    **SMALL_NECK).get_config()
    rule = hub_weights.MODELS["depth_anything"].config
    swiglu = {**config, "image_encoder": {**config["image_encoder"], "config": {
        **config["image_encoder"]["config"], "use_swiglu_ffn": True}}}
    with pytest.raises(NotImplementedError, match="'use_swiglu_ffn': True"):
        rule(swiglu)
    with pytest.raises(NotImplementedError, match="'head_in_index': 0"):
        rule({**config, "head_in_index": 0})


@pytest.mark.slow  # ~2 CPU s: two backbones
def test_depth_anything_at_another_size_resamples_the_trained_table():
    # Ours at 126 px (9 x 9) from a backbone at 98 px: the 70-px table (5 x 5) resampled to
    # 9 x 9, as keras-hub's DINOv2 built at 126 px does from the same weights.
    source = _backbone(SMALL_ENCODER, SMALL_NECK, seed=2)
    target = _backbone(dict(SMALL_ENCODER, image_shape=(126, 126, 3)), SMALL_NECK)
    values = {w.path: np.asarray(w) for w in source.weights}
    for w in target.weights:
        if not w.path.endswith("interpolated_position_embeddings"):
            w.assign(values[w.path])
    embeddings = target.image_encoder.embeddings
    embeddings.interpolated_position_embeddings.assign(
        embeddings._interpolate_position_embeddings(
            embeddings.position_embeddings, patch_size=14, source_shape=(70, 70),
            target_shape=(126, 126)))
    ours = _ours(source, input_shape=(126, 126, 3), output_activation="linear")
    images = random_images((126, 126, 3))
    _assert_same(np.asarray(ours(images)), _theirs(target, images), 1e-5)


@pytest.mark.slow
def test_depth_anything_v2_small_at_real_size():
    # Depth-Anything-V2-Small at 518 x 518: 12 layers of width 384 and a decoder up to
    # 296 x 296 x 64; float32 rounding over the depth, 1e-4 stated.
    backbone = _backbone(V2_SMALL_ENCODER, V2_SMALL_NECK, seed=3)
    ours = _ours(backbone, output_activation="linear")
    assert ours.count_params() == 24_710_849 + 12  # + the preprocessing's matrix and offset
    images = random_images((518, 518, 3))
    difference = _assert_same(np.asarray(ours(images)), _theirs(backbone, images), 1e-4)
    print(f"depth_anything (V2-Small, 518 px): max abs difference {difference:.3g}")

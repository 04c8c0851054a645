"""Every keras-hub preset of the architectures the zoo implements, against what
``keras_zoo.models.get(..., weights="keras_hub:<preset>")`` accepts; the presets too big to
build here (ViT-L/32, Swin-L, ResNet-vd-200, CLIP's LAION H/g/bigG, MetaCLIP 2, GPT-2
medium/large/XL, DeiT; VGG's counts by a shapes-only build) proven by
their mapping: keras-hub's documented hyper-parameters through the conversion's config rule
give a zoo model whose parameter count (by formula, the formula itself checked against a built
model) equals keras-hub's own count in the preset's metadata; and their conversions proven
exact at a reduced size of the same structure, through the preset name with ``from_preset``
patched (no network)."""

import copy
import functools

import keras_hub
import numpy as np
import pytest

import keras_zoo
from keras_zoo.models.multimodal import clip
from keras_zoo.weights import keras_hub as hub_weights
from keras_zoo.weights import with_preprocessing
from tests.weights.anchors import (
    assert_same_outputs,
    calibrate,
    clip_differences,
    imagenet_scale_offset,
    perturbed,
    random_images,
)

#: The backbone classes of the architectures the zoo implements.
BACKBONES = ("ViTBackbone", "SwinTransformerBackbone", "ResNetBackbone", "CLIPBackbone",
             "MetaCLIP2Backbone", "DeiTBackbone", "BertBackbone", "GPT2Backbone",
             "DenseNetBackbone", "EfficientNetBackbone", "MobileNetBackbone", "VGGBackbone",
             "DINOV2Backbone", "DepthAnythingBackbone")

#: Presets of those classes that no zoo model takes, and why (other architectures).
NOT_LOADED = {
    "mobilenet_v3_large_100_imagenet": "MobileNet v3 (the zoo has v1 and v2)",
    "mobilenet_v3_large_100_imagenet_21k": "MobileNet v3",
    "mobilenet_v3_small_050_imagenet": "MobileNet v3",
    "mobilenet_v3_small_100_imagenet": "MobileNet v3",
    "efficientnet_lite0_ra_imagenet": "EfficientNet-Lite (ReLU6, no squeeze-and-excitation)",
    "efficientnet_el_ra_imagenet": "EfficientNet-EdgeTPU (fused MBConv)",
    "efficientnet_em_ra2_imagenet": "EfficientNet-EdgeTPU (fused MBConv)",
    "efficientnet_es_ra_imagenet": "EfficientNet-EdgeTPU (fused MBConv)",
    "efficientnet2_rw_m_agc_imagenet": "EfficientNetV2 (timm's rw)",
    "efficientnet2_rw_s_ra2_imagenet": "EfficientNetV2 (timm's rw)",
    "efficientnet2_rw_t_ra2_imagenet": "EfficientNetV2 (timm's rw)",
    "dinov2_giant": "DINOv2 ViT-g (SwiGLU MLP)",
    "dinov2_with_registers_giant": "DINOv2 ViT-g (SwiGLU MLP)",
}

#: The gaps closed here: preset -> the zoo model that now takes it.
NEW = {"vit_large_patch32_224_imagenet21k": "vit_l32", "vit_large_patch32_384_imagenet": "vit_l32",
       "swin_large_patch4_window7_224": "swin_l", "swin_large_patch4_window12_384": "swin_l",
       "resnet_vd_200_imagenet": "resnet200_vd",
       "metaclip_2_vit_huge_patch14_224": "clip_vit_b32",
       "metaclip_2_vit_huge_patch14_378": "clip_vit_b32",
       "metaclip_2_vit_giant_patch14_224": "clip_vit_b32",
       "metaclip_2_vit_giant_patch14_378": "clip_vit_b32"}


def _accepted():
    """preset -> the zoo models whose ``weights="keras_hub:<preset>"`` takes it."""
    found = {}
    for name in keras_zoo.models.list():
        for preset in hub_weights.presets(name):
            found.setdefault(preset, []).append(name)
    return found


def test_every_preset_of_the_zoos_architectures_is_accounted_for():
    accepted = _accepted()
    for backbone in BACKBONES:
        for preset in getattr(keras_hub.models, backbone).presets:
            if preset in NOT_LOADED:
                assert preset not in accepted, (preset, accepted[preset])
            else:
                assert preset in accepted, f"{backbone} preset {preset!r}: no zoo model takes it"
    for preset, name in NEW.items():
        assert name in accepted[preset]
        # Listed by the model's own weight sources (keras-zoo info NAME).
        assert f"keras_hub:{preset}" in keras_zoo.weights.sources(name)


@functools.lru_cache(maxsize=None)
def _small_config(backbone, **config):
    return getattr(keras_hub.models, backbone)(**config).get_config()


def _with(backbone, small, **documented):
    """A keras-hub config dict of ``backbone``: a small instance's ``get_config()`` (every key
    the class writes, built once) with keras-hub's documented hyper-parameters of a preset."""
    frozen = {key: tuple(value) if isinstance(value, list) else value
              for key, value in small.items()}
    return {**_small_config(backbone, **frozen), **documented}


def _vit_parameters(config, classes=0):
    """The zoo ViT's parameter count by formula at a zoo config (``_vit_config``'s output)."""
    side, patch, width = config["input_shape"][0], config["patch_size"], config["hidden_dim"]
    tokens = (side // patch) ** 2 + 1
    head = (width * classes + classes) if classes else 0
    return (patch * patch * 3 * width + width + width + tokens * width
            + clip.transformer_parameters(config["num_layers"], width, config["mlp_dim"])
            + 2 * width + head)


#: keras-hub's ViT presets: (image size, patch, layers, width, heads, MLP).
VIT_PRESETS = {
    "vit_base_patch16_224_imagenet": (224, 16, 12, 768, 12, 3072),
    "vit_base_patch16_224_imagenet21k": (224, 16, 12, 768, 12, 3072),
    "vit_base_patch16_384_imagenet": (384, 16, 12, 768, 12, 3072),
    "vit_base_patch32_224_imagenet21k": (224, 32, 12, 768, 12, 3072),
    "vit_base_patch32_384_imagenet": (384, 32, 12, 768, 12, 3072),
    "vit_large_patch16_224_imagenet": (224, 16, 24, 1024, 16, 4096),
    "vit_large_patch16_224_imagenet21k": (224, 16, 24, 1024, 16, 4096),
    "vit_large_patch16_384_imagenet": (384, 16, 24, 1024, 16, 4096),
    "vit_large_patch32_224_imagenet21k": (224, 32, 24, 1024, 16, 4096),
    "vit_large_patch32_384_imagenet": (384, 32, 24, 1024, 16, 4096),
    "vit_huge_patch14_224_imagenet21k": (224, 14, 32, 1280, 16, 5120),
}
SMALL_VIT = dict(image_shape=(32, 32, 3), patch_size=8, num_layers=2, num_heads=2, hidden_dim=16,
                 mlp_dim=32)


def test_vit_parameter_formula_is_the_built_models():
    config = hub_weights.MODELS["vit_l32"].config(keras_hub.models.ViTBackbone(
        **SMALL_VIT).get_config())
    built = keras_zoo.models.get("vit_l32", include_top=False, **config)
    assert _vit_parameters(config) == built.count_params()
    # ... and the registry's canonical counts (224 px, 1000 classes).
    for name in ("vit_b16", "vit_b32", "vit_l16", "vit_l32", "vit_h14"):
        entry = keras_zoo.models.info(name)
        canonical = entry.config("canonical", **entry.canonical)
        builder = {"vit_b16": (16, 12, 768, 3072), "vit_b32": (32, 12, 768, 3072),
                   "vit_l16": (16, 24, 1024, 4096), "vit_l32": (32, 24, 1024, 4096),
                   "vit_h14": (14, 32, 1280, 5120)}[name]
        sizes = dict(input_shape=canonical["input_shape"], patch_size=builder[0],
                     num_layers=builder[1], hidden_dim=builder[2], mlp_dim=builder[3])
        assert _vit_parameters(sizes, classes=canonical["classes"]) == entry.params, name


@pytest.mark.parametrize("preset", sorted(VIT_PRESETS))
def test_vit_presets_map_to_the_zoo_model_of_their_size(preset):
    side, patch, layers, width, heads, mlp = VIT_PRESETS[preset]
    hub = _with("ViTBackbone", SMALL_VIT, image_shape=(side, side, 3), patch_size=patch, num_layers=layers,
                hidden_dim=width, num_heads=heads, mlp_dim=mlp)
    [name] = [n for n in ("vit_b16", "vit_b32", "vit_l16", "vit_l32", "vit_h14")
              if preset in hub_weights.presets(n)]
    config = hub_weights.MODELS[name].config(hub)
    assert config == dict(input_shape=(side, side, 3), patch_size=patch, hidden_dim=width,
                          num_layers=layers, num_heads=heads, mlp_dim=mlp)
    # The entry's own sizes are the preset's (only the image size may differ).
    from keras_zoo.models.classification import vit

    letter, entry_patch = name[4].upper(), int(name[5:])
    assert vit.SIZES[letter] == (layers, width, mlp, heads) and entry_patch == patch
    # keras-hub's own count of the preset (backbone, no head) is ours at that config.
    expected = keras_hub.models.ViTBackbone.presets[preset]["metadata"]["params"]
    assert _vit_parameters(config) == expected


#: keras-hub's CLIP presets: image tower (size, patch, width, layers, heads, MLP), text tower
#: (width, layers, heads, MLP), joint width, activation (OpenAI's quick_gelu, OpenCLIP's GELU).
CLIP_PRESETS = {
    "clip_vit_base_patch32": ((224, 32, 768, 12, 12, 3072), (512, 12, 8, 2048), 512,
                              "quick_gelu"),
    "clip_vit_b_32_laion2b_s34b_b79k": ((224, 32, 768, 12, 12, 3072), (512, 12, 8, 2048), 512,
                                        "gelu"),
    "clip_vit_base_patch16": ((224, 16, 768, 12, 12, 3072), (512, 12, 8, 2048), 512,
                              "quick_gelu"),
    "clip_vit_large_patch14": ((224, 14, 1024, 24, 16, 4096), (768, 12, 12, 3072), 768,
                               "quick_gelu"),
    "clip_vit_large_patch14_336": ((336, 14, 1024, 24, 16, 4096), (768, 12, 12, 3072), 768,
                                   "quick_gelu"),
    "clip_vit_h_14_laion2b_s32b_b79k": ((224, 14, 1280, 32, 16, 5120), (1024, 24, 16, 4096),
                                        1024, "gelu"),
    "clip_vit_g_14_laion2b_s12b_b42k": ((224, 14, 1408, 40, 16, 6144), (1024, 24, 16, 4096),
                                        1024, "gelu"),
    "clip_vit_bigg_14_laion2b_39b_b160k": ((224, 14, 1664, 48, 16, 8192),
                                           (1280, 32, 20, 5120), 1280, "gelu"),
}
#: MetaCLIP 2 (XLM-V's 901,629 tokens; the H/14 224 model is the "quickgelu" one).
METACLIP2_PRESETS = {
    "metaclip_2_vit_huge_patch14_224": ((224, 14, 1280, 32, 16, 5120), (1024, 24, 16, 4096),
                                        1024, "quick_gelu"),
    "metaclip_2_vit_huge_patch14_378": ((378, 14, 1280, 32, 16, 5120), (1024, 24, 16, 4096),
                                        1024, "gelu"),
    "metaclip_2_vit_giant_patch14_224": ((224, 14, 1664, 48, 16, 8192), (1280, 32, 20, 5120),
                                         1280, "gelu"),
    "metaclip_2_vit_giant_patch14_378": ((378, 14, 1664, 48, 16, 8192), (1280, 32, 20, 5120),
                                         1280, "gelu"),
}
SMALL_CLIP = dict(vision=dict(patch_size=8, hidden_dim=16, num_layers=2, num_heads=2,
                              intermediate_dim=64, image_shape=(32, 32, 3)),
                  text=dict(vocabulary_size=40, embedding_dim=16, hidden_dim=16, num_layers=2,
                            num_heads=2, intermediate_dim=64, max_sequence_length=12),
                  projection_dim=12)


@functools.lru_cache(maxsize=None)
def _small_clip_config(family):
    return _small_clip(family, SMALL_CLIP).get_config()


def _clip_hub_config(family, vision, text, projection, activation, vocabulary_size):
    side, patch, vw, vl, vh, vmlp = vision
    tw, tl, th, tmlp = text
    small = copy.deepcopy(_small_clip_config(family))
    small["vision_encoder"]["config"].update(
        image_shape=(side, side, 3), patch_size=patch, hidden_dim=vw, num_layers=vl,
        num_heads=vh, intermediate_dim=vmlp, intermediate_activation=activation)
    small["text_encoder"]["config"].update(
        vocabulary_size=vocabulary_size, embedding_dim=tw, hidden_dim=tw, num_layers=tl,
        num_heads=th, intermediate_dim=tmlp, max_sequence_length=77,
        intermediate_activation=activation)
    small["projection_dim"] = projection
    return small


def _clip_parameters(config):
    return clip.clip_vit_parameters(
        image_size=config["input_shape"][0], patch_size=config["patch_size"],
        vision_width=config["vision_width"], vision_layers=config["vision_layers"],
        vocabulary_size=config["vocabulary_size"], sequence_length=config["sequence_length"],
        text_width=config["text_width"], text_layers=config["text_layers"],
        embed_dim=config["embed_dim"], patch_bias=config["patch_bias"],
        vision_mlp_dim=config.get("vision_mlp_dim"), text_mlp_dim=config.get("text_mlp_dim"))


def test_clip_parameter_formula_is_the_built_models():
    hub = _clip_hub_config("CLIPBackbone", (32, 8, 16, 1, 2, 24), (16, 1, 2, 40), 12, "gelu",
                           40)
    config = hub_weights.MODELS["clip_vit_b32"].config(hub)
    assert config["vision_mlp_dim"] == 24 and config["text_mlp_dim"] == 40
    built = keras_zoo.models.get("clip_vit_b32", **config)
    assert _clip_parameters(config) == built.count_params()


@pytest.mark.parametrize("preset", sorted(CLIP_PRESETS) + sorted(METACLIP2_PRESETS))
def test_clip_presets_map_to_the_zoo_clip_at_their_size(preset):
    metaclip = preset in METACLIP2_PRESETS
    family = "MetaCLIP2Backbone" if metaclip else "CLIPBackbone"
    vision, text, projection, activation = (METACLIP2_PRESETS if metaclip else
                                            CLIP_PRESETS)[preset]
    vocabulary = 901629 if metaclip else 49408
    hub = _clip_hub_config(family, vision, text, projection, activation, vocabulary)
    spec = hub_weights._check_preset("clip_vit_b32", preset, preset)
    assert spec.backbone == family
    config = spec.config(hub)
    side, patch, vw, vl, vh, vmlp = vision
    tw, tl, th, tmlp = text
    expected = dict(input_shape=(side, side, 3), patch_size=patch, vision_width=vw,
                    vision_layers=vl, vision_heads=vh, sequence_length=77, text_width=tw,
                    text_layers=tl, text_heads=th, embed_dim=projection, text_input="token_ids",
                    vocabulary_size=vocabulary, causal=True, text_pooling="eos",
                    activation=activation, patch_bias=False,
                    text_norm_epsilon=1e-5 if metaclip else 1e-6)
    if vmlp != 4 * vw:
        expected["vision_mlp_dim"] = vmlp
    if metaclip:
        expected["eos_token_id"] = 2
    assert config == expected
    # keras-hub's count (CLIP's includes its position_ids, one int per image token).
    params = getattr(keras_hub.models, family).presets[preset]["metadata"]["params"]
    position_ids = 0 if metaclip else (side // patch) ** 2 + 1
    assert _clip_parameters(config) + position_ids == params


#: keras-hub's Swin-L presets (window 7 at 224, 12 at 384) and resnet_vd_200_imagenet.
SWIN_L = dict(patch_size=4, embed_dim=192, depths=[2, 2, 18, 2], num_heads=[6, 12, 24, 48],
              mlp_ratio=4.0)
SWIN_L_PRESETS = {"swin_large_patch4_window7_224": (224, 7),
                  "swin_large_patch4_window12_384": (384, 12)}
SMALL_SWIN = dict(image_shape=(32, 32, 3), patch_size=4, embed_dim=8, depths=[2, 2],
                  num_heads=[2, 4], window_size=4)
SMALL_VD = dict(input_conv_filters=[8, 8, 16], input_conv_kernel_sizes=[3, 3, 3],
                stackwise_num_filters=[64, 16], stackwise_num_blocks=[2, 1],
                stackwise_num_strides=[1, 2], block_type="bottleneck_block_vd",
                use_pre_activation=False, image_shape=(36, 36, 3))
RESNET_VD_200 = dict(SMALL_VD, input_conv_filters=[32, 32, 64],
                     stackwise_num_filters=[64, 128, 256, 512],
                     stackwise_num_blocks=[3, 12, 48, 3], stackwise_num_strides=[1, 2, 2, 2],
                     image_shape=(224, 224, 3))


def _swin_l_config(preset):
    side, window = SWIN_L_PRESETS[preset]
    # keras-hub's Swin defaults (qkv_bias, patch_norm) with Swin-L's sizes; no backbone is
    # built (a small one takes seconds).
    hub = dict(SWIN_L, image_shape=(side, side, 3), window_size=window, qkv_bias=True,
               patch_norm=True)
    return hub_weights.MODELS["swin_l"].config(hub)


@pytest.mark.parametrize("preset", sorted(SWIN_L_PRESETS))
def test_swin_l_presets_map_to_swin_l(preset):
    side, window = SWIN_L_PRESETS[preset]
    config = _swin_l_config(preset)
    assert config == dict(input_shape=(side, side, 3), patch_size=4, embed_dim=192,
                          depths=(2, 2, 18, 2), num_heads=(6, 12, 24, 48), window_size=window,
                          mlp_ratio=4.0)
    # The entry's defaults are Swin-L's (C, depths, heads; window 7).
    from keras_zoo.models.classification import swin

    entry = dict(embed_dim=192, depths=(2, 2, 18, 2), num_heads=(6, 12, 24, 48))
    assert {key: config[key] for key in entry} == entry
    assert swin.SwinL.__doc__.startswith("Swin-L: C=192, depths (2, 2, 18, 2), heads (6, 12, 24, "
                                         "48), window 7")


def test_resnet_vd_200_maps_to_resnet200_vd():
    config = hub_weights.MODELS["resnet200_vd"].config(RESNET_VD_200)
    assert config == dict(block="bottleneck", stack_sizes=(3, 12, 48, 3),
                          filters=(64, 128, 256, 512), stem="deep", stem_filters=64,
                          shortcut="avg_projection", stride_at="3x3", use_bias=False,
                          bn_epsilon=1e-5)
    # The entry's defaults are the preset's layout (deep stem, average-pooled shortcut, no
    # biases, BN epsilon 1e-5), here at the tiny size.
    import keras

    from keras_zoo.models.classification import resnet

    tiny = resnet.ResNet200VD(include_top=False, input_shape=(36, 36, 3), stack_sizes=(1, 1),
                              filters=(8, 16), stem_filters=8)
    assert tiny.get_layer("stem3_conv").kernel.shape == (3, 3, 4, 8)
    layers = tiny.layers
    assert any(isinstance(layer, keras.layers.AveragePooling2D) for layer in layers)
    assert all(layer.bias is None for layer in layers if isinstance(layer, keras.layers.Conv2D))
    assert {layer.epsilon for layer in layers
            if isinstance(layer, keras.layers.BatchNormalization)} == {1e-5}


@pytest.mark.slow
@pytest.mark.parametrize("name, preset", [("swin_l", "swin_large_patch4_window7_224"),
                                          ("swin_l", "swin_large_patch4_window12_384"),
                                          ("resnet200_vd", "resnet_vd_200_imagenet")])
def test_big_cnn_presets_parameter_counts_are_keras_hubs(name, preset, deferred):
    # Built at the preset's config, its weights deferred (shapes only): keras-hub's own
    # count of the backbone (Swin, no head) or of the classifier (ResNet-vd, BN statistics
    # and 1000-class head).
    if name == "swin_l":
        model = deferred(lambda: keras_zoo.models.get(name, include_top=False,
                                                      **_swin_l_config(preset)))
        expected = keras_hub.models.SwinTransformerBackbone.presets[preset]["metadata"]["params"]
    else:
        model = deferred(lambda: keras_zoo.models.get(
            name, **hub_weights.MODELS[name].config(RESNET_VD_200)))
        expected = keras_hub.models.ResNetBackbone.presets[preset]["metadata"]["params"]
    assert model.count_params() == expected


def _patch(monkeypatch, backbone_cls, converter_cls, backbone, converter):
    asked = []

    def from_preset(cls, preset, **kwargs):
        asked.append(preset)
        return backbone

    monkeypatch.setattr(getattr(keras_hub.models, backbone_cls), "from_preset",
                        classmethod(from_preset))
    monkeypatch.setattr(getattr(keras_hub.layers, converter_cls), "from_preset",
                        classmethod(lambda cls, preset, **kwargs: converter))
    return asked


def test_vit_l32_from_the_preset_name(monkeypatch):
    backbone = perturbed(keras_hub.models.ViTBackbone(**SMALL_VIT), seed=7)
    converter = keras_hub.layers.ViTImageConverter(scale=1 / 127.5, offset=-1.0)
    asked = _patch(monkeypatch, "ViTBackbone", "ViTImageConverter", backbone, converter)
    model = keras_zoo.models.get("vit_l32", weights="keras_hub:vit_large_patch32_384_imagenet",
                                 include_top=False)
    assert asked == ["vit_large_patch32_384_imagenet"]
    images = random_images((32, 32, 3))
    expected = np.asarray(backbone(np.asarray(converter(255.0 * images))))
    assert np.abs(expected[0] - expected[1]).max() > 1e-3
    difference = np.abs(np.asarray(model(images)) - expected).max()
    print(f"vit_l32 <- keras_hub:vit_large_patch32_384_imagenet (small anchor): {difference:.3g}")
    assert difference <= 1e-5, difference


@pytest.mark.slow  # 5 s; test_keras_hub.py proves the Swin rules in the default tier
def test_swin_l_from_the_preset_name(monkeypatch):
    backbone = perturbed(keras_hub.models.SwinTransformerBackbone(**SMALL_SWIN), seed=8)
    scale, offset = imagenet_scale_offset()
    converter = keras_hub.layers.SwinTransformerImageConverter(scale=scale, offset=offset)
    asked = _patch(monkeypatch, "SwinTransformerBackbone", "SwinTransformerImageConverter",
                   backbone, converter)
    model = keras_zoo.models.get("swin_l", weights="keras_hub:swin_large_patch4_window12_384",
                                 include_top=False)
    assert asked == ["swin_large_patch4_window12_384"]
    images = random_images((32, 32, 3))
    expected = np.asarray(backbone(np.asarray(converter(255.0 * images))))
    assert np.abs(expected[0] - expected[1]).max() > 1e-3
    actual = np.asarray(model(images)).reshape(expected.shape)
    difference = np.abs(actual - expected).max()
    print(f"swin_l <- keras_hub:swin_large_patch4_window12_384 (small anchor): {difference:.3g}")
    assert difference <= 1e-5, difference


def test_resnet200_vd_from_the_preset_name(monkeypatch):
    hub = keras_hub.models.ResNetBackbone(**dict(SMALL_VD, stackwise_num_blocks=[1, 1]))
    calibrate(hub, random_images((36, 36, 3), n=8, seed=1), floor=0.5)
    scale, offset = imagenet_scale_offset()
    converter = keras_hub.layers.ResNetImageConverter(scale=scale, offset=offset)
    asked = _patch(monkeypatch, "ResNetBackbone", "ResNetImageConverter", hub, converter)
    model = keras_zoo.models.get("resnet200_vd", weights="keras_hub:resnet_vd_200_imagenet",
                                 include_top=False, input_shape=(36, 36, 3))
    assert asked == ["resnet_vd_200_imagenet"]
    images = random_images((36, 36, 3))
    difference = assert_same_outputs(model, hub, images, np.asarray(converter(255.0 * images)))
    print(f"resnet200_vd <- keras_hub:resnet_vd_200_imagenet (small anchor): {difference:.3g}")


#: CLIP's image normalisation (the CLIP and MetaCLIP 2 presets' converters).
MEAN = np.array([0.48145466, 0.4578275, 0.40821073])
STD = np.array([0.26862954, 0.26130258, 0.27577711])


def _small_clip(family, config, seed=0, std=0.2):
    """A small ``CLIPBackbone`` or ``MetaCLIP2Backbone`` of ``config``, every weight perturbed
    (CLIP's ``position_ids`` set to ``arange``, as in its presets)."""
    prefix = "MetaCLIP2" if family == "MetaCLIP2Backbone" else "CLIP"
    vision = getattr(keras_hub.models, f"{prefix}VisionEncoder")(**config["vision"],
                                                                  name="vision_encoder")
    text = getattr(keras_hub.models, f"{prefix}TextEncoder")(**config["text"],
                                                             name="text_encoder")
    backbone = getattr(keras_hub.models, family)(vision, text,
                                                 projection_dim=config["projection_dim"])
    rng = np.random.default_rng(seed)
    for variable in backbone.weights:
        if "position_ids" in variable.path:
            variable.assign(np.arange(variable.shape[1])[None])
        elif not variable.path.endswith("logit_scale"):
            value = np.asarray(variable)
            variable.assign((value + rng.normal(0, std, value.shape)).astype(value.dtype))
    return backbone


def _tokens(vocabulary_size, length, eos, padding, seed=0):
    """Three captions with one [EOS] each (at 5, at the end, at 2), padding after it."""
    tokens = np.random.default_rng(seed).integers(3, vocabulary_size - 1, (3, length))
    tokens[0, 5], tokens[0, 6:] = eos, padding
    tokens[1, -1] = eos
    tokens[2, 2], tokens[2, 3:] = eos, padding
    return tokens.astype("int32")


#: OpenCLIP g/14's and bigG/14's layout at a small size: exact GELU, an image MLP narrower
#: than 4x (48 for width 16, as 6144 for 1408), a 4x text MLP.
SMALL_OPENCLIP_G = dict(SMALL_CLIP, vision=dict(SMALL_CLIP["vision"], intermediate_dim=48,
                                                 intermediate_activation="gelu"),
                        text=dict(SMALL_CLIP["text"], intermediate_activation="gelu"))
#: MetaCLIP 2 bigG's layout at a small size (exact GELU, image MLP narrower than 4x).
SMALL_METACLIP2 = SMALL_OPENCLIP_G


def _clip_converter(family):
    cls = getattr(keras_hub.layers, family.replace("Backbone", "ImageConverter"))
    return cls(scale=list(1 / (255 * STD)), offset=list(-MEAN / STD))


@pytest.mark.parametrize("family, preset, config", [
    # The default tier builds the g/14 layout (test_clip_parameter_formula_...) and proves
    # the CLIP walk through clip_vit_base_patch32 (test_keras_hub_clip.py).
    pytest.param("CLIPBackbone", "clip_vit_g_14_laion2b_s12b_b42k", SMALL_OPENCLIP_G,
                 marks=pytest.mark.slow),
    ("MetaCLIP2Backbone", "metaclip_2_vit_giant_patch14_378", SMALL_METACLIP2),
])
def test_clip_layouts_from_the_preset_name(monkeypatch, family, preset, config):
    backbone = _small_clip(family, config, seed=9)
    converter = _clip_converter(family)
    asked = _patch(monkeypatch, family, family.replace("Backbone", "ImageConverter"), backbone,
                   converter)
    model = keras_zoo.models.get("clip_vit_b32", weights=f"keras_hub:{preset}")
    assert asked == [preset]
    assert model.get_layer("image_encoder").layers[1].name == "preprocessing"
    metaclip = family == "MetaCLIP2Backbone"
    # MetaCLIP 2: [EOS] is id 2 (the largest id appears elsewhere), padding id 1.
    tokens = (_tokens(40, 12, eos=2, padding=1) if metaclip
              else _tokens(40, 12, eos=39, padding=0))
    if metaclip:
        tokens[:, 0] = 39  # the largest id first: CLIP's rule would read position 0
    differences = clip_differences(backbone, model, converter, tokens)
    print(f"clip_vit_b32 <- keras_hub:{preset} (small anchor): {differences}")
    assert max(differences.values()) <= 1e-5, differences


@pytest.mark.slow
@pytest.mark.parametrize("overrides, changed", [
    ({"eos_token_id": None}, "text"),         # CLIP's largest-id rule misses MetaCLIP 2's [EOS]
    ({"activation": "quick_gelu"}, "image"),  # not the exact GELU of the config
])
def test_metaclip2_switches_are_needed(overrides, changed):
    backbone = _small_clip("MetaCLIP2Backbone", SMALL_METACLIP2, seed=10)
    zoo_config = {**hub_weights._metaclip2_config(backbone.get_config()), **overrides}
    model = keras_zoo.models.get("clip_vit_b32", **zoo_config)
    spec = hub_weights.ALSO["clip_vit_b32"][0]
    hub_weights.convert(backbone, model, "clip_vit_b32", "clip_vit_b32", spec)
    converter = _clip_converter("MetaCLIP2Backbone")
    model = with_preprocessing(model, hub_weights.converter_affine(converter))
    tokens = _tokens(40, 12, eos=2, padding=1)
    tokens[:, 0] = 39
    differences = clip_differences(backbone, model, converter, tokens)
    assert differences[changed] > 1e-3, differences


def test_clip_config_errors():
    hub = _clip_hub_config("CLIPBackbone", (32, 8, 16, 2, 2, 64), (16, 2, 2, 64), 12,
                           "quick_gelu", 40)
    hub["text_encoder"]["config"]["intermediate_activation"] = "gelu"
    with pytest.raises(NotImplementedError, match=r"'intermediate_activation': \('quick_gelu', "
                                                  r"'gelu'\)"):
        hub_weights.MODELS["clip_vit_b32"].config(hub)
    with pytest.raises(ValueError, match="eos_token_id=2 is for pooling='eos'"):
        keras_zoo.models.get("clip_vit_b32", preset="tiny", eos_token_id=2)
    with pytest.raises(ValueError, match="mlp_dim"):
        keras_zoo.models.get("clip_vit_b32", preset="tiny", vision_mlp_dim=0)


@pytest.mark.slow
def test_vit_l32_real_size_converts():
    # ViT-L/32 at 224: 24 layers of width 1024; float32 rounding over the depth, 1e-4 stated.
    side, patch, layers, width, heads, mlp = VIT_PRESETS["vit_large_patch32_224_imagenet21k"]
    backbone = perturbed(keras_hub.models.ViTBackbone(
        image_shape=(side, side, 3), patch_size=patch, num_layers=layers, hidden_dim=width,
        num_heads=heads, mlp_dim=mlp))
    config = hub_weights.MODELS["vit_l32"].config(backbone.get_config())
    ours = keras_zoo.models.get("vit_l32", include_top=False, **config)
    hub_weights.convert(backbone, ours, "vit_l32", "vit_l32")
    converter = keras_hub.layers.ViTImageConverter(scale=1 / 127.5, offset=-1.0)
    ours = with_preprocessing(ours, hub_weights.converter_affine(converter))
    images = random_images((side, side, 3))
    expected = np.asarray(backbone(np.asarray(converter(255.0 * images))))
    difference = np.abs(np.asarray(ours(images)) - expected).max()
    print(f"vit_l32 <- keras-hub ViT-L/32 (224): {difference:.3g}")
    assert difference <= 1e-4, difference


def _shapes_only(build):
    """``build()`` inside a ``keras.StatelessScope`` that defers the variables' initialization
    (tests/models/classification/test_vgg.py): every variable created with its shape, none
    drawn, so a big model's count costs its graph only."""
    import keras

    with keras.StatelessScope(initialize_variables=False):
        model = build()
    assert all(v._value is None for v in model.weights)  # deferred indeed
    return model


@pytest.fixture
def deferred():
    import keras

    yield _shapes_only
    keras.backend.clear_session()  # forget the deferred variables (never initialized)


# --- GPT-2: every gpt2_* preset --------------------------------------------------------------

#: keras-hub's GPT-2 presets: (layers, width, heads), each the zoo's GPT-2 size of that name
#: (``gpt.GPT2``); all have 50,257 tokens, 1,024 positions, d_ff = 4 d. The CNN/DailyMail
#: preset is the 124M model fine-tuned.
GPT2_PRESETS = {"gpt2_base_en": ("124M", 12, 768, 12),
                "gpt2_base_en_cnn_dailymail": ("124M", 12, 768, 12),
                "gpt2_medium_en": ("355M", 24, 1024, 16),
                "gpt2_large_en": ("774M", 36, 1280, 20),
                "gpt2_extra_large_en": ("1.5B", 48, 1600, 25)}
SMALL_GPT2 = dict(vocabulary_size=40, num_layers=2, num_heads=2, hidden_dim=16,
                  intermediate_dim=32, max_sequence_length=16)


def _gpt2_parameters(config):
    from keras_zoo.models.sequence.gpt import gpt_parameters

    return gpt_parameters(config["vocabulary_size"], config["num_layers"], config["hidden_dim"],
                          config["sequence_length"], intermediate_dim=config["intermediate_dim"])


def test_gpt2_parameter_formula_is_the_built_models():
    config = hub_weights.MODELS["gpt2"].config(_small_config("GPT2Backbone", **SMALL_GPT2))
    assert _gpt2_parameters(config) == keras_zoo.models.get("gpt2", **config).count_params()


def test_every_gpt2_preset_is_in_the_table():
    assert sorted(GPT2_PRESETS) == sorted(keras_hub.models.GPT2Backbone.presets)
    assert sorted(GPT2_PRESETS) == sorted(hub_weights.presets("gpt2"))


@pytest.mark.parametrize("preset", sorted(GPT2_PRESETS))
def test_gpt2_presets_map_to_the_zoo_gpt2_of_their_size(preset):
    from keras_zoo.models.sequence import gpt

    size, layers, width, heads = GPT2_PRESETS[preset]
    metadata = keras_hub.models.GPT2Backbone.presets[preset]["metadata"]
    assert metadata["description"].startswith(f"{layers}-layer GPT-2 model")
    hub = _with("GPT2Backbone", SMALL_GPT2, vocabulary_size=50257, num_layers=layers,
                num_heads=heads, hidden_dim=width, intermediate_dim=4 * width,
                max_sequence_length=1024)
    spec = hub_weights._check_preset("gpt2", preset, preset)
    assert spec.backbone == "GPT2Backbone"
    config = spec.config(hub)
    # dropout: keras-hub's 0.1 (training only), carried over.
    assert config == dict(vocabulary_size=50257, num_layers=layers, hidden_dim=width,
                          num_heads=heads, intermediate_dim=4 * width, sequence_length=1024,
                          dropout=0.1, activation="gelu_approximate")
    # The zoo's GPT-2 size of that name, and its vocabulary and context.
    assert gpt.GPT2[size] == dict(num_layers=layers, hidden_dim=width, num_heads=heads)
    assert (gpt.GPT2_VOCABULARY_SIZE, gpt.GPT2_CONTEXT) == (50257, 1024)
    # keras-hub's own count of the preset (the tied output projection counted once).
    assert _gpt2_parameters(config) == metadata["params"]
    if size == "124M":
        assert keras_zoo.models.info("gpt2").params == metadata["params"]


# --- DeiT: every deit_* preset ---------------------------------------------------------------

#: keras-hub's DeiT presets (all distilled): (zoo model, image size, width, heads); all have
#: 16x16 patches, 12 layers, MLP 4 x width (Table 1).
DEIT_PRESETS = {
    "deit_tiny_distilled_patch16_224_imagenet": ("deit_ti_distilled", 224, 192, 3),
    "deit_small_distilled_patch16_224_imagenet": ("deit_s_distilled", 224, 384, 6),
    "deit_base_distilled_patch16_224_imagenet": ("deit_b_distilled", 224, 768, 12),
    "deit_base_distilled_patch16_384_imagenet": ("deit_b_distilled", 384, 768, 12),
}
SMALL_DEIT = dict(image_shape=(32, 32, 3), patch_size=8, num_layers=2, num_heads=2,
                  hidden_dim=16, intermediate_dim=32)


def _deit_parameters(config):
    """A distilled DeiT's encoder (``include_top=False``): ViT's, plus the distillation token
    and its row of the position table."""
    return _vit_parameters(config) + 2 * config["hidden_dim"]


def test_deit_parameter_formula_is_the_built_models():
    config = hub_weights.MODELS["deit_s_distilled"].config(_small_config("DeiTBackbone",
                                                                         **SMALL_DEIT))
    built = keras_zoo.models.get("deit_s_distilled", include_top=False, **config)
    assert _deit_parameters(config) == built.count_params()


def test_every_deit_preset_is_in_the_table():
    assert sorted(DEIT_PRESETS) == sorted(keras_hub.models.DeiTBackbone.presets)


@pytest.mark.parametrize("preset", sorted(DEIT_PRESETS))
def test_deit_presets_map_to_the_zoo_deit_of_their_size(preset):
    from keras_zoo.models.classification import deit

    name, side, width, heads = DEIT_PRESETS[preset]
    metadata = keras_hub.models.DeiTBackbone.presets[preset]["metadata"]
    letter = {"ti": "T", "s": "S", "b": "B"}[name.split("_")[1]]
    assert metadata["description"].startswith(f"DeiT-{letter}16 model")
    assert f"resolution of {side}x{side}" in metadata["description"]
    hub = _with("DeiTBackbone", SMALL_DEIT, image_shape=(side, side, 3), patch_size=(16, 16),
                num_layers=12, num_heads=heads, hidden_dim=width, intermediate_dim=4 * width)
    assert hub_weights.presets(name).count(preset) == 1
    spec = hub_weights._check_preset(name, preset, preset)
    assert spec.backbone == "DeiTBackbone"
    config = spec.config(hub)
    assert config == dict(input_shape=(side, side, 3), patch_size=16, hidden_dim=width,
                          num_layers=12, num_heads=heads, mlp_dim=4 * width)
    # The entry's own sizes are the preset's (only the image size may differ).
    assert deit.SIZES[name.split("_")[1]] == (width, heads)
    # keras-hub's own count of the preset (the backbone: no head).
    assert _deit_parameters(config) == metadata["params"]


def test_deit_ti_from_the_preset_name(monkeypatch):
    backbone = perturbed(keras_hub.models.DeiTBackbone(**SMALL_DEIT), seed=11)
    converter = keras_hub.layers.DeiTImageConverter(scale=1 / 127.5, offset=-1.0)
    preset = "deit_tiny_distilled_patch16_224_imagenet"
    asked = _patch(monkeypatch, "DeiTBackbone", "DeiTImageConverter", backbone, converter)
    model = keras_zoo.models.get("deit_ti_distilled", weights=f"keras_hub:{preset}",
                                 include_top=False)
    assert asked == [preset]
    images = random_images((32, 32, 3))
    expected = np.asarray(backbone(np.asarray(converter(255.0 * images))))
    assert np.abs(expected[0] - expected[1]).max() > 1e-3
    difference = np.abs(np.asarray(model(images)) - expected).max()
    print(f"deit_ti_distilled <- keras_hub:{preset} (small anchor): {difference:.3g}")
    assert difference <= 1e-5, difference


# --- VGG: every vgg_* preset -----------------------------------------------------------------

#: keras-hub's VGG presets: (zoo model, Table 1 configuration, convolutions per block); filters
#: 64, 128, 256, 512, 512 in all.
VGG_PRESETS = {"vgg_11_imagenet": ("vgg11", "A", (1, 1, 2, 2, 2)),
               "vgg_13_imagenet": ("vgg13", "B", (2, 2, 2, 2, 2)),
               "vgg_16_imagenet": ("vgg16", "D", (2, 2, 3, 3, 3)),
               "vgg_19_imagenet": ("vgg19", "E", (2, 2, 4, 4, 4))}
VGG_FILTERS = (64, 128, 256, 512, 512)


def _vgg_parameters(repeats, width=1.0):
    """VGG's convolutions (keras-hub's backbone, the zoo's ``include_top=False``): 3x3 kernels
    and biases, block by block."""
    total, channels = 0, 3
    for count, filters in zip(repeats, VGG_FILTERS, strict=True):
        filters = int(filters * width)
        for _ in range(count):
            total += 9 * channels * filters + filters
            channels = filters
    return total


def test_every_vgg_preset_is_in_the_table():
    assert sorted(VGG_PRESETS) == sorted(keras_hub.models.VGGBackbone.presets)


@pytest.mark.parametrize("preset", sorted(VGG_PRESETS))
def test_vgg_presets_map_to_the_zoo_vgg_of_their_depth(preset):
    from keras_zoo.models.classification import vgg

    name, letter, repeats = VGG_PRESETS[preset]
    metadata = keras_hub.models.VGGBackbone.presets[preset]["metadata"]
    assert metadata["description"].startswith(f"{sum(repeats) + 3}-layer vgg model")
    hub = dict(stackwise_num_repeats=list(repeats), stackwise_num_filters=list(VGG_FILTERS),
               image_shape=(224, 224, 3))
    assert set(hub) == set(keras_hub.models.VGGBackbone(
        stackwise_num_repeats=[1], stackwise_num_filters=[4], image_shape=(8, 8, 3)).get_config())
    assert hub_weights.presets(name) == [preset]
    config = hub_weights._check_preset(name, preset, preset).config(hub)
    assert config == dict(config=letter)
    # The entry builds that configuration: Table 1's blocks.
    blocks = vgg.VGG_CONFIGS[letter]
    assert tuple(len(block) for block in blocks) == repeats
    assert tuple(block[0] for block in blocks) == VGG_FILTERS
    assert all(isinstance(step, int) for block in blocks for step in block)  # 3x3 convs only
    assert _vgg_parameters(repeats) == metadata["params"]


def test_vgg_presets_built_count_as_keras_hubs(deferred):
    # The zoo models at the presets' configs, shapes only (no weights drawn; one
    # clear_session for the four).
    for preset, (name, letter, _) in VGG_PRESETS.items():
        model = deferred(functools.partial(keras_zoo.models.get, name, include_top=False,
                                           input_shape=(224, 224, 3), config=letter))
        expected = keras_hub.models.VGGBackbone.presets[preset]["metadata"]["params"]
        assert model.count_params() == expected, preset


def test_vgg_converts_exactly_at_an_eighth_of_the_width():
    # VGG16's layout (2, 2, 3, 3, 3) with an eighth of the filters (8 ... 64) on 32x32 images:
    # the structure transfer keras-hub's VGG presets use, in the default tier (the full width
    # is slow: test_keras_hub.py). The config rule maps Table 1's filters only, so the zoo
    # model takes width=0.125 here.
    repeats = VGG_PRESETS["vgg_16_imagenet"][2]
    hub = keras_hub.models.VGGBackbone(stackwise_num_repeats=list(repeats),
                                       stackwise_num_filters=[f // 8 for f in VGG_FILTERS],
                                       image_shape=(32, 32, 3))
    with pytest.raises(NotImplementedError, match="not one of Table 1's"):
        hub_weights.MODELS["vgg16"].config(hub.get_config())
    calibrate(hub, random_images((32, 32, 3), n=8, seed=1))
    ours = keras_zoo.models.get("vgg16", include_top=False, input_shape=(32, 32, 3), width=0.125)
    assert ours.count_params() == hub.count_params() == _vgg_parameters(repeats, 0.125)
    hub_weights.convert(hub, ours, "vgg16", "vgg16: weights='keras_hub:vgg_16_imagenet'")
    scale, offset = imagenet_scale_offset()
    converter = keras_hub.layers.VGGImageConverter(scale=scale, offset=offset)
    ours = with_preprocessing(ours, hub_weights.converter_affine(converter))
    images = random_images((32, 32, 3))
    difference = assert_same_outputs(ours, hub, images, np.asarray(converter(255.0 * images)))
    print(f"vgg16 <- keras-hub VGG16 layout at width 1/8: {difference:.3g}")


@pytest.mark.slow  # ~9 s in all: the graphs of GPT-2 up to 48 layers and of DeiT-B
@pytest.mark.parametrize("preset", sorted(GPT2_PRESETS) + sorted(DEIT_PRESETS))
def test_gpt2_and_deit_presets_built_count_as_keras_hubs(preset, deferred):
    # The zoo model at the preset's config, shapes only: keras-hub's count without the formula.
    if preset in GPT2_PRESETS:
        _, layers, width, heads = GPT2_PRESETS[preset]
        config = hub_weights.MODELS["gpt2"].config(_with(
            "GPT2Backbone", SMALL_GPT2, vocabulary_size=50257, num_layers=layers,
            num_heads=heads, hidden_dim=width, intermediate_dim=4 * width,
            max_sequence_length=1024))
        model = deferred(lambda: keras_zoo.models.get("gpt2", **config))
        expected = keras_hub.models.GPT2Backbone.presets[preset]["metadata"]["params"]
    else:
        name, side, width, heads = DEIT_PRESETS[preset]
        config = hub_weights.MODELS[name].config(_with(
            "DeiTBackbone", SMALL_DEIT, image_shape=(side, side, 3), patch_size=(16, 16),
            num_layers=12, num_heads=heads, hidden_dim=width, intermediate_dim=4 * width))
        model = deferred(lambda: keras_zoo.models.get(name, include_top=False, **config))
        expected = keras_hub.models.DeiTBackbone.presets[preset]["metadata"]["params"]
    assert model.count_params() == expected


def test_deit_weights_with_the_top_are_refused_before_any_download(monkeypatch):
    # The distilled DeiT with its two heads is subclassed and DeiTBackbone has no head: with
    # include_top (the default) the load used to fail deep in the conversion ("'head/kernel'
    # has no counterpart"); now one line says what to pass, and nothing is fetched.
    import keras_hub

    def fetch(*args, **kwargs):
        raise AssertionError("from_preset called")

    monkeypatch.setattr(keras_hub.models.DeiTBackbone, "from_preset", fetch)
    with pytest.raises(ValueError, match="include_top=False"):
        keras_zoo.models.get("deit_ti_distilled",
                             weights="keras_hub:deit_tiny_distilled_patch16_224_imagenet")

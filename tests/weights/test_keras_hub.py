"""keras-hub -> keras-zoo: ViT backbones built from their class constructors (no network),
converted by path rules, equal outputs; ``weights="keras_hub:<preset>"`` with ``from_preset``
patched; the errors for an unknown preset and a preset of another architecture."""

import keras_hub
import numpy as np
import pytest

import keras_zoo
from keras_zoo.weights import keras_hub as hub_weights
from keras_zoo.weights import with_preprocessing
from tests.weights.anchors import perturbed as _perturbed
from tests.weights.anchors import random_images

#: A 2-layer ViT of the same architecture (default tier) and the real ViT-B/16 and L/16
#: (keras-hub's documented hyper-parameters of vit_base_patch16_224_imagenet and
#: vit_large_patch16_224_imagenet; slow tier).
SMALL = dict(image_shape=(32, 32, 3), patch_size=8, num_layers=2, num_heads=2, hidden_dim=16,
             mlp_dim=32)
BASE = dict(image_shape=(224, 224, 3), patch_size=16, num_layers=12, num_heads=12,
            hidden_dim=768, mlp_dim=3072)
LARGE = dict(image_shape=(224, 224, 3), patch_size=16, num_layers=24, num_heads=16,
             hidden_dim=1024, mlp_dim=4096)


def _converter():
    # The ViT presets' converter: [0, 255] pixels to [-1, 1] (HF's mean 0.5, std 0.5).
    return keras_hub.layers.ViTImageConverter(scale=1 / 127.5, offset=-1.0)


def _compare(name, config, atol):
    backbone = _perturbed(keras_hub.models.ViTBackbone(**config))
    defaults = hub_weights.MODELS[name].config(backbone.get_config())
    ours = keras_zoo.models.get(name, include_top=False, **defaults)
    hub_weights.convert(backbone, ours, name, name)
    ours = with_preprocessing(ours, hub_weights.converter_affine(_converter()))
    images = random_images(config["image_shape"], n=2)
    expected = np.asarray(backbone(np.asarray(_converter()(255.0 * images))))
    actual = np.asarray(ours(images))
    assert np.abs(expected).max() > 1e-2
    difference = np.abs(actual - expected).max()
    assert difference <= atol, difference
    return difference


def test_vit_small_backbone_converts_exactly():
    _compare("vit_b16", SMALL, atol=1e-5)


@pytest.mark.slow
@pytest.mark.parametrize("name, config", [("vit_b16", BASE), ("vit_l16", LARGE)])
def test_vit_real_sizes_convert(name, config):
    # 12 / 24 layers of width 768 / 1024: float32 rounding over the depth; 1e-4 stated.
    _compare(name, config, atol=1e-4)


def test_keras_hub_path_from_the_name_to_equal_outputs(monkeypatch):
    backbone = _perturbed(keras_hub.models.ViTBackbone(**SMALL))
    asked = []

    def backbone_from_preset(cls, preset, **kwargs):
        asked.append(preset)
        return backbone

    monkeypatch.setattr(keras_hub.models.ViTBackbone, "from_preset",
                        classmethod(backbone_from_preset))
    monkeypatch.setattr(keras_hub.layers.ViTImageConverter, "from_preset",
                        classmethod(lambda cls, preset, **kwargs: _converter()))
    model = keras_zoo.models.get("vit_b16", weights="keras_hub:vit_base_patch16_224_imagenet",
                                 classes=5)
    assert asked == ["vit_base_patch16_224_imagenet"]
    assert model.output_shape == (None, 5)  # the head is new; the backbone loaded
    images = random_images((32, 32, 3))
    features = keras_zoo.models.get("vit_b16", weights="keras_hub:vit_base_patch16_224_imagenet",
                                    include_top=False)
    expected = np.asarray(backbone(np.asarray(_converter()(255.0 * images))))
    np.testing.assert_allclose(np.asarray(features(images)), expected, atol=1e-5, rtol=0)


def test_unknown_preset_is_one_clear_error():
    with pytest.raises(ValueError, match="vit_b16: weights='keras_hub:vit_tiny_nonexistent': "
                                         "unknown keras-hub preset"):
        keras_zoo.models.get("vit_b16", weights="keras_hub:vit_tiny_nonexistent")


def test_preset_of_another_architecture_is_one_clear_error():
    with pytest.raises(ValueError, match="'bert_base_en' is a keras_hub.models.BertBackbone "
                                         "preset, not one of vit_b16's"):
        keras_zoo.models.get("vit_b16", weights="keras_hub:bert_base_en")


def test_model_without_a_keras_hub_twin_is_an_error():
    with pytest.raises(ValueError, match="lenet5: .*no keras-hub backbone"):
        keras_zoo.models.get("lenet5", weights="keras_hub:vit_base_patch16_224_imagenet")


def test_mismatching_config_names_the_first_tensor():
    backbone = _perturbed(keras_hub.models.ViTBackbone(**SMALL))
    ours = keras_zoo.models.get("vit_b16", include_top=False, input_shape=(32, 32, 3),
                                patch_size=8, num_layers=2, num_heads=2, hidden_dim=16,
                                mlp_dim=64)
    with pytest.raises(ValueError, match=r"dense_1/kernel' \(16, 32\) does not fit our "
                                         r"'encoder_layer_0_mlp_dense_1/kernel' \(16, 64\)"):
        hub_weights.convert(backbone, ours, "vit_b16", "vit_b16: weights='keras_hub:x'")


SMALL_RESNET = dict(input_conv_filters=[64], input_conv_kernel_sizes=[7],
                    stackwise_num_filters=[64, 128], stackwise_num_blocks=[2, 2],
                    stackwise_num_strides=[1, 2], block_type="bottleneck_block",
                    use_pre_activation=False, image_shape=(32, 32, 3))
#: keras-hub's documented hyper-parameters of resnet_50_imagenet, resnet_18_imagenet and
#: vgg_16_imagenet.
RESNET50 = dict(SMALL_RESNET, stackwise_num_filters=[64, 128, 256, 512],
                stackwise_num_blocks=[3, 4, 6, 3], stackwise_num_strides=[1, 2, 2, 2])
RESNET18 = dict(RESNET50, stackwise_num_blocks=[2, 2, 2, 2], block_type="basic_block")
VGG16 = dict(stackwise_num_repeats=[2, 2, 3, 3, 3],
             stackwise_num_filters=[64, 128, 256, 512, 512], image_shape=(32, 32, 3))
#: Two stages of B0's MBConv at width 0.5 (a stride-2 5x5 depthwise, squeeze-and-excitation and
#: a residual exercised); keras-hub's timm conversion settings (include_stem_padding, BN epsilon
#: 1e-5, timm's filter rounding). EFFICIENTNET_B0 is the configuration keras-hub's timm
#: converter gives efficientnet_b0 (the presets' configs come only with the download).
SMALL_EFFICIENTNET = dict(
    stackwise_width_coefficients=[0.5] * 2, stackwise_depth_coefficients=[1.0] * 2,
    stackwise_kernel_sizes=[3, 5], stackwise_num_repeats=[1, 2],
    stackwise_input_filters=[32, 16], stackwise_output_filters=[16, 24],
    stackwise_expansion_ratios=[1, 6], stackwise_squeeze_and_excite_ratios=[0.25] * 2,
    stackwise_strides=[1, 2], stackwise_block_types=["v1"] * 2,
    stackwise_force_input_filters=[0] * 2, stackwise_nores_option=[False] * 2,
    min_depth=None, include_stem_padding=True, use_depth_divisor_as_min_depth=True,
    cap_round_filter_decrease=True, stem_conv_padding="valid", batch_norm_momentum=0.9,
    batch_norm_epsilon=1e-5, dropout=0, projection_activation=None, input_shape=(32, 32, 3))
EFFICIENTNET_B0 = dict(
    SMALL_EFFICIENTNET, stackwise_width_coefficients=[1.0] * 7,
    stackwise_depth_coefficients=[1.0] * 7, stackwise_kernel_sizes=[3, 3, 5, 3, 5, 5, 3],
    stackwise_num_repeats=[1, 2, 2, 3, 3, 4, 1],
    stackwise_input_filters=[32, 16, 24, 40, 80, 112, 192],
    stackwise_output_filters=[16, 24, 40, 80, 112, 192, 320],
    stackwise_expansion_ratios=[1, 6, 6, 6, 6, 6, 6],
    stackwise_squeeze_and_excite_ratios=[0.25] * 7, stackwise_strides=[1, 2, 2, 2, 1, 2, 1],
    stackwise_block_types=["v1"] * 7, stackwise_force_input_filters=[0] * 7,
    stackwise_nores_option=[False] * 7)
#: Two dense blocks of 1 and 2 layers, k = 4: the stem (where keras-hub pads differently) and
#: a transition are exercised. keras-hub's documented densenet_121_imagenet: repeats
#: [6, 12, 24, 16], k = 32.
SMALL_DENSENET = dict(stackwise_num_repeats=[1, 2], growth_rate=4, image_shape=(32, 32, 3))
DENSENET121 = dict(SMALL_DENSENET, stackwise_num_repeats=[6, 12, 24, 16], growth_rate=32)


def _imagenet_converter(cls):
    # keras-hub's ResNet/VGG presets: ImageNet mean and std on [0, 255] pixels.
    mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
    return cls(scale=list(1 / (255 * std)), offset=list(-mean / std))


@pytest.mark.parametrize("name, backbone, config", [
    ("resnet50", "ResNetBackbone", SMALL_RESNET),
    pytest.param("resnet50", "ResNetBackbone", RESNET50, marks=pytest.mark.slow),
    pytest.param("resnet18", "ResNetBackbone", RESNET18, marks=pytest.mark.slow),
    pytest.param("vgg16", "VGGBackbone", VGG16, marks=pytest.mark.slow),
    ("densenet121", "DenseNetBackbone", SMALL_DENSENET),
    ("efficientnetb0", "EfficientNetBackbone", SMALL_EFFICIENTNET),
    pytest.param("efficientnetb0", "EfficientNetBackbone", EFFICIENTNET_B0,
                 marks=pytest.mark.slow),
    pytest.param("densenet121", "DenseNetBackbone", DENSENET121, marks=pytest.mark.slow),
])
def test_cnn_backbones_convert_by_structure(name, backbone, config):
    from tests.weights.anchors import assert_same_outputs, calibrate

    hub = getattr(keras_hub.models, backbone)(**config)
    # Floor 0.5: at 0.1 the one-ulp rounding of the converter's x * scale + offset grew to
    # 5e-5 (ResNet-50) and 2e-5 (ResNet-18) through the real depths. EfficientNet-B0 at 0.5
    # loses the input (the two images' features within 1e-3); at 0.1 it is 1.3e-6 apart.
    floor = 0.1 if backbone == "EfficientNetBackbone" else 0.5
    calibrate(hub, random_images((32, 32, 3), n=8, seed=1), floor=floor)
    zoo_config = hub_weights.MODELS[name].config(hub.get_config())
    ours = keras_zoo.models.get(name, include_top=False, input_shape=(32, 32, 3), **zoo_config)
    hub_weights.convert(hub, ours, name, name)
    converter = _imagenet_converter(getattr(keras_hub.layers, backbone.replace(
        "Backbone", "ImageConverter")))
    ours = with_preprocessing(ours, hub_weights.converter_affine(converter))
    images = random_images((32, 32, 3))
    assert_same_outputs(ours, hub, images, np.asarray(converter(255.0 * images)))


def test_deit_small_backbone_converts_exactly():
    config = dict(image_shape=(32, 32, 3), patch_size=8, num_layers=2, num_heads=2,
                  hidden_dim=16, intermediate_dim=32)
    backbone = _perturbed(keras_hub.models.DeiTBackbone(**config))
    ours = keras_zoo.models.get("deit_b_distilled", include_top=False,
                                **hub_weights.MODELS["deit_b_distilled"].config(
                                    backbone.get_config()))
    hub_weights.convert(backbone, ours, "deit_b_distilled", "deit_b_distilled")
    converter = keras_hub.layers.DeiTImageConverter(scale=1 / 127.5, offset=-1.0)
    ours = with_preprocessing(ours, hub_weights.converter_affine(converter))
    images = random_images((32, 32, 3))
    expected = np.asarray(backbone(np.asarray(converter(255.0 * images))))
    assert np.abs(expected[0] - expected[1]).max() > 1e-3
    np.testing.assert_allclose(np.asarray(ours(images)), expected, atol=1e-5, rtol=0)


SMALL_BERT = dict(vocabulary_size=40, num_layers=2, num_heads=2, hidden_dim=16,
                  intermediate_dim=32, max_sequence_length=16)
#: keras-hub's documented hyper-parameters of bert_base_en_uncased.
BASE_BERT = dict(vocabulary_size=30522, num_layers=12, num_heads=12, hidden_dim=768,
                 intermediate_dim=3072, max_sequence_length=512)


def _bert_tokens(vocabulary_size, length=12, seed=0):
    tokens = np.random.default_rng(seed).integers(1, vocabulary_size, (3, length)).astype("int32")
    tokens[0, length // 2:] = 0  # padding: masked keys, and the pooled [CLS] must not see it
    tokens[1, length - 2:] = 0
    return tokens


def _compare_bert(hub, ours, tokens, atol):
    import keras

    expected = hub({"token_ids": tokens, "segment_ids": np.zeros_like(tokens),
                    "padding_mask": tokens != 0})
    layers = [layer.name for layer in ours.layers]
    last = [name for name in layers if name.endswith("_mlp_norm")][-1]
    pooled, sequence = keras.Model(ours.input, [ours.get_layer("pooled_dense").output,
                                                ours.get_layer(last).output])(tokens)
    real = tokens != 0  # keras-hub's outputs at padded positions are not masked either
    assert np.abs(np.asarray(expected["pooled_output"])).max() > 1e-2
    differences = (np.abs(np.asarray(pooled) - np.asarray(expected["pooled_output"])).max(),
                   np.abs(np.asarray(sequence)[real]
                          - np.asarray(expected["sequence_output"])[real]).max())
    assert max(differences) <= atol, differences
    return differences


@pytest.mark.parametrize("config, atol", [
    (SMALL_BERT, 1e-5),
    # 12 post-norm layers of width 768: float32 rounding over the depth; 1e-4 stated.
    pytest.param(BASE_BERT, 1e-4, marks=pytest.mark.slow),
])
def test_bert_backbone_converts_exactly(config, atol):
    hub = _perturbed(keras_hub.models.BertBackbone(**config), seed=3)
    zoo_config = hub_weights.MODELS["bert_classifier"].config(hub.get_config())
    assert zoo_config["activation"] == "gelu_approximate"  # keras-hub's, not the exact GELU
    ours = keras_zoo.models.get("bert_classifier", sequence_length=12, **zoo_config)
    hub_weights.convert(hub, ours, "bert_classifier", "bert_classifier")
    _compare_bert(hub, ours, _bert_tokens(config["vocabulary_size"]), atol)


def test_every_bert_backbone_preset_is_accepted():
    assert sorted(hub_weights.presets("bert_classifier")) == sorted(
        keras_hub.models.BertBackbone.presets)


@pytest.mark.parametrize("preset", ["bert_tiny_en_uncased", "all_minilm_l6_v2_en"])
def test_bert_from_the_preset_name_with_a_new_head(monkeypatch, preset):
    hub = _perturbed(keras_hub.models.BertBackbone(**SMALL_BERT), seed=4)
    asked = []

    def from_preset(cls, preset, **kwargs):
        asked.append(preset)
        return hub

    monkeypatch.setattr(keras_hub.models.BertBackbone, "from_preset", classmethod(from_preset))
    model = keras_zoo.models.get("bert_classifier", weights=f"keras_hub:{preset}",
                                 sequence_length=12, classes=3)
    assert asked == [preset]
    assert model.output_shape == (None, 3)
    assert [layer.name for layer in model.layers if layer.name == "preprocessing"] == []
    _compare_bert(hub, model, _bert_tokens(SMALL_BERT["vocabulary_size"]), 1e-5)
    with pytest.raises(ValueError, match="'vit_base_patch16_224_imagenet' is a "
                                         "keras_hub.models.ViTBackbone preset, not one of "
                                         "bert_classifier's"):
        keras_zoo.models.get("bert_classifier", weights="keras_hub:vit_base_patch16_224_imagenet")


def test_bert_of_another_width_names_the_first_tensor():
    hub = keras_hub.models.BertBackbone(**SMALL_BERT)
    ours = keras_zoo.models.get("bert_classifier", sequence_length=12,
                                **{**hub_weights.MODELS["bert_classifier"].config(
                                    hub.get_config()), "intermediate_dim": 64})
    with pytest.raises(ValueError, match=r"feedforward_intermediate_dense/kernel' \(16, 32\) "
                                         r"does not fit our 'transformer_layer_0_mlp_dense_1/"
                                         r"kernel' \(16, 64\)"):
        hub_weights.convert(hub, ours, "bert_classifier", "bert_classifier: weights='keras_hub:x'")


#: Two stages on 32x32 with windows of 4: stage 1 (8x8) alternates plain and shifted windows
#: (the shift's masks and the relative position index are exercised), stage 2 is one window.
SMALL_SWIN = dict(image_shape=(32, 32, 3), patch_size=4, embed_dim=8, depths=[2, 2],
                  num_heads=[2, 4], window_size=4)
#: keras-hub's documented hyper-parameters of swin_tiny_patch4_window7_224.
SWIN_T = dict(image_shape=(224, 224, 3), patch_size=4, embed_dim=96, depths=[2, 2, 6, 2],
              num_heads=[3, 6, 12, 24], window_size=7)


def _swin_converter():
    mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
    return keras_hub.layers.SwinTransformerImageConverter(scale=list(1 / (255 * std)),
                                                          offset=list(-mean / std))


def _compare_swin(hub, ours, atol):
    images = random_images(hub.get_config()["image_shape"], n=2)
    expected = np.asarray(hub(np.asarray(_swin_converter()(255.0 * images))))
    actual = np.asarray(ours(images))  # [B, H/32, W/32, C]; keras-hub's tokens are [B, L, C]
    assert np.abs(expected[0] - expected[1]).max() > 1e-3
    difference = np.abs(actual.reshape(expected.shape) - expected).max()
    assert difference <= atol, difference


@pytest.mark.parametrize("name, config, atol", [
    ("swin_t", SMALL_SWIN, 1e-5),
    # 12 blocks up to width 768: float32 rounding over the depth; 1e-4 stated.
    pytest.param("swin_t", SWIN_T, 1e-4, marks=pytest.mark.slow),
])
def test_swin_backbone_converts_exactly(name, config, atol):
    hub = _perturbed(keras_hub.models.SwinTransformerBackbone(**config), seed=5)
    zoo_config = hub_weights.MODELS[name].config(hub.get_config())
    ours = keras_zoo.models.get(name, include_top=False, **zoo_config)
    hub_weights.convert(hub, ours, name, name)
    ours = with_preprocessing(ours, hub_weights.converter_affine(_swin_converter()))
    _compare_swin(hub, ours, atol)


def test_swin_from_the_preset_name(monkeypatch):
    hub = _perturbed(keras_hub.models.SwinTransformerBackbone(**SMALL_SWIN), seed=6)
    monkeypatch.setattr(keras_hub.models.SwinTransformerBackbone, "from_preset",
                        classmethod(lambda cls, preset, **kwargs: hub))
    monkeypatch.setattr(keras_hub.layers.SwinTransformerImageConverter, "from_preset",
                        classmethod(lambda cls, preset, **kwargs: _swin_converter()))
    model = keras_zoo.models.get("swin_t", weights="keras_hub:swin_tiny_patch4_window7_224",
                                 include_top=False)
    assert model.layers[1].name == "preprocessing"
    _compare_swin(hub, model, 1e-5)
    with pytest.raises(ValueError, match="'swin_small_patch4_window7_224' is a keras_hub.models."
                                         "SwinTransformerBackbone preset, not one of swin_t's"):
        keras_zoo.models.get("swin_t", weights="keras_hub:swin_small_patch4_window7_224")


@pytest.mark.parametrize("name, backbone, config, other", [
    ("densenet121", "DenseNetBackbone", SMALL_DENSENET, {"stem_padding": "symmetric"}),
    ("efficientnetb0", "EfficientNetBackbone", SMALL_EFFICIENTNET, {"padding": "same"}),
])
def test_keras_hubs_padding_is_needed(name, backbone, config, other):
    # The same tensors fit the other padding (padding holds no weights) but the network differs.
    hub = _perturbed(getattr(keras_hub.models, backbone)(**config), seed=2)
    zoo_config = {**hub_weights.MODELS[name].config(hub.get_config()), **other}
    ours = keras_zoo.models.get(name, include_top=False, input_shape=(32, 32, 3), **zoo_config)
    hub_weights.convert(hub, ours, name, name)
    images = 255.0 * random_images((32, 32, 3))
    expected = np.asarray(hub(images, training=False))
    assert np.abs(np.asarray(ours(images, training=False)) - expected).max() > 1e-2
    key = next(iter(other))
    with pytest.raises(ValueError, match=f"{key} must be .* got 'valid'"):
        keras_zoo.models.get(name, **{key: "valid"})


SMALL_GPT2 = dict(vocabulary_size=40, num_layers=2, num_heads=2, hidden_dim=16,
                  intermediate_dim=32, max_sequence_length=16)
#: keras-hub's documented hyper-parameters of gpt2_base_en (GPT-2 124M).
BASE_GPT2 = dict(vocabulary_size=50257, num_layers=12, num_heads=12, hidden_dim=768,
                 intermediate_dim=3072, max_sequence_length=1024)


def _gpt2_logits(hub, tokens):
    # keras-hub's GPT2CausalLM: the backbone's sequence output times the tied token embedding.
    sequence = hub({"token_ids": tokens, "padding_mask": np.ones_like(tokens)})
    return np.asarray(hub.token_embedding(sequence, reverse=True))


def _compare_gpt2(hub, ours, length, atol):
    tokens = np.random.default_rng(7).integers(0, hub.vocabulary_size, (2, length)).astype("int32")
    expected = _gpt2_logits(hub, tokens)
    assert np.abs(expected[0] - expected[1]).max() > 1e-3
    difference = np.abs(np.asarray(ours(tokens)) - expected).max()
    assert difference <= atol, difference


#: Perturbations of 0.2 on the small model: at 0.02 the pre-activations are so small that the
#: exact GELU is within 2e-6 of the tanh form, and the test could not tell them apart (at 0.2:
#: 1.2e-6 with the tanh form, 4.7e-4 with the exact GELU).
@pytest.mark.parametrize("config, std, length, atol", [
    (SMALL_GPT2, 0.2, 16, 1e-5),
    # 12 pre-norm layers of width 768, logits over 50,257 tokens on 64 positions (the first 64
    # rows of the 1,024-row position table): float32 rounding over the depth; 1e-4 stated.
    pytest.param(BASE_GPT2, 0.02, 64, 1e-4, marks=pytest.mark.slow),
])
def test_gpt2_backbone_converts_exactly(config, std, length, atol):
    hub = _perturbed(keras_hub.models.GPT2Backbone(**config), seed=8, std=std)
    zoo_config = hub_weights.MODELS["gpt2"].config(hub.get_config())
    assert zoo_config["activation"] == "gelu_approximate"  # OpenAI's and keras-hub's GELU
    ours = keras_zoo.models.get("gpt2", **{**zoo_config, "sequence_length": length})
    assert ours.vocabulary is None  # integer ids: GPT-2's BPE vocabulary is not needed to load
    hub_weights.convert(hub, ours, "gpt2", "gpt2")
    _compare_gpt2(hub, ours, length, atol)


def test_gpt2_exact_gelu_would_differ():
    hub = _perturbed(keras_hub.models.GPT2Backbone(**SMALL_GPT2), seed=8, std=0.2)
    zoo_config = {**hub_weights.MODELS["gpt2"].config(hub.get_config()), "activation": "gelu"}
    ours = hub_weights.convert(hub, keras_zoo.models.get("gpt2", **zoo_config), "gpt2", "gpt2")
    with pytest.raises(AssertionError):
        _compare_gpt2(hub, ours, 16, 1e-5)


def test_gpt2_from_the_preset_name(monkeypatch):
    hub = _perturbed(keras_hub.models.GPT2Backbone(**SMALL_GPT2), seed=9, std=0.2)
    asked = []

    def from_preset(cls, preset, **kwargs):
        asked.append(preset)
        return hub

    monkeypatch.setattr(keras_hub.models.GPT2Backbone, "from_preset", classmethod(from_preset))
    # A context shorter than the backbone's 16 positions keeps their first 8.
    model = keras_zoo.models.get("gpt2", weights="keras_hub:gpt2_medium_en", sequence_length=8)
    assert asked == ["gpt2_medium_en"]
    assert "preprocessing" not in [layer.name for layer in model.layers]
    _compare_gpt2(hub, model, 8, 1e-5)
    with pytest.raises(ValueError, match=r"gpt2: weights='keras_hub:gpt2_base_en'.*"
                                         r"'decoder_layer_0_mlp_dense_1/kernel' \(16, 64\)"):
        keras_zoo.models.get("gpt2", weights="keras_hub:gpt2_base_en", intermediate_dim=64)
    with pytest.raises(ValueError, match="'bert_base_en' is a keras_hub.models.BertBackbone "
                                         "preset, not one of gpt2's"):
        keras_zoo.models.get("gpt2", weights="keras_hub:bert_base_en")


def test_efficientnet_from_the_preset_name(monkeypatch):
    hub = _perturbed(keras_hub.models.EfficientNetBackbone(**SMALL_EFFICIENTNET), seed=10)
    mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
    converter = keras_hub.layers.EfficientNetImageConverter(scale=list(1 / (255 * std)),
                                                            offset=list(-mean / std))
    monkeypatch.setattr(keras_hub.models.EfficientNetBackbone, "from_preset",
                        classmethod(lambda cls, preset, **kwargs: hub))
    monkeypatch.setattr(keras_hub.layers.EfficientNetImageConverter, "from_preset",
                        classmethod(lambda cls, preset, **kwargs: converter))
    model = keras_zoo.models.get("efficientnetb0", weights="keras_hub:efficientnet_b0_ra_imagenet",
                                 include_top=False, input_shape=(32, 32, 3))
    # keras-hub normalises in its converter: our Normalization stays the identity.
    normalization = model.get_layer("normalization")
    assert np.all(np.asarray(normalization.mean) == 0)
    assert np.all(np.asarray(normalization.variance) == 1)
    images = random_images((32, 32, 3))
    expected = np.asarray(hub(np.asarray(converter(255.0 * images)), training=False))
    np.testing.assert_allclose(np.asarray(model(images)), expected, atol=1e-5, rtol=0)


def test_efficientnet_of_another_layout_is_refused():
    config = keras_hub.models.EfficientNetBackbone(**SMALL_EFFICIENTNET).get_config()
    rule = hub_weights.MODELS["efficientnetb0"].config
    with pytest.raises(NotImplementedError, match="'stackwise_block_types': \\['fused', 'v1'\\]"):
        rule({**config, "stackwise_block_types": ["fused", "v1"]})
    with pytest.raises(NotImplementedError, match="'include_stem_padding': False"):
        rule({**config, "include_stem_padding": False, "stem_conv_padding": "same"})

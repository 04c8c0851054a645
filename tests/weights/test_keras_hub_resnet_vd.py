"""keras-hub ResNet-vd -> the zoo ResNet with Bag of Tricks' tweaks (He et al., CVPR 2019:
ResNet-B's stride in the 3x3, ResNet-C's deep stem, ResNet-D's average-pooled shortcut):
randomly initialised ``ResNetBackbone`` (``basic_block_vd`` / ``bottleneck_block_vd``)
converted by graph structure, equal outputs on the same images; odd feature maps (the
shortcut's "same" average pooling on an odd side); the preset name with ``from_preset``
patched; the errors."""

import keras_hub
import numpy as np
import pytest

import keras_zoo
from keras_zoo.weights import keras_hub as hub_weights
from keras_zoo.weights import with_preprocessing
from tests.deferred import assert_deferred, deferred_weights
from tests.weights.anchors import assert_same_outputs, calibrate, random_images

#: 36 px: the stem and its pooling leave 9 x 9, so the second stage downsamples an odd map.
SMALL_VD = dict(input_conv_filters=[8, 8, 16], input_conv_kernel_sizes=[3, 3, 3],
                stackwise_num_filters=[64, 16], stackwise_num_blocks=[2, 1],
                stackwise_num_strides=[1, 2], block_type="bottleneck_block_vd",
                use_pre_activation=False, image_shape=(36, 36, 3))
SMALL_VD_BASIC = dict(SMALL_VD, block_type="basic_block_vd")
#: keras-hub's hyper-parameters of resnet_vd_50_imagenet and resnet_vd_18_imagenet
#: (PaddleClas' ResNet50_vd / ResNet18_vd: a 32, 32, 64 stem).
RESNET_VD_50 = dict(SMALL_VD, input_conv_filters=[32, 32, 64],
                    stackwise_num_filters=[64, 128, 256, 512], stackwise_num_blocks=[3, 4, 6, 3],
                    stackwise_num_strides=[1, 2, 2, 2], image_shape=(64, 64, 3))
RESNET_VD_18 = dict(RESNET_VD_50, stackwise_num_blocks=[2, 2, 2, 2], block_type="basic_block_vd")


def _converter():
    # keras-hub's ResNet presets: ImageNet mean and std on [0, 255] pixels.
    mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
    return keras_hub.layers.ResNetImageConverter(scale=list(1 / (255 * std)),
                                                 offset=list(-mean / std))


def _backbone(config, seed=1):
    hub = keras_hub.models.ResNetBackbone(**config)
    calibrate(hub, random_images(config["image_shape"], n=8, seed=seed), floor=0.5)
    return hub


def _pair(config, name="resnet50", **overrides):
    hub = _backbone(config)
    zoo_config = {**hub_weights.MODELS[name].config(hub.get_config()), **overrides}
    ours = keras_zoo.models.get(name, include_top=False, input_shape=config["image_shape"],
                                **zoo_config)
    hub_weights.convert(hub, ours, name, f"{name}: weights='keras_hub:resnet_vd_50_imagenet'")
    return hub, with_preprocessing(ours, hub_weights.converter_affine(_converter()))


def _compare(config, name="resnet50"):
    hub, ours = _pair(config, name)
    images = random_images(config["image_shape"])
    return assert_same_outputs(ours, hub, images, np.asarray(_converter()(255.0 * images)))


# The default tier proves the basic blocks through the preset name (below); the bottleneck's
# ResNet-D shortcut is the same layer.
@pytest.mark.slow
@pytest.mark.parametrize("config, name", [(SMALL_VD, "resnet50"),
                                          (SMALL_VD_BASIC, "resnet18")])
def test_small_resnet_vd_converts_exactly(config, name):
    print(f"{name} <- keras-hub ResNet-vd ({config['block_type']}): "
          f"{_compare(config, name):.3g}")


@pytest.mark.slow
@pytest.mark.parametrize("config, name", [(RESNET_VD_50, "resnet50"),
                                          (RESNET_VD_18, "resnet18")])
def test_resnet_vd_at_real_depth_converts_exactly(config, name):
    print(f"{name} <- keras-hub {name} vd (64 px): {_compare(config, name):.3g}")


@pytest.mark.slow
@pytest.mark.parametrize("name, preset", [("resnet18", "resnet_vd_18_imagenet"),
                                          ("resnet34", "resnet_vd_34_imagenet"),
                                          ("resnet50", "resnet_vd_50_imagenet"),
                                          ("resnet101", "resnet_vd_101_imagenet"),
                                          ("resnet152", "resnet_vd_152_imagenet")])
def test_resnet_vd_parameters_are_the_presets(name, preset):
    # keras-hub's own count of the preset's classifier (backbone, BN statistics and the
    # 1000-class head) against ours at the configuration the preset loads into.
    stages = {"resnet18": [2, 2, 2, 2], "resnet34": [3, 4, 6, 3], "resnet50": [3, 4, 6, 3],
              "resnet101": [3, 4, 23, 3], "resnet152": [3, 8, 36, 3]}[name]
    block = "basic_block_vd" if name in ("resnet18", "resnet34") else "bottleneck_block_vd"
    config = hub_weights.MODELS[name].config(dict(RESNET_VD_50, stackwise_num_blocks=stages,
                                                  block_type=block))
    expected = keras_hub.models.ResNetBackbone.presets[preset]["metadata"]["params"]
    with deferred_weights():  # counted only (tests/deferred.py)
        model = keras_zoo.models.get(name, **config)
        assert_deferred(model.weights)
    assert model.count_params() == expected


@pytest.mark.slow  # the default tier proves the mapping; this proves the option matters
@pytest.mark.parametrize("overrides", [dict(shortcut="projection"),
                                       dict(stride_at="1x1")])
def test_resnet_vd_switches_are_needed(overrides):
    # Same tensors, other graph: only the outputs can tell.
    hub, ours = _pair(SMALL_VD, **overrides)
    images = random_images((36, 36, 3))
    expected = np.asarray(hub(np.asarray(_converter()(255.0 * images)), training=False))
    assert np.abs(np.asarray(ours(images, training=False)) - expected).max() > 1e-3


def test_resnet_vd_from_the_preset_name(monkeypatch):
    hub = _backbone(SMALL_VD_BASIC, seed=2)
    asked = []

    def from_preset(cls, preset, **kwargs):
        asked.append(preset)
        return hub

    monkeypatch.setattr(keras_hub.models.ResNetBackbone, "from_preset", classmethod(from_preset))
    monkeypatch.setattr(keras_hub.layers.ResNetImageConverter, "from_preset",
                        classmethod(lambda cls, preset, **kwargs: _converter()))
    ours = keras_zoo.models.get("resnet18", weights="keras_hub:resnet_vd_18_imagenet",
                                include_top=False, input_shape=(36, 36, 3))
    assert asked == ["resnet_vd_18_imagenet"]
    assert ours.get_layer("stem3_conv").kernel.shape == (3, 3, 8, 16)
    images = random_images((36, 36, 3))
    difference = assert_same_outputs(ours, hub, images, np.asarray(_converter()(255.0 * images)))
    print(f"resnet18 <- keras_hub:resnet_vd_18_imagenet (small anchor): {difference:.3g}")
    # A classifier of 10 classes: the backbone loads, the head is new.
    model = keras_zoo.models.get("resnet18", weights="keras_hub:resnet_vd_18_imagenet",
                                 input_shape=(36, 36, 3), classes=10)
    assert model.output_shape == (None, 10)
    # A conflicting keyword argument fails on the first tensor, naming model and source.
    with pytest.raises(ValueError, match=r"resnet18: weights='keras_hub:resnet_vd_18_imagenet' "
                                         r"\(keras_hub.models.ResNetBackbone\): their tensor "
                                         r"'\w+/kernel' \(3, 3, 3, 8\) does not fit our "
                                         r"'conv1_conv/kernel' \(7, 7, 3, 16\)"):
        keras_zoo.models.get("resnet18", weights="keras_hub:resnet_vd_18_imagenet",
                             include_top=False, input_shape=(36, 36, 3), stem="imagenet")


def test_resnet_vd_config_and_errors():
    config = hub_weights.MODELS["resnet101"].config(dict(RESNET_VD_50,
                                                         stackwise_num_blocks=[3, 4, 23, 3]))
    assert config == dict(block="bottleneck", stack_sizes=(3, 4, 23, 3),
                          filters=(64, 128, 256, 512), stem="deep", stem_filters=64,
                          shortcut="avg_projection", stride_at="3x3", use_bias=False,
                          bn_epsilon=1e-5)
    with pytest.raises(NotImplementedError, match=r"stem filters \[32, 48, 64\]"):
        hub_weights.MODELS["resnet50"].config(dict(RESNET_VD_50, input_conv_filters=[32, 48, 64]))
    with pytest.raises(ValueError, match="'resnet_vd_50_imagenet' is a keras_hub.models."
                                         "ResNetBackbone preset, not one of resnet50v2's"):
        keras_zoo.models.get("resnet50v2", weights="keras_hub:resnet_vd_50_imagenet")
    with pytest.raises(ValueError, match="'resnet_vd_200_imagenet' is a keras_hub.models."
                                         "ResNetBackbone preset, not one of resnet152's"):
        keras_zoo.models.get("resnet152", weights="keras_hub:resnet_vd_200_imagenet")
    with pytest.raises(ValueError, match="unknown keras-hub preset 'resnet_vd_51_imagenet'; "
                                         "resnet50 accepts"):
        keras_zoo.models.get("resnet50", weights="keras_hub:resnet_vd_51_imagenet")
    with pytest.raises(ValueError, match="stem must be one of"):
        keras_zoo.models.get("resnet50", stem="resnet_c")
    assert "keras_hub:resnet_vd_34_imagenet" in keras_zoo.weights.sources("resnet34")

"""keras-hub ResNet v2 -> the zoo ResNetV2 (stride in each stage's first block, no biases, BN
epsilon 1e-5, a stem pooling that ignores its padding): randomly initialised ``ResNetBackbone``
(``use_pre_activation=True``) converted by graph structure, equal outputs on the same images."""

import keras_hub
import numpy as np
import pytest

import keras_zoo
from keras_zoo.weights import keras_hub as hub_weights
from keras_zoo.weights import with_preprocessing
from tests.weights.anchors import assert_same_outputs, calibrate, random_images

SMALL_V2 = dict(input_conv_filters=[16], input_conv_kernel_sizes=[7],
                stackwise_num_filters=[64, 16], stackwise_num_blocks=[2, 1],
                stackwise_num_strides=[1, 2], block_type="bottleneck_block",
                use_pre_activation=True, image_shape=(32, 32, 3))
#: keras-hub's hyper-parameters of resnet_v2_50_imagenet.
RESNET50_V2 = dict(SMALL_V2, input_conv_filters=[64], stackwise_num_filters=[64, 128, 256, 512],
                   stackwise_num_blocks=[3, 4, 6, 3], stackwise_num_strides=[1, 2, 2, 2])


def _converter():
    # keras-hub's ResNet presets: ImageNet mean and std on [0, 255] pixels.
    mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
    return keras_hub.layers.ResNetImageConverter(scale=list(1 / (255 * std)),
                                                 offset=list(-mean / std))


def _pair(config, name="resnet50v2", **overrides):
    hub = keras_hub.models.ResNetBackbone(**config)
    calibrate(hub, random_images(config["image_shape"], n=8, seed=1), floor=0.5)
    zoo_config = {**hub_weights.MODELS[name].config(hub.get_config()), **overrides}
    ours = keras_zoo.models.get(name, include_top=False, input_shape=config["image_shape"],
                                **zoo_config)
    hub_weights.convert(hub, ours, name, f"{name}: weights='keras_hub:resnet_v2_50_imagenet'")
    return hub, with_preprocessing(ours, hub_weights.converter_affine(_converter()))


def _compare(config, **overrides):
    hub, ours = _pair(config, **overrides)
    images = random_images(config["image_shape"])
    return assert_same_outputs(ours, hub, images, np.asarray(_converter()(255.0 * images)))


def test_small_resnet_v2_converts_exactly():
    _compare(SMALL_V2)


@pytest.mark.slow
def test_resnet50_v2_converts_exactly():
    print(f"resnet50v2 <- keras-hub ResNet-50 v2: {_compare(RESNET50_V2):.3g}")


@pytest.mark.slow  # the default tier proves the mapping; this proves the option matters
def test_zero_padded_stem_pooling_would_differ():
    hub, ours = _pair(SMALL_V2, pool_padding="zeros")
    images = random_images((32, 32, 3))
    expected = np.asarray(hub(np.asarray(_converter()(255.0 * images)), training=False))
    assert np.abs(np.asarray(ours(images, training=False)) - expected).max() > 1e-3


def test_biases_do_not_fit_and_name_the_first_tensor():
    hub = keras_hub.models.ResNetBackbone(**SMALL_V2)
    zoo_config = {**hub_weights.MODELS["resnet50v2"].config(hub.get_config()), "use_bias": True}
    ours = keras_zoo.models.get("resnet50v2", include_top=False, input_shape=(32, 32, 3),
                                **zoo_config)
    # Our extra biases shift the pairing: the first tensor that does not fit is named.
    with pytest.raises(ValueError, match=r"resnet50v2: x: their tensor '\w+/kernel' "
                                         r"\([\d, ]+\) does not fit our '\w+/\w+'"):
        hub_weights.convert(hub, ours, "resnet50v2", "resnet50v2: x")


def test_resnet_v2_config_and_errors():
    config = hub_weights.MODELS["resnet101v2"].config(dict(
        RESNET50_V2, stackwise_num_blocks=[3, 4, 23, 3]))
    assert config == dict(stack_sizes=(3, 4, 23, 3), filters=(64, 128, 256, 512),
                          stem_filters=64, stride_block="first", use_bias=False,
                          bn_epsilon=1e-5, pool_padding="ignore")
    with pytest.raises(NotImplementedError, match="use_pre_activation=False"):
        hub_weights.MODELS["resnet50v2"].config(dict(RESNET50_V2, use_pre_activation=False))
    with pytest.raises(ValueError, match="'resnet_50_imagenet' is a keras_hub.models."
                                         "ResNetBackbone preset, not one of resnet50v2's"):
        keras_zoo.models.get("resnet50v2", weights="keras_hub:resnet_50_imagenet")
    with pytest.raises(ValueError, match="pool_padding must be one of"):
        keras_zoo.models.get("resnet50v2", pool_padding="same")

"""Pre-activation ResNet, "ResNet v2" (He, Zhang, Ren & Sun, Identity Mappings in Deep
Residual Networks, ECCV 2016).

Each block is BN-ReLU-conv x3 with nothing after the addition, so the shortcut path is a clean
identity from block to block (the paper's Eq. 4: x_L = x_l + sum F). ResNet50V2/101V2/152V2
are keras.applications' layer for layer (ResNet50V2: 25,613,800 parameters) and take its
weights with ``set_weights``. keras.applications (after TF-slim) downsamples in the *last*
block of conv2..conv4; the paper's Torch code downsamples in the *first* block of conv3..conv5
(``stride_block="first"``): the same parameters, a different placement of the stride.

keras-hub's ResNet v2 (``weights="keras_hub:resnet_v2_50_imagenet"``, and 101; timm's
``resnetv2_50x1_bit``-style layout) is the paper's placement (``stride_block="first"``) without
any convolution bias (``use_bias=False``), with BN epsilon 1e-5 and a stem max pooling that
ignores its padding as PyTorch's does (``pool_padding="ignore"``): keras.applications pads with
zeros, which after the un-normalised stem convolution can beat every negative value of a
border window. The keras-hub loader sets all four from the preset.
"""

import keras

from keras_zoo.blocks.residual import BN_EPSILON, preact_stack
from keras_zoo.models.classification import common
from keras_zoo.models.classification.resnet import imagenet_shape
from keras_zoo.models.registry import register

POOL_PADDINGS = ("zeros", "ignore")
DEPTHS = {50: (3, 4, 6, 3), 101: (3, 4, 23, 3), 152: (3, 8, 36, 3)}
PAPER = "He, Zhang, Ren & Sun, Identity Mappings in Deep Residual Networks, ECCV 2016"


def ResNetV2(
    stack_sizes=(3, 4, 6, 3),
    filters=(64, 128, 256, 512),
    stem_filters=64,
    stride_block="last",
    use_bias=True,
    bn_epsilon=BN_EPSILON,
    pool_padding="zeros",
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="resnetv2",
):
    """A pre-activation bottleneck ResNet on the ImageNet stem, ending in BN-ReLU.

    Args:
        stack_sizes: blocks per stage (conv2_x, ...).
        filters: each stage's bottleneck width (outputs have 4x).
        stem_filters: the 7x7 stem convolution's filters.
        stride_block: ``"last"`` (keras.applications) or ``"first"`` (the paper's code): which
            block of a stage downsamples.
        use_bias: biases on the stem, projection and last 1x1 convolutions (keras.applications'
            True; keras-hub's and torchvision's False).
        bn_epsilon: the BatchNormalization epsilon (keras.applications' 1.001e-5; keras-hub's
            1e-5).
        pool_padding: the stem max pooling's border: ``"zeros"`` (keras.applications: zero
            padding, then a 3x3/2 pooling) or ``"ignore"`` (the window's valid values only, as
            PyTorch and keras-hub, whose -inf padding is the same).
        include_top, weights, input_tensor, input_shape, pooling, classes,
            classifier_activation: as in keras.applications.
        name: the model's name.

    Example:
        >>> model = ResNetV2(stack_sizes=(1, 1), filters=(8, 16), stem_filters=8,
        ...                  input_shape=(32, 32, 3), classes=10)
    """
    if len(stack_sizes) != len(filters) or not stack_sizes:
        raise ValueError(
            f"stack_sizes {stack_sizes} and filters {filters} must be non-empty and of the "
            "same length (one entry per stage).")
    if pool_padding not in POOL_PADDINGS:
        raise ValueError(f"{name}: pool_padding must be one of {list(POOL_PADDINGS)}, got "
                         f"{pool_padding!r}.")
    shape = imagenet_shape(name, weights, input_shape, include_top, pooling, classes)
    inputs = common.image_input(input_tensor, shape)
    # No BN-ReLU after the stem convolution: the first block's pre-activation provides it.
    x = keras.layers.ZeroPadding2D(3, name="conv1_pad")(inputs)
    x = keras.layers.Conv2D(stem_filters, 7, strides=2, use_bias=use_bias, name="conv1_conv")(x)
    if pool_padding == "zeros":
        x = keras.layers.ZeroPadding2D(1, name="pool1_pad")(x)
        x = keras.layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    else:
        # A 3x3 stride-1 "same" pooling pads 1 on every side and ignores the padding; taking
        # every other position is the 3x3/2 pooling of a -inf-padded map, with builtin ops.
        x = keras.layers.MaxPooling2D(3, strides=1, padding="same", name="pool1_pool")(x)
        x = keras.layers.MaxPooling2D(1, strides=2, name="pool1_stride")(x)
    stages = len(stack_sizes)
    for stage, (blocks, f) in enumerate(zip(stack_sizes, filters, strict=True)):
        # Either way, every stage boundary is downsampled once.
        downsamples = stage < stages - 1 if stride_block == "last" else stage > 0
        x = preact_stack(x, f, blocks, strides=2 if downsamples else 1,
                         stride_block=stride_block, use_bias=use_bias,
                         bn_epsilon=bn_epsilon, name=f"conv{stage + 2}")
    # The last block's output has not been normalised yet (He et al. 2016, section 4.1).
    x = keras.layers.BatchNormalization(epsilon=bn_epsilon, name="post_bn")(x)
    x = keras.layers.Activation("relu", name="post_relu")(x)
    x = common.classifier_head(x, include_top=include_top, pooling=pooling, classes=classes,
                               classifier_activation=classifier_activation)
    return common.finish(inputs, x, name=name, weights=weights, input_tensor=input_tensor)


def ResNet50V2(**kwargs):
    """ResNet-50 v2, keras.applications.ResNet50V2 layer for layer (25,613,800 parameters).

    Args:
        **kwargs: any ``ResNetV2`` argument (the keras.applications set included).
    """
    return ResNetV2(**{"stack_sizes": DEPTHS[50], "name": "resnet50v2", **kwargs})


def ResNet101V2(**kwargs):
    """ResNet-101 v2, keras.applications.ResNet101V2 layer for layer (44,675,560 parameters).

    Args:
        **kwargs: any ``ResNetV2`` argument (the keras.applications set included).
    """
    return ResNetV2(**{"stack_sizes": DEPTHS[101], "name": "resnet101v2", **kwargs})


def ResNet152V2(**kwargs):
    """ResNet-152 v2, keras.applications.ResNet152V2 layer for layer (60,380,648 parameters).

    Args:
        **kwargs: any ``ResNetV2`` argument (the keras.applications set included).
    """
    return ResNetV2(**{"stack_sizes": DEPTHS[152], "name": "resnet152v2", **kwargs})


for _name, _builder, _params in (
    ("resnet50v2", ResNet50V2, 25_613_800),
    ("resnet101v2", ResNet101V2, 44_675_560),
    ("resnet152v2", ResNet152V2, 60_380_648),
):
    register(
        _name,
        task="classification",
        family="resnet_v2",
        tiny=dict(stack_sizes=(1, 1), filters=(8, 16), stem_filters=8,
                  input_shape=(32, 32, 3), classes=10),
        canonical=dict(input_shape=(224, 224, 3), classes=1000),
        paper=PAPER,
        params=_params,
        notes=f"= keras.applications.{_builder.__name__} (weights transfer)",
    )(_builder)

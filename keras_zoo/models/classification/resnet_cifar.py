"""The CIFAR-10 ResNets of He, Zhang, Ren & Sun, Deep Residual Learning for Image Recognition
(CVPR 2016), section 4.2: ResNet-20, 32, 44, 56, 110.

A 3x3 convolution of 16 maps, then three stages of n basic blocks on 32x32, 16x16 and 8x8
maps with 16, 32 and 64 filters, global average pooling and the classifier: 6n + 2 layers.
Every shortcut is an identity, with option A where a stage doubles the channels (subsample by
2, pad zero channels: ``keras_zoo.layers.ChannelPadding``), so the shortcuts add no parameters,
as the paper's section 4.2 says. ResNet-20/56/110 have 0.27M / 0.85M / 1.7M parameters
(the paper's Table 6).
"""

import keras

from keras_zoo.blocks.residual import BN_EPSILON, basic_block, stack
from keras_zoo.models.classification import common
from keras_zoo.models.registry import register

PAPER = ("He, Zhang, Ren & Sun, Deep Residual Learning for Image Recognition, CVPR 2016, "
         "section 4.2")


def cifar_shape(name, weights, input_shape, include_top, pooling, classes, min_size):
    """32x32x3 by default with the top, (None, None, 3) without."""
    default = (32, 32, 3) if include_top else (None, None, 3)
    return common.validate_args(name=name, weights=weights, input_shape=input_shape,
                                default_shape=default, include_top=include_top,
                                pooling=pooling, classes=classes, min_size=min_size)


def CifarResNet(
    depth=20,
    filters=(16, 32, 64),
    shortcut="zero_pad",
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=10,
    classifier_activation="softmax",
    name=None,
):
    """A CIFAR ResNet of ``depth = 6n + 2`` layers (He et al. 2016, section 4.2).

    Args:
        depth: 6n + 2: 20, 32, 44, 56, 110, 1202 in the paper.
        filters: the three stages' widths.
        shortcut: ``"zero_pad"`` (option A, the paper's CIFAR choice), ``"projection"``
            (option B) or ``"none"`` (the plain nets of the paper's Fig. 6 left).
        include_top, weights, input_tensor, input_shape, pooling, classes,
            classifier_activation: as in keras.applications.
        name: the model's name (``resnet{depth}_cifar``).

    Example:
        >>> model = CifarResNet(depth=20)  # 0.27M parameters
    """
    if not isinstance(depth, int) or depth < 8 or (depth - 2) % 6:
        raise ValueError(f"CifarResNet: depth must be 6n + 2 with n >= 1, got {depth!r}.")
    name = name or f"resnet{depth}_cifar"
    shape = cifar_shape(name, weights, input_shape, include_top, pooling, classes,
                        min_size=2 ** (len(filters) - 1))
    inputs = common.image_input(input_tensor, shape)
    x = keras.layers.Conv2D(filters[0], 3, padding="same", use_bias=False,
                            name="conv1_conv")(inputs)
    x = keras.layers.BatchNormalization(epsilon=BN_EPSILON, name="conv1_bn")(x)
    x = keras.layers.Activation("relu", name="conv1_relu")(x)
    n = (depth - 2) // 6
    for stage, f in enumerate(filters):
        x = stack(x, basic_block, f, n, strides=1 if stage == 0 else 2, name=f"conv{stage + 2}",
                  shortcut=shortcut, use_bias=False)
    x = common.classifier_head(x, include_top=include_top, pooling=pooling, classes=classes,
                               classifier_activation=classifier_activation)
    return common.finish(inputs, x, name=name, weights=weights, input_tensor=input_tensor)


_ENTRY = dict(task="classification", family="resnet_cifar", paper=PAPER,
              tiny=dict(depth=8, filters=(4, 8, 16), input_shape=(32, 32, 3), classes=10))
register("resnet20_cifar", canonical=dict(depth=20, input_shape=(32, 32, 3), classes=10),
         params=271_098, notes="option A (zero-padding) shortcuts; paper: 0.27M parameters",
         **_ENTRY)(CifarResNet)
register("resnet56_cifar", canonical=dict(depth=56, input_shape=(32, 32, 3), classes=10),
         params=857_082, notes="option A (zero-padding) shortcuts; paper: 0.85M parameters",
         **_ENTRY)(CifarResNet)
register("resnet110_cifar", canonical=dict(depth=110, input_shape=(32, 32, 3), classes=10),
         params=1_736_058, notes="option A (zero-padding) shortcuts; paper: 1.7M parameters",
         **_ENTRY)(CifarResNet)

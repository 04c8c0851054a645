"""Wide Residual Networks, WRN-d-k (Zagoruyko & Komodakis, Wide Residual Networks, BMVC 2016).

A 3x3 stem of 16 maps and three groups of (d - 4) / 6 pre-activation B(3,3) blocks of width
16k, 32k and 64k (the paper's Table 1), then BN-ReLU, global average pooling and the
classifier. WRN-28-10 on CIFAR-10 has the paper's 36.5M parameters.
"""

import keras

from keras_zoo.blocks.residual import BN_EPSILON, wide_basic_block
from keras_zoo.models.classification import common
from keras_zoo.models.classification.resnet_cifar import cifar_shape
from keras_zoo.models.registry import register

PAPER = "Zagoruyko & Komodakis, Wide Residual Networks, BMVC 2016"


def WideResNet(
    depth=28,
    width=10,
    dropout=0.0,
    base_filters=(16, 32, 64),
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=10,
    classifier_activation="softmax",
    name=None,
):
    """WRN-``depth``-``width``.

    Args:
        depth: d = 6n + 4: n blocks of two 3x3 convolutions per group, plus the stem and the
            three 1x1 projection shortcuts.
        width: k, the widening factor of the three groups.
        dropout: drop rate between each block's convolutions (the paper uses 0.3 on CIFAR).
        base_filters: the groups' widths at k = 1.
        include_top, weights, input_tensor, input_shape, pooling, classes,
            classifier_activation: as in keras.applications.
        name: the model's name (``wrn_{depth}_{width}``).

    Example:
        >>> model = WideResNet(depth=28, width=10)  # 36.5M parameters
    """
    if not isinstance(depth, int) or depth < 10 or (depth - 4) % 6:
        raise ValueError(f"WideResNet: depth must be 6n + 4 with n >= 1, got {depth!r}.")
    if not isinstance(width, int) or width < 1:
        raise ValueError(f"WideResNet: width must be a positive int, got {width!r}.")
    name = name or f"wrn_{depth}_{width}"
    shape = cifar_shape(name, weights, input_shape, include_top, pooling, classes,
                        min_size=2 ** (len(base_filters) - 1))
    inputs = common.image_input(input_tensor, shape)
    x = keras.layers.Conv2D(16, 3, padding="same", use_bias=False, name="conv1_conv")(inputs)
    n = (depth - 4) // 6
    for stage, f in enumerate(base_filters):
        for i in range(1, n + 1):
            x = wide_basic_block(x, f * width, strides=2 if stage and i == 1 else 1,
                                 dropout=dropout, name=f"conv{stage + 2}_block{i}")
    x = keras.layers.BatchNormalization(epsilon=BN_EPSILON, name="post_bn")(x)
    x = keras.layers.Activation("relu", name="post_relu")(x)
    x = common.classifier_head(x, include_top=include_top, pooling=pooling, classes=classes,
                               classifier_activation=classifier_activation)
    return common.finish(inputs, x, name=name, weights=weights, input_tensor=input_tensor)


register(
    "wrn_28_10",
    task="classification",
    family="wide_resnet",
    tiny=dict(depth=10, width=1, base_filters=(4, 8, 16), input_shape=(32, 32, 3), classes=10),
    canonical=dict(depth=28, width=10, input_shape=(32, 32, 3), classes=10),
    paper=PAPER,
    params=36_497_146,
    notes="WRN-28-10 on CIFAR-10: 36.5M parameters (the paper's Table 5)",
)(WideResNet)

"""MobileNet v1 (Howard et al., MobileNets: Efficient Convolutional Neural Networks for Mobile
Vision Applications, arXiv 1704.04861, 2017)."""

import keras

from keras_zoo.blocks.mobile import conv_bn, depthwise_separable_block
from keras_zoo.models.classification import common
from keras_zoo.models.registry import register

#: Table 1 of the paper: (pointwise filters, stride) of the 13 depthwise-separable blocks.
MOBILENET_V1_BLOCKS = (
    (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
    (512, 1), (512, 1), (512, 1), (512, 1), (512, 1),
    (1024, 2), (1024, 1),
)


def MobileNet(
    alpha=1.0,
    depth_multiplier=1,
    dropout=1e-3,
    blocks=MOBILENET_V1_BLOCKS,
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="mobilenet",
):
    """MobileNet v1: a 3x3/2 convolution and 13 depthwise-separable blocks, all with BN and
    ReLU6, global average pooling and a 1x1 convolution classifier.

    The paper's two hyper-parameters: the width multiplier ``alpha`` thins every layer
    (``int(filters * alpha)`` channels), the resolution multiplier rho is the input size
    (``input_shape``, 224 * rho: 224, 192, 160, 128). Layer names and weights are those of
    ``keras.applications.MobileNet`` (4,253,864 parameters at alpha=1).

    Args:
        alpha: the width multiplier.
        depth_multiplier: channel multiplier of the depthwise convolutions.
        dropout: dropout before the classifier.
        blocks: the (filters, stride) of each depthwise-separable block (Table 1).
        include_top, weights, input_tensor, input_shape, pooling, classes,
            classifier_activation: as in keras.applications.
        name: the model's name.
    """
    if not alpha > 0:
        raise ValueError(f"MobileNet: alpha must be > 0, got {alpha!r}.")
    if not isinstance(depth_multiplier, int) or depth_multiplier < 1:
        raise ValueError(f"MobileNet: depth_multiplier must be a positive int, got "
                         f"{depth_multiplier!r}.")
    shape = common.validate_args(
        name=name, weights=weights, input_shape=input_shape, default_shape=(224, 224, 3),
        include_top=include_top, pooling=pooling, classes=classes, min_size=32,
    )
    inputs = common.image_input(input_tensor, shape)
    x = conv_bn(inputs, int(32 * alpha), 3, strides=2, activation="relu6", name="conv1")
    for block_id, (filters, strides) in enumerate(blocks, start=1):
        x = depthwise_separable_block(x, int(filters * alpha), strides, depth_multiplier,
                                      block_id)
    if include_top:
        # The paper's fully connected classifier, as a 1x1 convolution on the pooled map.
        x = keras.layers.GlobalAveragePooling2D(keepdims=True, name="global_average_pooling")(x)
        x = keras.layers.Dropout(dropout, name="dropout")(x)
        x = keras.layers.Conv2D(classes, 1, padding="same", name="conv_preds")(x)
        x = keras.layers.Reshape((classes,), name="reshape_2")(x)
        x = keras.layers.Activation(classifier_activation, name="predictions")(x)
    else:
        x = common.pool_features(x, pooling)
    return common.finish(inputs, x, name=name, weights=weights, input_tensor=input_tensor)


register(
    "mobilenet",
    task="classification",
    family="mobilenet",
    recipe="classification_mobilenet",
    tiny=dict(alpha=0.25, blocks=((16, 1), (32, 2), (32, 1), (64, 2)),
              input_shape=(32, 32, 3), classes=10),
    canonical=dict(input_shape=(224, 224, 3), classes=1000),
    paper="Howard et al., MobileNets, arXiv 1704.04861, 2017",
    params=4_253_864,
)(MobileNet)

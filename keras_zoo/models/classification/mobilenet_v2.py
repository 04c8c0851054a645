"""MobileNet v2 (Sandler, Howard, Zhu, Zhmoginov & Chen, MobileNetV2: Inverted Residuals and
Linear Bottlenecks, CVPR 2018)."""

import keras

from keras_zoo.blocks.mobile import conv_bn, inverted_residual_block, make_divisible
from keras_zoo.models.classification import common
from keras_zoo.models.registry import register

#: Table 2 of the paper: (expansion t, output channels c, repeats n, first stride s).
MOBILENET_V2_STAGES = (
    (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
    (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1),
)


def MobileNetV2(
    alpha=1.0,
    stages=MOBILENET_V2_STAGES,
    last_filters=1280,
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="mobilenetv2",
):
    """MobileNet v2: a 3x3/2 convolution, 17 inverted-residual bottlenecks with linear
    projections (Table 2), a 1x1 convolution to 1280 channels, global pooling, classifier.

    Channel counts are ``make_divisible(c * alpha, 8)``; the last convolution keeps 1280
    channels for alpha <= 1, as the paper says. Layer names and weights are those of
    ``keras.applications.MobileNetV2`` (3,538,984 parameters at alpha=1).

    Args:
        alpha: the width multiplier.
        stages: (t, c, n, s) rows of Table 2.
        last_filters: channels of the last 1x1 convolution (1280).
        include_top, weights, input_tensor, input_shape, pooling, classes,
            classifier_activation: as in keras.applications.
        name: the model's name.
    """
    if not alpha > 0:
        raise ValueError(f"MobileNetV2: alpha must be > 0, got {alpha!r}.")
    shape = common.validate_args(
        name=name, weights=weights, input_shape=input_shape, default_shape=(224, 224, 3),
        include_top=include_top, pooling=pooling, classes=classes, min_size=32,
    )
    inputs = common.image_input(input_tensor, shape)
    x = conv_bn(inputs, make_divisible(32 * alpha, 8), 3, strides=2, activation="relu6",
                name="Conv1", bn_name="bn_Conv1", act_name="Conv1_relu", momentum=0.999)
    block_id = 0
    for expansion, channels, repeats, first_stride in stages:
        filters = make_divisible(int(channels * alpha), 8)
        for i in range(repeats):
            x = inverted_residual_block(x, filters, expansion,
                                        first_stride if i == 0 else 1, block_id)
            block_id += 1
    last = make_divisible(last_filters * alpha, 8) if alpha > 1.0 else last_filters
    x = conv_bn(x, last, 1, activation="relu6", name="Conv_1", act_name="out_relu",
                momentum=0.999)
    if include_top:
        x = keras.layers.GlobalAveragePooling2D(name="global_average_pooling")(x)
        x = keras.layers.Dense(classes, activation=classifier_activation,
                               name="predictions")(x)
    else:
        x = common.pool_features(x, pooling)
    return common.finish(inputs, x, name=name, weights=weights, input_tensor=input_tensor)


register(
    "mobilenetv2",
    task="classification",
    family="mobilenet",
    recipe="classification_mobilenet",
    # Two stages: the t = 1 block without expansion, a strided t = 6 block and a residual
    # repeat (a third stage only repeated them; the battery's cost goes with the graph).
    tiny=dict(alpha=0.35, stages=((1, 16, 1, 1), (6, 24, 2, 2)),
              last_filters=64, input_shape=(32, 32, 3), classes=10),
    canonical=dict(input_shape=(224, 224, 3), classes=1000),
    paper="Sandler et al., MobileNetV2, CVPR 2018",
    params=3_538_984,
    # keras-zoo benchmark mobilenetv2 --jit-compile (recipe: tiny, batch 32; 2026-12-04,
    # loaded 2-core machine): XLA 0.12x wall, 0.26x CPU seconds per step.
    jit_compile=False,
)(MobileNetV2)

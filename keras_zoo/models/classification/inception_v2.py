"""BN-Inception, "Inception v2" (Ioffe & Szegedy, Batch Normalization: Accelerating Deep Network
Training by Reducing Internal Covariate Shift, ICML 2015, appendix Figure 5)."""

import keras

from keras_zoo.blocks.inception import check_modules, conv, conv_bn_relu, inception_module, pool
from keras_zoo.models.classification import common
from keras_zoo.models.registry import register

#: Figure 5: #1x1, #3x3 reduce, #3x3, double #3x3 reduce, double #3x3, pool, pool proj,
#: stride. A stride-2 module has no 1x1 branch and passes the pooled input through.
BN_INCEPTION_MODULES = {
    "3a": (64, 64, 64, 64, 96, "avg", 32, 1),
    "3b": (64, 64, 96, 64, 96, "avg", 64, 1),
    "3c": (0, 128, 160, 64, 96, "max", 0, 2),
    "4a": (224, 64, 96, 96, 128, "avg", 128, 1),
    "4b": (192, 96, 128, 96, 128, "avg", 128, 1),
    "4c": (160, 128, 160, 128, 160, "avg", 128, 1),
    "4d": (96, 128, 192, 160, 192, "avg", 128, 1),
    "4e": (0, 128, 192, 192, 256, "max", 0, 2),
    "5a": (352, 192, 320, 160, 224, "avg", 128, 1),
    "5b": (352, 192, 320, 192, 224, "max", 128, 1),
}


def bn_inception_branches(spec, width=1.0):
    """The branches of one BN-Inception module: the 5x5 of GoogLeNet is replaced by two 3x3
    convolutions, and stride-2 modules concatenate a max-pooled copy of their input."""
    c1, c3r, c3, d3r, d3, pool_kind, proj, strides = spec

    def f(n):
        return max(1, int(round(n * width)))

    padding = "same"
    branches = []
    if c1:
        branches.append([conv(f(c1), 1, name="1x1")])
    branches.append([conv(f(c3r), 1, name="3x3_reduce"),
                     conv(f(c3), 3, strides, padding, name="3x3")])
    branches.append([conv(f(d3r), 1, name="double_3x3_reduce"),
                     conv(f(d3), 3, name="double_3x3_1"),
                     conv(f(d3), 3, strides, padding, name="double_3x3_2")])
    pooling = [pool(pool_kind, 3, strides, padding, name="pool")]
    if proj:
        pooling.append(conv(f(proj), 1, name="pool_proj"))
    branches.append(pooling)
    return branches


def BNInception(
    width=1.0,
    modules=tuple(BN_INCEPTION_MODULES),
    separable_stem=True,
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="bn_inception",
):
    """BN-Inception: GoogLeNet with batch normalisation after every convolution, the 5x5
    convolutions replaced by two 3x3, average pooling in most modules, stride-2 modules 3c and
    4e instead of separate max poolings, and no LRN, no auxiliary classifiers.

    The stem's 7x7 convolution is depthwise-separable with depth multiplier 8, as the paper's
    appendix says (``separable_stem=False``: a plain convolution). Figure 5's "output size"
    column says 576 channels for 4c and 4d and 1024 for 4e, which its own branch columns do not
    give (608, 608, 1056); we follow the branch columns. The paper gives no total: 11,298,560
    parameters at 1000 classes (11,278,528 trainable; tests pin an independent count).

    Args:
        width: multiplier of every convolution's filters (1 for the paper).
        modules: the Figure 5 modules to build, in order (all ten for the paper; tiny configs
            keep fewer).
        separable_stem: the first convolution is separable with depth multiplier 8.
        include_top, weights, input_tensor, input_shape, pooling, classes,
            classifier_activation: as in keras.applications.
        name: the model's name.
    """
    shape = common.validate_args(
        name=name, weights=weights, input_shape=input_shape, default_shape=(224, 224, 3),
        include_top=include_top, pooling=pooling, classes=classes, min_size=32,
    )
    check_modules(name, modules, BN_INCEPTION_MODULES)
    inputs = common.image_input(input_tensor, shape)

    def f(n):
        return max(1, int(round(n * width)))

    if separable_stem:
        x = keras.layers.SeparableConv2D(f(64), 7, strides=2, padding="same", depth_multiplier=8,
                                         use_bias=False, name="conv1_7x7_s2")(inputs)
    else:
        x = keras.layers.Conv2D(f(64), 7, strides=2, padding="same", use_bias=False,
                                name="conv1_7x7_s2")(inputs)
    x = keras.layers.BatchNormalization(epsilon=1e-3, name="conv1_7x7_s2_bn")(x)
    x = keras.layers.Activation("relu", name="conv1_7x7_s2_relu")(x)
    x = keras.layers.MaxPooling2D(3, strides=2, padding="same", name="pool1_3x3_s2")(x)
    x = conv_bn_relu(x, f(64), 1, 1, "same", "conv2_3x3_reduce")
    x = conv_bn_relu(x, f(192), 3, 1, "same", "conv2_3x3")
    x = keras.layers.MaxPooling2D(3, strides=2, padding="same", name="pool2_3x3_s2")(x)
    for key in modules:
        module = f"inception_{key}"
        branches = bn_inception_branches(BN_INCEPTION_MODULES[key], width)
        x = inception_module(x, branches, conv_bn_relu, module,
                             branch_names=[module] * len(branches))
    x = common.classifier_head(x, include_top=include_top, pooling=pooling, classes=classes,
                               classifier_activation=classifier_activation)
    return common.finish(inputs, x, name=name, weights=weights, input_tensor=input_tensor)


register(
    "bn_inception",
    task="classification",
    family="inception",
    # One module of each kind of Figure 5: average pooling and projection (3a), stride 2
    # with a pass-through max pooling (3c), max pooling and projection (5b).
    tiny=dict(width=0.125, modules=("3a", "3c", "5b"), input_shape=(32, 32, 3), classes=10),
    canonical=dict(input_shape=(224, 224, 3), classes=1000),
    paper="Ioffe & Szegedy, Batch Normalization, ICML 2015 (Figure 5)",
    notes="Also called Inception v2.",
)(BNInception)

"""ResNet-18/34/50/101/152 and the plain networks of the same depth (He, Zhang, Ren & Sun,
Deep Residual Learning for Image Recognition, CVPR 2016), ImageNet versions.

ResNet50/101/152 are layer-for-layer keras.applications' (same names, same weight order, same
25,636,712 / 44,707,176 / 60,419,944 parameters): ``ours.set_weights(theirs.get_weights())``
gives the same outputs. Like keras.applications (and the paper's released Caffe model) the
bottleneck's stride sits in its first 1x1 convolution and every convolution keeps a bias.
torchvision's "ResNet v1.5" moves the stride to the 3x3 (``stride_at="3x3"``: same parameter
count, about 0.5 % better top-1, more FLOPs) and drops the biases BN makes redundant
(``use_bias=False``). ResNet-18/34 have no keras.applications twin; they follow the paper's
Table 1 and torchvision (bias-free, projection shortcuts = option B): 11,699,112 and
21,814,696 parameters as Keras counts them (BN moving statistics included; the trainable
11,689,512 and 21,797,672 are torchvision's figures), the paper's 11.7M and 21.8M.

Pretrained weights: ``weights="imagenet"`` (keras.applications' ResNet50/101/152, caffe-style
preprocessing built in) and ``weights="keras_hub:resnet_50_imagenet"`` (and 18/101/152):
keras-hub's ResNet v1 is v1.5, so those load into ``stride_at="3x3", use_bias=False`` (set
from the preset) with ``bn_epsilon=1e-5`` (keras.applications' is 1.001e-5, our default: at
BN variances near 1e-2 the difference moves outputs by ~1e-4). keras-hub's ResNet-vd presets
(``resnet_vd_18_imagenet`` ... ``resnet_vd_152_imagenet``, PaddleClas' weights) load into
the model of the same depth with the tweaks of He, Zhang, Zhang, Zhang, Xie & Li, "Bag of
Tricks for Image Classification with Convolutional Neural Networks" (CVPR 2019, section 4):
ResNet-B's stride in the 3x3, ResNet-C's deep stem (``stem="deep"``) and ResNet-D's averaged
downsampling shortcut (``shortcut="avg_projection"``), set from the preset.

ResNet-vd-200 (``resnet200_vd``, keras-hub's ``resnet_vd_200_imagenet``) is PaddleClas'
ResNet200_vd: these tweaks on bottleneck stages of (3, 12, 48, 3) blocks, 74,933,064
parameters. It is not the 200-layer network of He et al.'s "Identity Mappings in Deep Residual
Networks" (ECCV 2016: pre-activation, (3, 24, 36, 3)); no paper of the v1 family has a
200-layer model, so the entry is the released one.
"""

import keras

from keras_zoo.blocks.residual import BN_EPSILON, basic_block, bottleneck_block, stack
from keras_zoo.models.classification import common
from keras_zoo.models.registry import register

#: Blocks per stage (conv2_x .. conv5_x) and block kind, from Table 1 of the paper.
DEPTHS = {
    18: ("basic", (2, 2, 2, 2)),
    34: ("basic", (3, 4, 6, 3)),
    50: ("bottleneck", (3, 4, 6, 3)),
    101: ("bottleneck", (3, 4, 23, 3)),
    152: ("bottleneck", (3, 8, 36, 3)),
}
BLOCKS = {"basic": basic_block, "bottleneck": bottleneck_block}
PAPER = "He, Zhang, Ren & Sun, Deep Residual Learning for Image Recognition, CVPR 2016"
STEMS = ("imagenet", "deep")


def imagenet_stem(x, filters=64, use_bias=True, bn_epsilon=BN_EPSILON):
    """7x7/2 convolution, BN, ReLU, 3x3/2 max pooling, each padded explicitly as in the paper's
    Caffe model and keras.applications (``conv1_pad`` ... ``pool1_pool``)."""
    x = keras.layers.ZeroPadding2D(3, name="conv1_pad")(x)
    x = keras.layers.Conv2D(filters, 7, strides=2, use_bias=use_bias, name="conv1_conv")(x)
    x = keras.layers.BatchNormalization(epsilon=bn_epsilon, name="conv1_bn")(x)
    x = keras.layers.Activation("relu", name="conv1_relu")(x)
    x = keras.layers.ZeroPadding2D(1, name="pool1_pad")(x)
    return keras.layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)


def deep_stem(x, filters=64, use_bias=True, bn_epsilon=BN_EPSILON):
    """ResNet-C's stem (He et al., Bag of Tricks, CVPR 2019, Fig. 2b): three 3x3 convolutions
    of ``filters / 2``, ``filters / 2`` and ``filters`` channels, the first of stride 2, each
    with BN and ReLU, then the 3x3/2 max pooling; the strided one padded explicitly by 1.

    Args:
        x: the image tensor.
        filters: the stem's output channels C (64).
        use_bias: biases in the convolutions.
        bn_epsilon: the BatchNormalization epsilon.
    """
    x = keras.layers.ZeroPadding2D(1, name="stem1_pad")(x)
    for i, (width, strides) in enumerate(((filters // 2, 2), (filters // 2, 1), (filters, 1)),
                                         start=1):
        x = keras.layers.Conv2D(width, 3, strides=strides, use_bias=use_bias,
                                padding="valid" if strides > 1 else "same",
                                name=f"stem{i}_conv")(x)
        x = keras.layers.BatchNormalization(epsilon=bn_epsilon, name=f"stem{i}_bn")(x)
        x = keras.layers.Activation("relu", name=f"stem{i}_relu")(x)
    x = keras.layers.ZeroPadding2D(1, name="pool1_pad")(x)
    return keras.layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)


def imagenet_shape(name, weights, input_shape, include_top, pooling, classes, min_size=32):
    """keras.applications' input rules: 224x224x3 by default with the top, (None, None, 3)
    without; a static size of at least ``min_size`` with the top."""
    default = (224, 224, 3) if include_top else (None, None, 3)
    return common.validate_args(name=name, weights=weights, input_shape=input_shape,
                                default_shape=default, include_top=include_top,
                                pooling=pooling, classes=classes, min_size=min_size)


def ResNet(
    block="bottleneck",
    stack_sizes=(3, 4, 6, 3),
    filters=(64, 128, 256, 512),
    stem_filters=64,
    shortcut="projection",
    use_bias=True,
    stride_at="1x1",
    groups=1,
    width_per_group=None,
    se=False,
    bn_epsilon=BN_EPSILON,
    stem="imagenet",
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="resnet",
):
    """A post-activation ResNet on the ImageNet stem (He et al. 2016, Table 1), the common
    builder of ResNet, the plain networks, ResNeXt and SE-ResNet.

    Args:
        block: ``"basic"`` (two 3x3) or ``"bottleneck"`` (1x1, 3x3, 1x1 with 4x expansion).
        stack_sizes: blocks in each stage (conv2_x, conv3_x, ...).
        filters: each stage's ``filters`` (the bottleneck width).
        stem_filters: the stem's output channels (the 7x7 convolution's filters).
        shortcut: ``"projection"`` (option B), ``"zero_pad"`` (option A), ``"none"`` (a
            plain network, the paper's Fig. 3 middle) or ``"avg_projection"`` (ResNet-D of
            Bag of Tricks, Fig. 2c: where a block downsamples, a 2x2/2 average pooling then a
            stride-1 1x1 projection; with it the first block of every stage projects, as the
            released ResNet-vd models do, which changes only ResNet-18/34's first stage).
        use_bias: biases in the convolutions.
        stride_at: where the bottleneck downsamples, ``"1x1"`` or ``"3x3"``.
        groups: the 3x3's groups (ResNeXt's cardinality C).
        width_per_group: ResNeXt's bottleneck width d of the first stage; the 3x3 then has
            ``groups * width_per_group * filters / 64`` channels. ``None``: ``filters``.
        se: squeeze-and-excitation on every block's residual branch (SE-ResNet).
        bn_epsilon: the BatchNormalization epsilon: keras.applications' 1.001e-5 by default,
            1e-5 for torchvision's and keras-hub's weights.
        stem: ``"imagenet"`` (the paper's 7x7/2 convolution) or ``"deep"`` (ResNet-C of Bag of
            Tricks, Fig. 2b: three 3x3 convolutions, ``deep_stem``). ResNet-vd (keras-hub's
            ``resnet_vd_*`` presets, PaddleClas' weights) is ``stem="deep",
            shortcut="avg_projection", stride_at="3x3", use_bias=False, bn_epsilon=1e-5``.
        include_top, weights, input_tensor, input_shape, pooling, classes,
            classifier_activation: as in keras.applications.
        name: the model's name.

    Example:
        >>> model = ResNet(stack_sizes=(1, 1), filters=(8, 16), stem_filters=8,
        ...                input_shape=(32, 32, 3), classes=10)
    """
    if block not in BLOCKS:
        raise ValueError(f"block must be one of {list(BLOCKS)}, got {block!r}.")
    if len(stack_sizes) != len(filters) or not stack_sizes:
        raise ValueError(
            f"stack_sizes {stack_sizes} and filters {filters} must be non-empty and of the "
            "same length (one entry per stage).")
    if stem not in STEMS:
        raise ValueError(f"{name}: stem must be one of {list(STEMS)}, got {stem!r}.")
    shape = imagenet_shape(name, weights, input_shape, include_top, pooling, classes)
    inputs = common.image_input(input_tensor, shape)
    x = (imagenet_stem if stem == "imagenet" else deep_stem)(inputs, stem_filters, use_bias,
                                                              bn_epsilon)
    options = dict(shortcut=shortcut, use_bias=use_bias, se=se, bn_epsilon=bn_epsilon)
    if shortcut == "avg_projection":
        options["project_first"] = True
    if block == "bottleneck":
        options.update(stride_at=stride_at, groups=groups)
    for stage, (blocks, f) in enumerate(zip(stack_sizes, filters, strict=True)):
        if width_per_group is not None:
            options["width"] = groups * width_per_group * f // 64
        x = stack(x, BLOCKS[block], f, blocks, strides=1 if stage == 0 else 2,
                  name=f"conv{stage + 2}", **options)
    x = common.classifier_head(x, include_top=include_top, pooling=pooling, classes=classes,
                               classifier_activation=classifier_activation)
    return common.finish(inputs, x, name=name, weights=weights, input_tensor=input_tensor)


def _depth(depth, **defaults):
    """A builder with the paper's depth; every ``ResNet`` argument can still be overridden."""
    block, sizes = DEPTHS[depth]

    def build(**kwargs):
        return ResNet(**{"block": block, "stack_sizes": sizes, **defaults, **kwargs})

    return build


def ResNet18(**kwargs):
    """ResNet-18: basic blocks (2, 2, 2, 2), bias-free, 11,699,112 parameters (paper: 11.7M).

    Args:
        **kwargs: any ``ResNet`` argument (the keras.applications set included).
    """
    return _depth(18, use_bias=False, name="resnet18")(**kwargs)


def ResNet34(**kwargs):
    """ResNet-34: basic blocks (3, 4, 6, 3), bias-free, 21,814,696 parameters (paper: 21.8M).

    Args:
        **kwargs: any ``ResNet`` argument (the keras.applications set included).
    """
    return _depth(34, use_bias=False, name="resnet34")(**kwargs)


def ResNet50(**kwargs):
    """ResNet-50, keras.applications.ResNet50 layer for layer (25,636,712 parameters).

    Args:
        **kwargs: any ``ResNet`` argument (the keras.applications set included).
    """
    return _depth(50, name="resnet50")(**kwargs)


def ResNet101(**kwargs):
    """ResNet-101, keras.applications.ResNet101 layer for layer (44,707,176 parameters).

    Args:
        **kwargs: any ``ResNet`` argument (the keras.applications set included).
    """
    return _depth(101, name="resnet101")(**kwargs)


def ResNet152(**kwargs):
    """ResNet-152, keras.applications.ResNet152 layer for layer (60,419,944 parameters).

    Args:
        **kwargs: any ``ResNet`` argument (the keras.applications set included).
    """
    return _depth(152, name="resnet152")(**kwargs)


def ResNet200VD(**kwargs):
    """ResNet-vd-200 (PaddleClas' ResNet200_vd, keras-hub's ``resnet_vd_200_imagenet``):
    bottleneck stages of (3, 12, 48, 3) blocks with Bag of Tricks' ResNet-B/C/D tweaks (He et
    al., CVPR 2019, section 4: the stride in the 3x3, the deep stem, the average-pooled
    shortcut), bias-free convolutions and BN epsilon 1e-5 (the released weights'): 74,933,064
    parameters.

    Args:
        **kwargs: any ``ResNet`` argument (the keras.applications set included).
    """
    return ResNet(**{"block": "bottleneck", "stack_sizes": (3, 12, 48, 3), "stem": "deep",
                     "shortcut": "avg_projection", "stride_at": "3x3", "use_bias": False,
                     "bn_epsilon": 1e-5, "name": "resnet200_vd", **kwargs})


def Plain18(**kwargs):
    """The 18-layer plain network (paper, Fig. 3 middle and Table 2): ResNet-18 without
    shortcuts, 11,523,496 parameters (ResNet-18 less its three projection shortcuts).

    Args:
        **kwargs: any ``ResNet`` argument (the keras.applications set included).
    """
    return _depth(18, use_bias=False, shortcut="none", name="plain18")(**kwargs)


def Plain34(**kwargs):
    """The 34-layer plain network, whose training error is higher than Plain18's: the
    degradation problem that motivates residual learning (paper, Fig. 4 left).

    Args:
        **kwargs: any ``ResNet`` argument (the keras.applications set included).
    """
    return _depth(34, use_bias=False, shortcut="none", name="plain34")(**kwargs)


def Plain50(**kwargs):
    """ResNet-50's layers without shortcuts (the bottleneck "plain" counterpart).

    Args:
        **kwargs: any ``ResNet`` argument (the keras.applications set included).
    """
    return _depth(50, shortcut="none", name="plain50")(**kwargs)


TINY = dict(stack_sizes=(1, 1), filters=(8, 16), stem_filters=8, input_shape=(32, 32, 3),
            classes=10)
CANONICAL = dict(input_shape=(224, 224, 3), classes=1000)

for _name, _builder, _params, _notes in (
    ("resnet18", ResNet18, 11_699_112, "torchvision-style: bias-free convolutions, option B"),
    ("resnet34", ResNet34, 21_814_696, "torchvision-style: bias-free convolutions, option B"),
    ("resnet50", ResNet50, 25_636_712, "= keras.applications.ResNet50 (weights transfer)"),
    ("resnet101", ResNet101, 44_707_176, "= keras.applications.ResNet101 (weights transfer)"),
    ("resnet152", ResNet152, 60_419_944, "= keras.applications.ResNet152 (weights transfer)"),
    ("plain18", Plain18, 11_523_496, "ResNet-18 without shortcuts"),
    ("plain34", Plain34, 21_639_080, "ResNet-34 without shortcuts"),
):
    register(
        _name,
        task="classification",
        family="resnet",
        tiny=TINY,
        canonical=CANONICAL,
        paper=PAPER,
        params=_params,
        notes=_notes,
    )(_builder)

register(
    "resnet200_vd",
    task="classification",
    family="resnet",
    tiny=TINY,
    canonical=CANONICAL,
    paper=("He, Zhang, Zhang, Zhang, Xie & Li, Bag of Tricks for Image Classification with "
           "Convolutional Neural Networks, CVPR 2019"),
    params=74_933_064,
    notes="PaddleClas' ResNet200_vd (keras-hub's resnet_vd_200_imagenet): ResNet-B/C/D tweaks "
          "on bottleneck stages (3, 12, 48, 3), bias-free, BN epsilon 1e-5",
)(ResNet200VD)

"""DenseNet-121/169/201/264 and DenseNet-BC for CIFAR (Huang, Liu, van der Maaten & Weinberger,
Densely Connected Convolutional Networks, CVPR 2017).

DenseNet121/169/201 are keras.applications' layer for layer (8,062,504 / 14,307,880 /
20,242,984 parameters) and take its weights with ``set_weights``. The ImageNet models are
DenseNet-BC (bottleneck 1x1 of 4k maps, compression theta = 0.5) with k = 32 (the paper's
Table 1). The CIFAR model has three dense blocks of (L - 4) / 6 bottleneck layers on a 3x3 stem
of 2k maps: L = 100, k = 12 is the paper's 0.8M-parameter DenseNet-BC.
"""

import keras

from keras_zoo.blocks.dense import dense_block, transition
from keras_zoo.blocks.residual import BN_EPSILON
from keras_zoo.models.classification import common
from keras_zoo.models.classification.resnet import imagenet_shape
from keras_zoo.models.registry import register

PAPER = ("Huang, Liu, van der Maaten & Weinberger, Densely Connected Convolutional Networks, "
         "CVPR 2017")
BLOCKS = {121: (6, 12, 24, 16), 169: (6, 12, 32, 32), 201: (6, 12, 48, 32), 264: (6, 12, 64, 48)}


def _imagenet_stem(x, filters, padding="symmetric"):
    if padding == "same":
        # TensorFlow's "same": at 224 px the 7x7/2 convolution pads 2 rows above and 3 below,
        # the 3x3/2 pooling 0 and 1, so every output sees the image shifted by one pixel against
        # the symmetric stem: another network for the same weights.
        x = keras.layers.Conv2D(filters, 7, strides=2, padding="same", use_bias=False,
                                name="conv1_conv")(x)
        x = keras.layers.BatchNormalization(epsilon=BN_EPSILON, name="conv1_bn")(x)
        x = keras.layers.Activation("relu", name="conv1_relu")(x)
        return keras.layers.MaxPooling2D(3, strides=2, padding="same", name="pool1")(x)
    # keras.applications leaves its two ZeroPadding2D layers unnamed (auto-numbered); ours get
    # the stable names ResNet uses. They hold no weights, so transfer is unaffected.
    x = keras.layers.ZeroPadding2D(3, name="conv1_pad")(x)
    x = keras.layers.Conv2D(filters, 7, strides=2, use_bias=False, name="conv1_conv")(x)
    x = keras.layers.BatchNormalization(epsilon=BN_EPSILON, name="conv1_bn")(x)
    x = keras.layers.Activation("relu", name="conv1_relu")(x)
    x = keras.layers.ZeroPadding2D(1, name="pool1_pad")(x)
    return keras.layers.MaxPooling2D(3, strides=2, name="pool1")(x)


def _cifar_stem(x, filters):
    # The paper's CIFAR nets start with one 3x3 convolution (2k maps for DenseNet-BC).
    return keras.layers.Conv2D(filters, 3, padding="same", use_bias=False,
                               name="conv1_conv")(x)


def DenseNet(
    blocks=(6, 12, 24, 16),
    growth_rate=32,
    compression=0.5,
    bottleneck=True,
    stem="imagenet",
    stem_filters=None,
    stem_padding="symmetric",
    dropout=0.0,
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="densenet",
):
    """Dense blocks joined by transition layers, then BN-ReLU and the classifier.

    Args:
        blocks: layers per dense block.
        growth_rate: k, the feature maps each layer adds.
        compression: theta, the transitions' output / input channels (1: no compression).
        bottleneck: 1x1 bottleneck layers of 4k maps (DenseNet-B).
        stem: ``"imagenet"`` (7x7/2 conv + 3x3/2 max pool, 224x224 input) or ``"cifar"``
            (one 3x3 conv, 32x32 input).
        stem_filters: the stem's filters; ``None``: 2k (the paper's choice for both).
        stem_padding: the ImageNet stem's padding: ``"symmetric"`` (3 pixels around the 7x7/2
            convolution, 1 around the 3x3/2 pooling: the paper's Caffe model, torchvision's and
            keras.applications') or ``"same"`` (TensorFlow's asymmetric "same", as keras-hub's
            ``DenseNetBackbone`` pads: its weights need it).
        dropout: drop rate after each convolution in the blocks and transitions.
        include_top, weights, input_tensor, input_shape, pooling, classes,
            classifier_activation: as in keras.applications.
        name: the model's name.

    Example:
        >>> model = DenseNet(blocks=(2, 2), growth_rate=4, input_shape=(32, 32, 3), classes=10)
    """
    if stem not in ("imagenet", "cifar"):
        raise ValueError(f"stem must be 'imagenet' or 'cifar', got {stem!r}.")
    if stem_padding not in ("symmetric", "same"):
        raise ValueError(f"{name}: stem_padding must be 'symmetric' or 'same', got "
                         f"{stem_padding!r}.")
    if stem == "cifar" and stem_padding != "symmetric":
        raise ValueError(f"{name}: stem_padding={stem_padding!r} applies to the ImageNet stem "
                         "only (the CIFAR stem is one 3x3 'same' convolution).")
    if not blocks or any(not isinstance(b, int) or b < 1 for b in blocks):
        raise ValueError(f"blocks must be positive ints, one per dense block, got {blocks!r}.")
    if stem == "imagenet":
        shape = imagenet_shape(name, weights, input_shape, include_top, pooling, classes)
    else:
        default = (32, 32, 3) if include_top else (None, None, 3)
        shape = common.validate_args(name=name, weights=weights, input_shape=input_shape,
                                     default_shape=default, include_top=include_top,
                                     pooling=pooling, classes=classes,
                                     min_size=2 ** (len(blocks) - 1))
    inputs = common.image_input(input_tensor, shape)
    filters = stem_filters or 2 * growth_rate
    x = (_imagenet_stem(inputs, filters, stem_padding) if stem == "imagenet"
         else _cifar_stem(inputs, filters))
    for i, layers in enumerate(blocks):
        x = dense_block(x, layers, growth_rate, bottleneck=bottleneck, dropout=dropout,
                        name=f"conv{i + 2}")
        if i < len(blocks) - 1:
            x = transition(x, compression, dropout=dropout, name=f"pool{i + 2}")
    x = keras.layers.BatchNormalization(epsilon=BN_EPSILON, name="bn")(x)
    x = keras.layers.Activation("relu", name="relu")(x)
    x = common.classifier_head(x, include_top=include_top, pooling=pooling, classes=classes,
                               classifier_activation=classifier_activation)
    return common.finish(inputs, x, name=name, weights=weights, input_tensor=input_tensor)


def _imagenet(depth):
    def build(**kwargs):
        return DenseNet(**{"blocks": BLOCKS[depth], "name": f"densenet{depth}", **kwargs})

    build.__name__ = f"DenseNet{depth}"
    build.__doc__ = f"""DenseNet-{depth} (DenseNet-BC, k = 32, blocks {BLOCKS[depth]}).

    Args:
        **kwargs: any ``DenseNet`` argument (the keras.applications set included).
    """
    return build


DenseNet121 = _imagenet(121)
DenseNet169 = _imagenet(169)
DenseNet201 = _imagenet(201)
DenseNet264 = _imagenet(264)


def DenseNetBC(depth=100, growth_rate=12, **kwargs):
    """DenseNet-BC for CIFAR (the paper's Table 2): three dense blocks of (depth - 4) / 6
    bottleneck layers, compression 0.5. depth=100, k=12 has 0.8M parameters.

    Args:
        depth: L, counting every convolution and the classifier (a bottleneck layer counts 2).
        growth_rate: k.
        **kwargs: any ``DenseNet`` argument (the keras.applications set included).
    """
    if not isinstance(depth, int) or depth < 10 or (depth - 4) % 6:
        raise ValueError(f"DenseNetBC: depth must be 6n + 4 with n >= 1, got {depth!r}.")
    n = (depth - 4) // 6
    config = {"blocks": (n, n, n), "growth_rate": growth_rate, "stem": "cifar",
              "input_shape": (32, 32, 3), "classes": 10, "name": f"densenet_bc_{depth}_{growth_rate}"}
    return DenseNet(**{**config, **kwargs})


_TINY = dict(blocks=(1, 2), growth_rate=4, stem_filters=8, input_shape=(32, 32, 3), classes=10)
_ENTRY = dict(task="classification", family="densenet", tiny=_TINY,
              canonical=dict(input_shape=(224, 224, 3), classes=1000), paper=PAPER)
# jit_compile: keras-zoo benchmark densenet121 --jit-compile (recipe: tiny, batch 32;
# 2026-12-04, loaded 2-core machine): XLA 0.70x wall, 1.03x CPU seconds per step: no win at the
# recipe's size (the ~14x the developers saw was not measured at the canonical size here).
register("densenet121", params=8_062_504, jit_compile=False,
         notes="= keras.applications.DenseNet121 (weights transfer)", **_ENTRY)(DenseNet121)
register("densenet169", params=14_307_880,
         notes="= keras.applications.DenseNet169 (weights transfer)", **_ENTRY)(DenseNet169)
register("densenet201", params=20_242_984,
         notes="= keras.applications.DenseNet201 (weights transfer)", **_ENTRY)(DenseNet201)
register("densenet264", params=33_736_232,
         notes="the paper's Table 1; not in keras.applications", **_ENTRY)(DenseNet264)

register(
    "densenet_bc_cifar",
    task="classification",
    family="densenet",
    tiny=dict(depth=10, growth_rate=4, input_shape=(32, 32, 3), classes=10),
    canonical=dict(depth=100, growth_rate=12, input_shape=(32, 32, 3), classes=10),
    paper=PAPER,
    params=793_150,
    notes="DenseNet-BC L=100, k=12 on CIFAR: 0.8M parameters (the paper's Table 2)",
)(DenseNetBC)

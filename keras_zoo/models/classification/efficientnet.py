"""EfficientNet B0-B7 (Tan & Le, EfficientNet: Rethinking Model Scaling for Convolutional Neural
Networks, ICML 2019)."""

import math

import keras

from keras_zoo.blocks.mobile import (
    conv_kernel_initializer,
    make_divisible,
    mbconv_block,
    same_padding_for_stride2,
)
from keras_zoo.models.classification import common
from keras_zoo.models.registry import register

#: The compound-scaling constants of the paper (section 3.3), found by grid search on B0:
#: depth d = ALPHA**phi, width w = BETA**phi, resolution r = GAMMA**phi, under
#: ALPHA * BETA**2 * GAMMA**2 ~ 2 (= 1.92027, notes 004), so FLOPs grow by about 2**phi.
ALPHA, BETA, GAMMA = 1.2, 1.1, 1.15

#: The B0 baseline (Table 1): (kernel, repeats, filters_in, filters_out, expand, stride).
EFFICIENTNET_B0_STAGES = (
    (3, 1, 32, 16, 1, 1),
    (3, 2, 16, 24, 6, 2),
    (5, 2, 24, 40, 6, 2),
    (3, 3, 40, 80, 6, 2),
    (5, 3, 80, 112, 6, 1),
    (5, 4, 112, 192, 6, 2),
    (3, 1, 192, 320, 6, 1),
)

#: (width, depth, resolution, dropout) of B0..B7 as released by the authors and used by
#: keras.applications. They are not the formula's values for phi = 0..7 (see
#: ``compound_coefficients``): the released models round and hand-tune them.
EFFICIENTNET_VARIANTS = {
    "b0": (1.0, 1.0, 224, 0.2),
    "b1": (1.0, 1.1, 240, 0.2),
    "b2": (1.1, 1.2, 260, 0.3),
    "b3": (1.2, 1.4, 300, 0.3),
    "b4": (1.4, 1.8, 380, 0.4),
    "b5": (1.6, 2.2, 456, 0.4),
    "b6": (1.8, 2.6, 528, 0.5),
    "b7": (2.0, 3.1, 600, 0.5),
}


def compound_coefficients(phi, alpha=ALPHA, beta=BETA, gamma=GAMMA, base_resolution=224):
    """The paper's compound scaling (equation 3): ``(width, depth, resolution)`` for ``phi``.

    Args:
        phi: the compound coefficient (0 for B0).
        alpha, beta, gamma: the depth, width and resolution bases.
        base_resolution: B0's input size.
    """
    return beta ** phi, alpha ** phi, int(round(base_resolution * gamma ** phi))


def EfficientNet(
    width_coefficient=1.0,
    depth_coefficient=1.0,
    default_size=224,
    dropout=0.2,
    drop_connect_rate=0.2,
    depth_divisor=8,
    stages=EFFICIENTNET_B0_STAGES,
    se_ratio=0.25,
    activation="swish",
    top_filters=1280,
    padding="same",
    bn_epsilon=1e-3,
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="efficientnet",
):
    """EfficientNet: the B0 stem, seven stages of MBConv blocks with squeeze-and-excitation,
    a 1x1 convolution to 1280 channels, scaled in width, depth and resolution.

    Inputs are float images in [0, 1] (keras-zoo's convention); the model starts with a
    ``Normalization`` layer (mean 0, variance 1 until weights are loaded), the one
    keras.applications puts after its ``Rescaling(1/255)``. So ``ours(x)`` equals
    ``keras.applications.EfficientNetB0(...)(255 * x)`` after ``set_weights``, and the parameter
    counts are equal (5,330,571 for B0: the normalisation's mean, variance and count included).

    Args:
        width_coefficient: channel multiplier (filters are rounded to ``depth_divisor``).
        depth_coefficient: repeat multiplier (``ceil(depth * repeats)`` blocks per stage).
        default_size: the input size used when ``input_shape`` is None.
        dropout: dropout before the classifier.
        drop_connect_rate: the last block's drop-connect rate; block i of N gets
            ``rate * i / N``.
        depth_divisor: the channel rounding unit.
        stages: (kernel, repeats, filters_in, filters_out, expand, stride) rows of Table 1.
        se_ratio: the squeeze-and-excitation ratio.
        activation: the activation (swish).
        top_filters: channels of the last 1x1 convolution before scaling (1280).
        padding: of the strided convolutions (stem and depthwise): ``"same"`` (TensorFlow's
            asymmetric padding: the authors' code and keras.applications) or ``"symmetric"``
            (k // 2 on every side: timm's PyTorch weights, which keras-hub's
            ``EfficientNetBackbone`` presets carry).
        bn_epsilon: the BatchNormalization epsilon: 1e-3 (TensorFlow's, keras.applications')
            or 1e-5 (PyTorch's, keras-hub's presets).
        include_top, weights, input_tensor, input_shape, pooling, classes,
            classifier_activation: as in keras.applications.
        name: the model's name.
    """
    for arg, value in (("width_coefficient", width_coefficient),
                       ("depth_coefficient", depth_coefficient)):
        if not value > 0:
            raise ValueError(f"EfficientNet: {arg} must be > 0, got {value!r}.")
    if padding not in ("same", "symmetric"):
        raise ValueError(f"{name}: padding must be 'same' or 'symmetric', got {padding!r}.")
    shape = common.validate_args(
        name=name, weights=weights, input_shape=input_shape,
        default_shape=(default_size, default_size, 3), include_top=include_top,
        pooling=pooling, classes=classes, min_size=32,
    )

    def width(filters):
        return make_divisible(filters * width_coefficient, depth_divisor)

    def depth(repeats):
        return int(math.ceil(depth_coefficient * repeats))

    inputs = common.image_input(input_tensor, shape)
    x = keras.layers.Normalization(axis=-1, name="normalization")(inputs)
    pad = 1 if padding == "symmetric" else same_padding_for_stride2(x, 3)
    x = keras.layers.ZeroPadding2D(pad, name="stem_conv_pad")(x)
    x = keras.layers.Conv2D(width(32), 3, strides=2, padding="valid", use_bias=False,
                            kernel_initializer=conv_kernel_initializer(), name="stem_conv")(x)
    x = keras.layers.BatchNormalization(epsilon=bn_epsilon, name="stem_bn")(x)
    x = keras.layers.Activation(activation, name="stem_activation")(x)

    total = float(sum(depth(stage[1]) for stage in stages))
    index = 0
    for stage, (kernel, repeats, f_in, f_out, expand, stride) in enumerate(stages, start=1):
        f_in, f_out = width(f_in), width(f_out)
        for j in range(depth(repeats)):
            x = mbconv_block(
                x, f_in if j == 0 else f_out, f_out, kernel, stride if j == 0 else 1, expand,
                se_ratio, drop_connect_rate * index / total, activation,
                name=f"block{stage}{chr(ord('a') + j)}_", padding=padding,
                bn_epsilon=bn_epsilon)
            index += 1

    x = keras.layers.Conv2D(width(top_filters), 1, padding="same", use_bias=False,
                            kernel_initializer=conv_kernel_initializer(), name="top_conv")(x)
    x = keras.layers.BatchNormalization(epsilon=bn_epsilon, name="top_bn")(x)
    x = keras.layers.Activation(activation, name="top_activation")(x)
    x = common.classifier_head(x, include_top=include_top, pooling=pooling, classes=classes,
                               classifier_activation=classifier_activation, dropout=dropout)
    return common.finish(inputs, x, name=name, weights=weights, input_tensor=input_tensor)


def _variant(key):
    width_coefficient, depth_coefficient, size, dropout = EFFICIENTNET_VARIANTS[key]

    def build(**config):
        defaults = dict(width_coefficient=width_coefficient, depth_coefficient=depth_coefficient,
                        default_size=size, dropout=dropout, name=f"efficientnet{key}")
        return EfficientNet(**{**defaults, **config})

    build.__name__ = f"EfficientNet{key.upper()}"
    build.__doc__ = (f"EfficientNet-{key.upper()}: width {width_coefficient}, depth "
                     f"{depth_coefficient}, {size}x{size} input, dropout {dropout}; the "
                     "arguments of ``EfficientNet``.")
    return build


EfficientNetB0, EfficientNetB1, EfficientNetB2, EfficientNetB3 = (
    _variant(k) for k in ("b0", "b1", "b2", "b3"))
EfficientNetB4, EfficientNetB5, EfficientNetB6, EfficientNetB7 = (
    _variant(k) for k in ("b4", "b5", "b6", "b7"))

#: keras.applications' parameter counts at 1000 classes (checked against it by the tests).
EFFICIENTNET_PARAMS = {
    "b0": 5_330_571, "b1": 7_856_239, "b2": 9_177_569, "b3": 12_320_535,
    "b4": 19_466_823, "b5": 30_562_527, "b6": 43_265_143, "b7": 66_658_687,
}

#: Three MBConv blocks that still build every kind the paper uses: without expansion, with
#: expansion 6, a 5x5 kernel, a stride-2 block and a residual one (with drop-connect's path).
#: Four stages (five blocks) cost 2-3x the battery time for no other kind of layer.
_TINY = dict(width_coefficient=0.25, depth_coefficient=1.0, top_filters=128,
             stages=((3, 1, 32, 16, 1, 1), (5, 2, 16, 24, 6, 2)), input_shape=(32, 32, 3),
             classes=10, dropout=0.0, drop_connect_rate=0.0)

_ENTRY = dict(task="classification", family="efficientnet", tiny=_TINY,
              recipe="classification_efficientnet",
              paper="Tan & Le, EfficientNet, ICML 2019",
              notes="Input float in [0, 1]; keras.applications' equivalent takes [0, 255].")


def _canonical(key):
    size = EFFICIENTNET_VARIANTS[key][2]
    return dict(input_shape=(size, size, 3), classes=1000)


register("efficientnetb0", canonical=_canonical("b0"), params=EFFICIENTNET_PARAMS["b0"],
         **_ENTRY)(EfficientNetB0)
register("efficientnetb1", canonical=_canonical("b1"), params=EFFICIENTNET_PARAMS["b1"],
         **_ENTRY)(EfficientNetB1)
register("efficientnetb2", canonical=_canonical("b2"), params=EFFICIENTNET_PARAMS["b2"],
         **_ENTRY)(EfficientNetB2)
register("efficientnetb3", canonical=_canonical("b3"), params=EFFICIENTNET_PARAMS["b3"],
         **_ENTRY)(EfficientNetB3)
register("efficientnetb4", canonical=_canonical("b4"), params=EFFICIENTNET_PARAMS["b4"],
         **_ENTRY)(EfficientNetB4)
register("efficientnetb5", canonical=_canonical("b5"), params=EFFICIENTNET_PARAMS["b5"],
         **_ENTRY)(EfficientNetB5)
register("efficientnetb6", canonical=_canonical("b6"), params=EFFICIENTNET_PARAMS["b6"],
         **_ENTRY)(EfficientNetB6)
register("efficientnetb7", canonical=_canonical("b7"), params=EFFICIENTNET_PARAMS["b7"],
         **_ENTRY)(EfficientNetB7)

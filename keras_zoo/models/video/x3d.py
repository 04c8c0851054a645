"""X3D: a tiny 2-D network expanded step by step along six axes (Feichtenhofer, X3D: Expanding
Architectures for Efficient Video Recognition, CVPR 2020)."""

import math

import keras

from keras_zoo.blocks.video import bn_relu, bottleneck_block3d
from keras_zoo.layers.depthwise_conv_3d import DepthwiseConv3D
from keras_zoo.models.video import common

PAPER = "Feichtenhofer, CVPR 2020"

#: Blocks per stage of the X2D base network before the depth expansion (Table 1: 1, 2, 5, 3).
BASE_DEPTHS = (1, 2, 5, 3)
#: The base network's stem width; each stage doubles it (Table 1, with gamma_w = 2: 24..192).
BASE_WIDTH = 12

#: The six expansion factors of section 3 per model (section 4 and Table 3): gamma_tau (the
#: frame stride of the sampled clip), gamma_t (frames), gamma_s (crop side), gamma_w (width),
#: gamma_b (bottleneck: inner = gamma_b x the stage width), gamma_d (depth). gamma_tau and
#: gamma_t, gamma_s describe the input: ``input_shape``, and gamma_tau the frame stride of the
#: clips the video task samples from UCF101 for the variant (its entry's ``data_options``,
#: ``{"ucf101": {"stride": gamma_tau}}``; the embedded clips are T frames: stride 1).
EXPANSIONS = {
    "xs": dict(gamma_tau=12, gamma_t=4, gamma_s=160, gamma_w=2.0, gamma_b=2.25, gamma_d=2.2),
    "s": dict(gamma_tau=6, gamma_t=13, gamma_s=160, gamma_w=2.0, gamma_b=2.25, gamma_d=2.2),
    "m": dict(gamma_tau=5, gamma_t=16, gamma_s=224, gamma_w=2.0, gamma_b=2.25, gamma_d=2.2),
    "l": dict(gamma_tau=5, gamma_t=16, gamma_s=312, gamma_w=2.0, gamma_b=2.25, gamma_d=5.0),
}


def round_width(width, multiplier, divisor=8, min_width=8):
    """``width x multiplier`` rounded to a multiple of ``divisor`` (not below 90 % of it), as
    the released X3D rounds its expanded widths."""
    w = width * multiplier
    rounded = max(min_width, int(w + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * w else rounded


def X3D(
    gamma_w=2.0,
    gamma_b=2.25,
    gamma_d=2.2,
    base_depths=BASE_DEPTHS,
    se_ratio=1 / 16,
    head_width=2048,
    dropout=0.5,
    include_top=True,
    input_shape=(16, 224, 224, 3),
    pooling=None,
    classes=400,
    classifier_activation="softmax",
    name="x3d_m",
):
    """X3D (Table 1): a 1x3x3 convolution (stride 2 in space) and a channel-wise 5x1x1 one as
    the stem; four stages of bottleneck blocks whose middle convolution is channel-wise 3x3x3
    (SE with ratio 1/16 on every other block, swish after it), each stage halving space;
    conv5 (1x1x1 to the last stage's inner width), global pooling, a 2048-unit layer, dropout
    and the classifier. Time is never strided.

    Args:
        gamma_w: width expansion (stem 12 x gamma_w; each stage doubles it).
        gamma_b: bottleneck expansion (inner channels = gamma_b x stage width).
        gamma_d: depth expansion (blocks = ceil(gamma_d x base_depths)).
        base_depths: blocks per stage of the X2D base network (Table 1: 1, 2, 5, 3); fewer
            stages end the network early, for small test configs.
        se_ratio: SE's reduction; 0 for none.
        head_width: units of the layer before the classifier.
        dropout: before the classifier.
        include_top, pooling, classes, classifier_activation: as in keras.applications.
        input_shape: ``(gamma_t, gamma_s, gamma_s, 3)``.
        name: the model's name.
    """
    for arg, value in (("gamma_w", gamma_w), ("gamma_b", gamma_b), ("gamma_d", gamma_d)):
        if not value > 0:
            raise ValueError(f"{name}: {arg} must be positive, got {value!r}.")
    if not 1 <= len(base_depths) <= 4 or min(base_depths) < 1:
        raise ValueError(f"{name}: base_depths must be one to four positive ints, got "
                         f"{base_depths!r}.")
    common.check_head(name, include_top, pooling, classes)
    inputs = common.clip_input(name, input_shape, min_frames=1, min_size=16)
    stem = round_width(BASE_WIDTH, gamma_w)
    x = keras.layers.Conv3D(stem, (1, 3, 3), strides=(1, 2, 2), padding="same",
                            use_bias=False, name="stem_xy_conv")(inputs)
    x = DepthwiseConv3D((5, 1, 1), name="stem_t_conv")(x)
    x = bn_relu(x, "stem")
    width = BASE_WIDTH
    for i, base in enumerate(base_depths):
        width = round_width(width, gamma_w)
        inner = int(gamma_b * width)
        se = round_width(inner, se_ratio) if se_ratio else None
        for j in range(int(math.ceil(gamma_d * base))):
            x = bottleneck_block3d(
                x, width, inner, (1, 2, 2) if j == 0 else (1, 1, 1), f"res{i + 2}_block{j + 1}",
                depthwise=True, se_bottleneck=se if j % 2 == 0 else None, activation="swish")
    x = keras.layers.Conv3D(int(gamma_b * width), 1, use_bias=False, name="conv5_conv")(x)
    x = bn_relu(x, "conv5")
    if include_top:
        x = keras.layers.GlobalAveragePooling3D(name="avg_pool")(x)
        x = keras.layers.Dense(head_width, activation="relu", use_bias=False, name="fc1")(x)
        if dropout:
            x = keras.layers.Dropout(dropout, name="dropout")(x)
        x = keras.layers.Dense(classes, activation=classifier_activation,
                               name="predictions")(x)
    else:
        x = common.head(x, name, False, pooling, classes, classifier_activation)
    return keras.Model(inputs, x, name=name)


def _variant(key, name):
    e = EXPANSIONS[key]

    def build(**kwargs):
        return X3D(**{"gamma_w": e["gamma_w"], "gamma_b": e["gamma_b"],
                      "gamma_d": e["gamma_d"], "name": name,
                      "input_shape": (e["gamma_t"], e["gamma_s"], e["gamma_s"], 3), **kwargs})

    build.__doc__ = (f"X3D-{key.upper()} (expansions {e}): clips of {e['gamma_t']} frames "
                     f"{e['gamma_tau']} apart (gamma_tau: its entry's ``data_options`` on "
                     f"UCF101). Args: any of ``X3D``'s.")
    build.__module__ = __name__
    build.__wrapped__ = X3D  # its arguments are X3D's (the registry refuses any other by name)
    return build


X3DXS = _variant("xs", "x3d_xs")
X3DS = _variant("s", "x3d_s")
X3DM = _variant("m", "x3d_m")
X3DL = _variant("l", "x3d_l")

#: Stated on every X3D entry (tests/models/video/test_video_3d.py holds it as a strict xfail).
INT8_DEBT = (" int8 (a declared debt): trained by its recipe, verify's int8 top-1 agreement "
             "on the held-out clips is 0.9509 (bar 0.98; x3d_xs and x3d_m, measured "
             "2026-12-05), while the float TFLite file equals the model (7e-7); the "
             "battery's untrained tiny model passes.")

# One stage of one block (res2), 8 frames of 16x16: 12 x 1/3 = 4 channels at the stem.
# The four variants differ only in their expansion factors and input, which the tiny config
# overrides: their tiny models are one graph, so the battery's heavy checks run once for all
# four (build and forward run on each).
TINY = dict(gamma_w=1 / 3, gamma_b=2.0, gamma_d=1.0, base_depths=(1,), head_width=16,
            dropout=0.0, input_shape=(8, 16, 16, 3), classes=4)

common.register_video(
    "x3d_xs", X3DXS, family="x3d", tiny=TINY,
    data_options={"ucf101": {"stride": EXPANSIONS["xs"]["gamma_tau"]}},
    canonical=dict(input_shape=(4, 160, 160, 3), classes=400), paper=PAPER,
    params=3_825_786,
    notes="4 x 160^2 clips at frame stride 12 (gamma_tau: the stride of the UCF101 clips the "
          "task samples; the embedded 8-frame clips: 1); 3,794,322 trainable (Table 4: 3.8M)." + INT8_DEBT,
)
common.register_video(
    "x3d_s", X3DS, family="x3d", tiny=TINY,
    data_options={"ucf101": {"stride": EXPANSIONS["s"]["gamma_tau"]}},
    canonical=dict(input_shape=(13, 160, 160, 3), classes=400), paper=PAPER,
    params=3_825_786,
    notes="13 x 160^2 clips at frame stride 6 (gamma_tau: the stride of the UCF101 clips the "
          "task samples; the embedded 8-frame clips: 1); X3D-XS's network (Table 4: 3.8M)." + INT8_DEBT,
)
common.register_video(
    "x3d_m", X3DM, family="x3d", tiny=TINY,
    data_options={"ucf101": {"stride": EXPANSIONS["m"]["gamma_tau"]}},
    canonical=dict(input_shape=(16, 224, 224, 3), classes=400), paper=PAPER,
    params=3_825_786,
    notes="16 x 224^2 clips at frame stride 5 (gamma_tau: the stride of the UCF101 clips the "
          "task samples; the embedded 8-frame clips: 1); X3D-XS's network (Table 4: 3.8M)." + INT8_DEBT,
)
common.register_video(
    "x3d_l", X3DL, family="x3d", tiny=TINY,
    data_options={"ucf101": {"stride": EXPANSIONS["l"]["gamma_tau"]}},
    canonical=dict(input_shape=(16, 312, 312, 3), classes=400), paper=PAPER,
    params=6_219_744,
    notes="16 x 312^2 clips at frame stride 5 (gamma_tau: the stride of the UCF101 clips the "
          "task samples; the embedded 8-frame clips: 1), depth x 5.0; 6,153,432 trainable "
          "(Table 4: 6.1M)." + INT8_DEBT,
)

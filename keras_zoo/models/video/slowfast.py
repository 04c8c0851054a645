"""SlowFast: a slow pathway of few frames and many channels beside a fast pathway of many frames
and few channels, joined by lateral connections (Feichtenhofer, Fan, Malik & He, SlowFast
Networks for Video Recognition, ICCV 2019)."""

import keras

from keras_zoo.blocks.video import bn_relu, bottleneck_block3d
from keras_zoo.layers.max_pooling_3d import SeparableMaxPooling3D
from keras_zoo.models.video import common

PAPER = "Feichtenhofer, Fan, Malik & He, ICCV 2019"

#: Bottleneck blocks per stage res2..res5 of ResNet-50 and -101 (Table 1).
DEPTHS = {50: (3, 4, 6, 3), 101: (3, 4, 23, 3)}


def slow_frames(clips, alpha):
    """Every ``alpha``-th frame of ``clips`` ``[B, T, H, W, C]`` (frames 0, alpha, 2 alpha, ...):
    the slow pathway's input, cut from the fast pathway's clip in the graph with builtin layers
    (a reshape into groups of alpha frames and a crop of each group to its first)."""
    _, t, h, w, c = clips.shape
    x = keras.layers.Reshape((t // alpha, alpha, h * w * c), name="slow_groups")(clips)
    x = keras.layers.Cropping2D(((0, 0), (0, alpha - 1)), name="slow_sample")(x)
    return keras.layers.Reshape((t // alpha, h, w, c), name="slow_clips")(x)


def lateral(fast, alpha, kernel, name):
    """The time-strided convolution from fast to slow (section 3.4): a ``kernel x 1 x 1``
    convolution with stride ``alpha`` in time and ``2 beta C`` (twice the fast channels)
    outputs, BN and ReLU."""
    x = keras.layers.Conv3D(2 * fast.shape[-1], (kernel, 1, 1), strides=(alpha, 1, 1),
                            padding="same", use_bias=False, name=f"{name}_conv")(fast)
    return bn_relu(x, name)


def SlowFast(
    depth=50,
    blocks=None,
    alpha=8,
    beta=1 / 8,
    width=64,
    fusion_kernel=5,
    dropout=0.5,
    include_top=True,
    input_shape=(32, 224, 224, 3),
    pooling=None,
    classes=400,
    classifier_activation="softmax",
    name="slowfast_r50",
):
    """SlowFast-R50 (Table 1): the fast pathway sees all ``T`` frames of the clip (the paper's
    tau/alpha stride), the slow pathway every ``alpha``-th of them (stride tau); both are 3-D
    ResNets with bottleneck blocks, the fast one ``beta`` times as wide with a temporal kernel
    everywhere (5x7x7 stem, 3x1x1 first convolutions), the slow one with temporal kernels only
    in res4 and res5 (1x7x7 stem). After pool1 and res2..res4 a time-strided convolution maps
    the fast features onto the slow ones' time steps and they are concatenated to the slow
    pathway's. Each pathway is averaged over time and space; the two are concatenated,
    followed by dropout and the classifier. No temporal striding anywhere.

    Args:
        depth: 50 or 101.
        blocks: blocks per stage, overriding ``DEPTHS[depth]`` (up to four ints; fewer
            stages end the network early, for small test configs).
        alpha: the frame-rate ratio (fast frames per slow frame); must divide the clip length.
        beta: the channel ratio of the fast to the slow pathway.
        width: the slow pathway's stem channels (res2's inner width; outputs 4x).
        fusion_kernel: the lateral convolution's temporal kernel (5 in the paper).
        dropout: before the classifier.
        include_top, pooling, classes, classifier_activation: as in keras.applications.
        input_shape: ``(T, H, W, 3)`` of the fast clip; ``T / alpha`` frames reach the slow
            pathway.
        name: the model's name.
    """
    if depth not in DEPTHS:
        raise ValueError(f"{name}: depth must be one of {sorted(DEPTHS)}, got {depth!r}.")
    blocks = DEPTHS[depth] if blocks is None else tuple(blocks)
    if not 1 <= len(blocks) <= 4 or min(blocks) < 1:
        raise ValueError(f"{name}: blocks must be one to four positive ints, got {blocks!r}.")
    if not isinstance(alpha, int) or alpha < 1:
        raise ValueError(f"{name}: alpha must be a positive integer, got {alpha!r}.")
    if not 0 < beta <= 1:
        raise ValueError(f"{name}: beta must be in (0, 1], got {beta!r}.")
    common.check_head(name, include_top, pooling, classes)
    clips = common.clip_input(name, input_shape, min_frames=alpha, frame_multiple=alpha,
                              min_size=16)
    fast_width = max(1, int(round(width * beta)))
    slow = slow_frames(clips, alpha)
    slow = keras.layers.Conv3D(width, (1, 7, 7), strides=(1, 2, 2), padding="same",
                               use_bias=False, name="slow_conv1_conv")(slow)
    slow = bn_relu(slow, "slow_conv1")
    fast = keras.layers.Conv3D(fast_width, (5, 7, 7), strides=(1, 2, 2), padding="same",
                               use_bias=False, name="fast_conv1_conv")(clips)
    fast = bn_relu(fast, "fast_conv1")
    slow = SeparableMaxPooling3D((1, 3, 3), (1, 2, 2), "same", name="slow_pool1")(slow)
    fast = SeparableMaxPooling3D((1, 3, 3), (1, 2, 2), "same", name="fast_pool1")(fast)
    for i, n in enumerate(blocks):
        slow = keras.layers.Concatenate(name=f"fuse{i + 1}")(
            [slow, lateral(fast, alpha, fusion_kernel, f"lateral{i + 1}")])
        stage = f"res{i + 2}"
        for j in range(n):
            stride = (1, 2, 2) if i > 0 and j == 0 else (1, 1, 1)
            inner = width * 2 ** i
            slow = bottleneck_block3d(slow, 4 * inner, inner, stride,
                                      f"slow_{stage}_block{j + 1}",
                                      temporal_kernel=3 if i >= 2 else 1)
            fast = bottleneck_block3d(fast, 4 * fast_width * 2 ** i, fast_width * 2 ** i,
                                      stride, f"fast_{stage}_block{j + 1}", temporal_kernel=3)
    if not include_top and pooling is None:
        return _pytorch_bn_momentum(keras.Model(clips, [slow, fast], name=name))
    pool = keras.layers.GlobalMaxPooling3D if pooling == "max" else \
        keras.layers.GlobalAveragePooling3D
    x = keras.layers.Concatenate(name="pathways")(
        [pool(name="slow_pool")(slow), pool(name="fast_pool")(fast)])
    if include_top:
        if dropout:
            x = keras.layers.Dropout(dropout, name="dropout")(x)
        x = keras.layers.Dense(classes, activation=classifier_activation,
                               name="predictions")(x)
    return _pytorch_bn_momentum(keras.Model(clips, x, name=name))


def _pytorch_bn_momentum(model):
    """BatchNorm moving statistics updated as in the authors' PySlowFast (PyTorch's momentum
    0.1, Keras' 0.9) instead of Keras' 0.99. Measured on the tiny config (width 8, 25 epochs,
    cosine): with 0.99 the moving statistics of the slow pathway lag up to one population SD
    behind its batch statistics and held-out accuracy is 0.742; the same weights with the
    statistics re-estimated give 0.969."""
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.momentum = 0.9
    return model


# One stage (res2, one block per pathway) after the first lateral connection.
TINY = dict(blocks=(1,), width=2, beta=1 / 2, alpha=4, dropout=0.0, input_shape=(8, 16, 16, 3),
            classes=4)

common.register_video(
    "slowfast_r50",
    SlowFast,
    family="slowfast",
    tiny=TINY,
    canonical=dict(input_shape=(32, 224, 224, 3), classes=400),
    paper=PAPER,
    params=34_540_904,
    recipe="slowfast",  # training/recipes/video_3d.py (issue 19)
    notes="34,480,216 trainable (34.4M in the X3D paper's Table 4). SlowFast 4x16, R50: a 32-frame clip (stride 2), its every 8th frame to the slow "
          "pathway; alpha=8, beta=1/8, 5x1x1 lateral convolutions with stride alpha.",
)

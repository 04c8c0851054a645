"""R3D: the 3-D residual network (Hara, Kataoka & Satoh, CVPR 2018; Tran et al., A Closer
Look at Spatiotemporal Convolutions for Action Recognition, CVPR 2018, section 3.2)."""

import keras

from keras_zoo.blocks.video import bn_relu, conv3d, resnet3d_stages
from keras_zoo.models.video import common

PAPER = "Tran, Wang, Torresani, Ray, LeCun & Paluri, CVPR 2018"

#: Blocks per stage of the 18- and 34-layer networks (Tran et al. 2018, Table 1).
DEPTHS = {18: (2, 2, 2, 2), 34: (3, 4, 6, 3)}


def ResNet3D(
    depth=18,
    blocks=None,
    kind="3d",
    filters=(64, 128, 256, 512),
    stem_filters=64,
    include_top=True,
    input_shape=(16, 112, 112, 3),
    pooling=None,
    classes=400,
    classifier_activation="softmax",
    name="r3d_18",
):
    """A video ResNet with basic blocks: 3x3x3 convolutions (``kind="3d"``, R3D) or their
    (2+1)-D factorisation (``kind="2plus1d"``, R(2+1)D).

    The stem is a 3x7x7 convolution with stride 1x2x2 (factorised in R(2+1)D as 1x7x7 then
    3x1x1, its mid-channels by the paper's rule); stages conv3_x..conv5_x halve time and space
    with their first block (Table 1: the 8x112x112 clip ends at 1x7x7); global average pooling
    and the classifier follow. No max pooling after the stem, as in the paper.

    Args:
        depth: 18 or 34 (blocks per stage from ``DEPTHS``).
        blocks: blocks per stage, overriding ``DEPTHS[depth]`` (one int per entry of
            ``filters``; fewer stages end the network early, for small test configs).
        kind: "3d" (R3D) or "2plus1d" (R(2+1)D).
        filters: channels of the four stages.
        stem_filters: channels of the stem.
        include_top, pooling, classes, classifier_activation: as in keras.applications.
        input_shape: ``(frames, height, width, channels)``; frames a multiple of 8, so that
            the three temporal halvings are exact.
        name: the model's name.
    """
    if depth not in DEPTHS:
        raise ValueError(f"{name}: depth must be one of {sorted(DEPTHS)}, got {depth!r}.")
    blocks = DEPTHS[depth] if blocks is None else tuple(blocks)
    if len(blocks) != len(filters) or min(blocks) < 1:
        raise ValueError(f"{name}: blocks must be positive ints, one per entry of filters "
                         f"{tuple(filters)}, got {blocks!r}.")
    common.check_head(name, include_top, pooling, classes)
    inputs = common.clip_input(name, input_shape, min_frames=8, frame_multiple=8, min_size=16)
    x = conv3d(inputs, stem_filters, (3, 7, 7), (1, 2, 2), "stem", kind)
    x = bn_relu(x, "stem")
    x = resnet3d_stages(x, filters, blocks, kind)
    x = common.head(x, name, include_top, pooling, classes, classifier_activation)
    return keras.Model(inputs, x, name=name)


def R3D18(**kwargs):
    """R3D-18 (33.4M parameters with a 400-class head, Tran et al. 2018 Table 1): ``ResNet3D``
    with 18 layers of full 3-D convolutions.

    Args:
        **kwargs: any argument of ``ResNet3D`` (``filters``, ``blocks``, ``input_shape``,
            ``classes``, ...); any other is refused by name.
    """
    return ResNet3D(**{"depth": 18, "kind": "3d", "name": "r3d_18", **kwargs})


# Its arguments are ResNet3D's (the registry refuses any other by name).
R3D18.__wrapped__ = ResNet3D


# One block in each of two stages (conv2_x, conv3_x: one spatio-temporal halving).
TINY = dict(blocks=(1, 1), filters=(4, 8), stem_filters=4, input_shape=(8, 16, 16, 3),
            classes=4)

common.register_video(
    "r3d_18",
    R3D18,
    family="resnet3d",
    tiny=TINY,
    canonical=dict(input_shape=(16, 112, 112, 3), classes=400),
    paper=PAPER,
    params=33_381_072,
    recipe="r3d",  # training/recipes/video_3d.py (issue 19)
    notes="Kinetics head (400 classes): 33,371,472 trainable (the paper's Table 1: 33.4M) plus BN statistics.",
)

"""S3D and S3D-G: I3D with every 3-D convolution made separable in space and time, and (S3D-G)
feature gating (Xie, Sun, Huang, Tu & Murphy, Rethinking Spatiotemporal Feature Learning:
Speed-Accuracy Trade-offs in Video Classification, ECCV 2018)."""

import keras

from keras_zoo.blocks.video import separable_unit3d
from keras_zoo.layers.max_pooling_3d import SeparableMaxPooling3D
from keras_zoo.models.classification.googlenet import GOOGLENET_MODULES
from keras_zoo.models.video import common

PAPER = "Xie, Sun, Huang, Tu & Murphy, ECCV 2018"
MODULES = ("3a", "3b", "4a", "4b", "4c", "4d", "4e", "5a", "5b")


def _inception(x, key, width, gating):
    """The temporally separable Inception block (Fig. 2c): the 3x3 branches become 1x3x3 then
    3x1x1; the gate follows each branch's last unit in S3D-G."""
    c1, c3r, c3, c5r, c5, proj = (max(1, int(round(f * width))) for f in GOOGLENET_MODULES[key])
    name = f"mixed_{key}"
    b0 = separable_unit3d(x, c1, (1, 1, 1), (1, 1, 1), f"{name}_b0", gating)
    b1 = separable_unit3d(x, c3r, (1, 1, 1), (1, 1, 1), f"{name}_b1a")
    b1 = separable_unit3d(b1, c3, (3, 3, 3), (1, 1, 1), f"{name}_b1b", gating)
    # The "5x5" branch has a 3x3 kernel, as in the Inception-v1 the I3D/S3D code inflates.
    b2 = separable_unit3d(x, c5r, (1, 1, 1), (1, 1, 1), f"{name}_b2a")
    b2 = separable_unit3d(b2, c5, (3, 3, 3), (1, 1, 1), f"{name}_b2b", gating)
    b3 = SeparableMaxPooling3D((3, 3, 3), (1, 1, 1), "same", name=f"{name}_b3_pool")(x)
    b3 = separable_unit3d(b3, proj, (1, 1, 1), (1, 1, 1), f"{name}_b3b", gating)
    return keras.layers.Concatenate(name=name)([b0, b1, b2, b3])


def S3D(
    gating=False,
    width=1.0,
    modules=MODULES,
    dropout=0.5,
    include_top=True,
    input_shape=(64, 224, 224, 3),
    pooling=None,
    classes=400,
    classifier_activation="softmax",
    name="s3d",
):
    """S3D (Fig. 2 and section 4.1): I3D's Inception-v1 layout with each ``t x k x k``
    convolution replaced by a ``1 x k x k`` and a ``t x 1 x 1`` one (BN and ReLU after each),
    the stem included (SepConv 7x7x7, stride 2); 1x3x3 max poolings before stages 3 and
    the first block, 3x3x3 and 2x2x2 ones (stride 2) before stages 4 and 5; global average
    pooling, dropout and the classifier. With ``gating`` it is S3D-G (section 4.2): every
    branch output from Conv2c on is gated by its own spatio-temporal average.

    Args:
        gating: S3D-G's feature gating.
        width: multiplier of every convolution's filters.
        modules: the Inception blocks to keep (Mixed_3b .. Mixed_5c written "3a" .. "5b"
            after GoogLeNet's Table 1, whose filters they use).
        dropout: before the classifier.
        include_top, pooling, classes, classifier_activation: as in keras.applications
            (``include_top=False, pooling="avg"`` gives the 1024-d clip features).
        input_shape: ``(T, H, W, 3)``.
        name: the model's name.
    """
    common.check_head(name, include_top, pooling, classes)
    unknown = [m for m in modules if m not in MODULES]
    if unknown or not modules:
        raise ValueError(f"{name}: modules must be a non-empty subset of {MODULES}, got "
                         f"{modules!r}.")
    inputs = common.clip_input(name, input_shape, min_frames=8, min_size=16)

    def filters(f):
        return max(1, int(round(f * width)))

    x = separable_unit3d(inputs, filters(64), (7, 7, 7), (2, 2, 2), "conv1")
    x = SeparableMaxPooling3D((1, 3, 3), (1, 2, 2), "same", name="pool2")(x)
    x = separable_unit3d(x, filters(64), (1, 1, 1), (1, 1, 1), "conv2b")
    x = separable_unit3d(x, filters(192), (3, 3, 3), (1, 1, 1), "conv2c", gating)
    x = SeparableMaxPooling3D((1, 3, 3), (1, 2, 2), "same", name="pool3")(x)
    stage = "3"
    for key in modules:
        if key[0] != stage:
            size = 3 if key[0] == "4" else 2
            x = SeparableMaxPooling3D((size,) * 3, (2, 2, 2), "same",
                                      name=f"pool{key[0]}")(x)
            stage = key[0]
        x = _inception(x, key, width, gating)
    x = common.head(x, name, include_top, pooling, classes, classifier_activation, dropout)
    return keras.Model(inputs, x, name=name)


def S3DG(**kwargs):
    """S3D-G: S3D with feature gating. Args: any of ``S3D``'s."""
    return S3D(**{"gating": True, "name": "s3d_g", **kwargs})


# Its arguments are S3D's (the registry refuses any other by name).
S3DG.__wrapped__ = S3D


TINY = dict(width=0.125, modules=("3a",), dropout=0.0, input_shape=(8, 16, 16, 3),
            classes=4)

common.register_video(
    "s3d",
    S3D,
    family="s3d",
    tiny=TINY,
    canonical=dict(input_shape=(64, 224, 224, 3), classes=400),
    paper=PAPER,
    params=8_341_264,
    notes="include_top=False, pooling='avg' gives 1024-d clip features (VideoBERT's visual "
          "tokens). 8,320,048 trainable = torchvision's s3d (the paper gives FLOPs only).",
)

common.register_video(
    "s3d_g",
    S3DG,
    family="s3d",
    tiny=TINY,
    canonical=dict(input_shape=(64, 224, 224, 3), classes=400),
    paper=PAPER,
    params=9_566_272,
    notes="9,545,056 trainable: S3D's plus one C x C gate per gated branch. S3D with feature gating after every branch from conv2c on (section 4.2).",
)

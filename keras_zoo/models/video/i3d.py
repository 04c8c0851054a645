"""I3D: the two-stream inflated 3-D ConvNet (Carreira & Zisserman, Quo Vadis, Action
Recognition? A New Model and the Kinetics Dataset, CVPR 2017)."""

import keras

from keras_zoo.models.classification.googlenet import GoogLeNet
from keras_zoo.models.video import common
from keras_zoo.models.video.inflate import inflate

PAPER = "Carreira & Zisserman, CVPR 2017"
MODULES = ("3a", "3b", "4a", "4b", "4c", "4d", "4e", "5a", "5b")


def inflated_inception(frame_shape, frames, width, modules, weights, name):
    """Inception-v1 with BN (``GoogLeNet(batch_norm=True, five_kernel=3)``) built at ``frame_shape`` with the
    2-D ``weights`` (a path, or None), inflated to ``frames`` (section 2.4, Fig. 3)."""
    # TF-slim's Inception-v1, which the released I3D inflates, has a 3x3 convolution in the
    # "5x5" branch: with it the RGB stream has the paper's ~12M parameters (Table 1).
    base = GoogLeNet(width=width, modules=modules, aux_classifiers=False, include_top=False,
                     batch_norm=True, five_kernel=3, input_shape=frame_shape, weights=weights,
                     name=f"{name}_2d")
    return inflate(base, frames, spatial_only_pools=2, time_strides=True, name=name)


def _stream(inputs, frame_shape, frames, width, modules, weights, dropout, classes, name):
    features = inflated_inception(frame_shape, frames, width, modules, weights,
                                  f"{name}_inception")(inputs)
    x = keras.layers.GlobalAveragePooling3D(name=f"{name}_avg_pool")(features)
    if dropout:
        x = keras.layers.Dropout(dropout, name=f"{name}_dropout")(x)
    return keras.layers.Dense(classes, name=f"{name}_logits")(x)


def I3D(
    streams=("rgb",),
    width=1.0,
    modules=MODULES,
    weights_2d=None,
    dropout=0.5,
    input_shape=(64, 224, 224, 3),
    classes=400,
    name="i3d",
):
    """I3D: Inception-v1 with BN inflated to 3-D (7x7x7 stem with stride 2 in time, 3x3x3
    inception convolutions, 1x3x3 first two max poolings), global average pooling, dropout and
    a linear classifier; the paper's 2x7x7 average pooling, 1x1x1 convolution and average over
    time are one linear map of the pooled features, written here as global pooling + Dense.

    With ``streams=("rgb", "flow")`` it is Two-Stream I3D: a second inflated network takes the
    optical flow (2 channels, T - 1 frames) and the two streams' softmax scores are averaged
    (the paper trains the streams separately and averages their predictions at test time).

    Args:
        streams: ("rgb",) or ("rgb", "flow").
        width: multiplier of every convolution's filters.
        modules: the Inception modules to keep (all nine in the paper).
        weights_2d: a ``.weights.h5`` of the zoo's ``GoogLeNet(batch_norm=True, five_kernel=3,
            aux_classifiers=False, include_top=False)`` at the frame size, inflated into the RGB stream (ImageNet
            pre-training in the paper).
        dropout: before the classifier.
        input_shape: ``(T, H, W, 3)``.
        classes: action classes (Kinetics: 400).
        name: the model's name.
    """
    if tuple(streams) not in (("rgb",), ("rgb", "flow")):
        raise ValueError(f"{name}: streams must be ('rgb',) or ('rgb', 'flow'), got {streams!r}.")
    common.check_head(name, True, None, classes)
    clips = common.clip_input(name, input_shape, min_frames=8, min_size=32)
    t, h, w, c = input_shape
    rgb = _stream(clips, (h, w, c), t, width, modules, weights_2d, dropout, classes, "rgb")
    if streams == ("rgb",):
        return keras.Model(clips, keras.layers.Softmax(name="predictions")(rgb), name=name)
    flow = keras.Input((t - 1, h, w, 2), name="flow")
    flow_logits = _stream(flow, (h, w, 2), t - 1, width, modules, None, dropout, classes, "flow")
    scores = [keras.layers.Softmax(name=f"{s}_predictions")(z)
              for s, z in (("rgb", rgb), ("flow", flow_logits))]
    outputs = keras.layers.Average(name="predictions")(scores)
    return keras.Model({"clips": clips, "flow": flow}, outputs, name=name)


def TwoStreamI3D(**kwargs):
    """Two-Stream I3D (RGB and flow streams, scores averaged). Args: any of ``I3D``'s."""
    return I3D(**{"streams": ("rgb", "flow"), "name": "i3d_two_stream", **kwargs})


# Its arguments are I3D's (the registry refuses any other by name).
TwoStreamI3D.__wrapped__ = I3D


TINY = dict(width=0.125, modules=("3a",), dropout=0.0, input_shape=(8, 32, 32, 3),
            classes=4)

common.register_video(
    "i3d",
    I3D,
    family="i3d",
    tiny=TINY,
    canonical=dict(input_shape=(64, 224, 224, 3), classes=400),
    paper=PAPER,
    params=12_711_824,
    notes="Inflates the zoo's GoogLeNet(batch_norm=True); weights_2d= inflates 2-D weights. "
          "12,697,264 trainable (Table 1: 12M).",
)

common.register_video(
    "i3d_two_stream",
    TwoStreamI3D,
    family="i3d",
    tiny=TINY,
    canonical=dict(input_shape=(64, 224, 224, 3), classes=400),
    paper=PAPER,
    params=25_401_696,
    notes="RGB + optical-flow streams, softmax scores averaged; serving takes clips and flow. "
          "25,372,576 trainable (Table 1: 25M).",
)

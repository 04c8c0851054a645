"""The two-stream network (Simonyan & Zisserman, Two-Stream Convolutional Networks for Action
Recognition in Videos, NeurIPS 2014) and its fusion in the middle of the network (Feichtenhofer,
Pinz & Zisserman, Convolutional Two-Stream Network Fusion for Video Action Recognition, CVPR
2016)."""

import keras

from keras_zoo.layers.lrn import LocalResponseNormalization
from keras_zoo.models.video import common

PAPER = "Simonyan & Zisserman, NeurIPS 2014; Feichtenhofer, Pinz & Zisserman, CVPR 2016"
FUSIONS = ("average", "conv")


def cnn_m_features(x, filters, prefix, second_norm=True, kernel_initializer="glorot_uniform"):
    """The CNN-M-2048 convolutions of both streams (Chatfield et al. 2014; the paper's Fig. 1):
    conv1 7x7/2 + LRN + pool, conv2 5x5/2 (+ LRN: the temporal stream drops it) + pool, conv3-5
    3x3, pool."""
    f1, f2, f3, f4, f5 = filters
    x = keras.layers.Conv2D(f1, 7, strides=2, padding="same", activation="relu",
                            kernel_initializer=kernel_initializer, name=f"{prefix}_conv1")(x)
    x = LocalResponseNormalization(name=f"{prefix}_norm1")(x)
    x = keras.layers.MaxPooling2D(2, name=f"{prefix}_pool1")(x)
    x = keras.layers.Conv2D(f2, 5, strides=2, padding="same", activation="relu",
                            kernel_initializer=kernel_initializer, name=f"{prefix}_conv2")(x)
    if second_norm:
        x = LocalResponseNormalization(name=f"{prefix}_norm2")(x)
    x = keras.layers.MaxPooling2D(2, padding="same", name=f"{prefix}_pool2")(x)
    for i, f in enumerate((f3, f4, f5), start=3):
        x = keras.layers.Conv2D(f, 3, padding="same", activation="relu",
                                kernel_initializer=kernel_initializer, name=f"{prefix}_conv{i}")(x)
    return keras.layers.MaxPooling2D(2, padding="same", name=f"{prefix}_pool5")(x)


def _classifier(x, dense_units, classes, dropout, prefix, kernel_initializer="glorot_uniform"):
    x = keras.layers.Flatten(name=f"{prefix}_flatten")(x)
    for i, units in enumerate(dense_units, start=6):
        x = keras.layers.Dense(units, activation="relu", kernel_initializer=kernel_initializer,
                               name=f"{prefix}_full{i}")(x)
        if dropout:
            x = keras.layers.Dropout(dropout, name=f"{prefix}_drop{i}")(x)
    return keras.layers.Dense(classes, activation="softmax", name=f"{prefix}_predictions")(x)


def TwoStream(
    filters=(96, 256, 512, 512, 512),
    dense_units=(4096, 2048),
    dropout=0.5,
    temporal_dropout=None,
    fusion="average",
    kernel_initializer="glorot_uniform",
    frame_mean=None,
    input_shape=(11, 224, 224, 3),
    classes=101,
    name="two_stream",
):
    """Two streams of CNN-M-2048: the spatial one sees the clip's middle frame, the temporal one
    the optical flow of the whole clip stacked as channels (2L channels for L = T - 1 flow
    fields; the paper's L = 10), and the class scores are fused.

    ``fusion="average"`` averages the two streams' softmax scores (the 2014 paper's late fusion);
    ``fusion="conv"`` fuses in the middle (Feichtenhofer et al. 2016, section 3.1): the two
    conv5 maps are stacked and mixed by a 1x1 convolution, and one head classifies the fused map.

    Each stream reduces the frame 16 times before conv3 (conv1 and conv2 stride 2, two 2 x 2
    pools): 16 x 16 frames (the tiny preset) leave conv3-5 a 1 x 1 map, of whose 3 x 3 taps
    one is real; the "two_stream" recipe trains on 32 x 32 frames, and trains the streams on
    their own losses as the paper does (``late_fusion.SeparateStreamTraining``: trained through
    the average, a stream is weighted by its share of the fused score).

    Inputs: ``clips`` ``[B, T, H, W, 3]`` in [0, 1] and ``flow`` ``[B, T - 1, H, W, 2]`` (pixels;
    ``keras_zoo.data.clips.optical_flow``).

    Args:
        filters: conv1..conv5 channels of each stream.
        dense_units: full6 and full7.
        dropout: after full6 and full7 (the paper's spatial stream: 0.5).
        temporal_dropout: the temporal stream's rate when it differs (the paper's: 0.9) with
            ``fusion="average"``; None: ``dropout``.
        fusion: "average" or "conv".
        kernel_initializer: of the streams' convolutions and the hidden fully connected
            layers (the conv fusion's 1x1 keeps Keras' default); "he_normal" (He et al. 2015,
            for deep ReLU networks) is the "two_stream_fusion" recipe's.
        frame_mean: subtracted from the middle frame before the spatial stream (CNN-M's
            mean subtraction, Chatfield et al. 2014; a number or one per channel, in the
            clip's [0, 1] scale), or None (the frame as given).
        input_shape: the clip's ``(T, H, W, 3)``.
        classes: action classes (UCF-101: 101).
        name: the model's name.
    """
    if fusion not in FUSIONS:
        raise ValueError(f"{name}: fusion must be one of {FUSIONS}, got {fusion!r}.")
    if temporal_dropout is not None and fusion != "average":
        raise ValueError(f"{name}: temporal_dropout={temporal_dropout!r} needs the temporal "
                         f"stream's own head (fusion='average'); fusion {fusion!r} has one "
                         f"head: set dropout.")
    temporal_dropout = dropout if temporal_dropout is None else temporal_dropout
    common.check_head(name, True, None, classes)
    clips = common.clip_input(name, input_shape, min_frames=2, min_size=16)
    t, h, w, _ = input_shape
    flow = keras.Input((t - 1, h, w, 2), name="flow")
    middle = t // 2
    frame = keras.layers.Cropping3D(((middle, t - middle - 1), (0, 0), (0, 0)),
                                    name="middle_frame")(clips)
    frame = keras.layers.Reshape((h, w, 3), name="frame")(frame)
    spatial_input = frame
    if frame_mean is not None:
        offset = [-float(m) for m in frame_mean] if isinstance(frame_mean, (list, tuple)) \
            else -float(frame_mean)
        spatial_input = keras.layers.Rescaling(1.0, offset=offset,
                                               name="frame_mean_subtraction")(frame)
    stacked = keras.layers.Permute((2, 3, 1, 4), name="flow_time_last")(flow)
    stacked = keras.layers.Reshape((h, w, 2 * (t - 1)), name="stacked_flow")(stacked)
    init = kernel_initializer
    spatial = cnn_m_features(spatial_input, filters, "spatial", kernel_initializer=init)
    temporal = cnn_m_features(stacked, filters, "temporal", second_norm=False,
                              kernel_initializer=init)
    if fusion == "average":
        scores = [_classifier(spatial, dense_units, classes, dropout, "spatial", init),
                  _classifier(temporal, dense_units, classes, temporal_dropout, "temporal",
                              init)]
        outputs = keras.layers.Average(name="fused_scores")(scores)
    else:
        fused = keras.layers.Concatenate(name="fusion_stack")([spatial, temporal])
        fused = keras.layers.Conv2D(filters[-1], 1, activation="relu", name="fusion_conv")(fused)
        outputs = _classifier(fused, dense_units, classes, dropout, "fused", init)
    return keras.Model({"clips": clips, "flow": flow}, outputs, name=name)


def TwoStreamConvFusion(**kwargs):
    """The two-stream network fused in the middle by a 1x1 convolution (Feichtenhofer et al.
    2016). Args: any of ``TwoStream``'s."""
    return TwoStream(**{"fusion": "conv", "name": "two_stream_fusion", **kwargs})


# Its arguments are TwoStream's (the registry refuses any other by name).
TwoStreamConvFusion.__wrapped__ = TwoStream


TINY = dict(filters=(4, 8, 8, 8, 8), dense_units=(16, 16), dropout=0.0,
            input_shape=(5, 16, 16, 3), classes=4)

common.register_video(
    "two_stream",
    TwoStream,
    family="two_stream",
    tiny=TINY,
    canonical=dict(input_shape=(11, 224, 224, 3), classes=101),
    paper=PAPER,
    notes="Serving takes the uint8 clip and its optical flow (OpenCV Farneback); late fusion by "
          "averaging the streams' softmax scores.",
    recipe="two_stream",
)

common.register_video(
    "two_stream_fusion",
    TwoStreamConvFusion,
    family="two_stream",
    tiny=TINY,
    canonical=dict(input_shape=(11, 224, 224, 3), classes=101),
    paper=PAPER,
    notes="Conv fusion after conv5 (Feichtenhofer et al. 2016).",
    recipe="two_stream_fusion",
)

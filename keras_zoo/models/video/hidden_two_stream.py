"""The hidden two-stream network: a MotionNet that learns optical flow from the frames, feeding
the temporal stream (Zhu, Lan, Newsam & Hauptmann, Hidden Two-Stream Convolutional Networks for
Action Recognition, ACCV 2018)."""

import keras

from keras_zoo.layers.photometric_loss import PhotometricFlowLoss
from keras_zoo.models.video import common
from keras_zoo.models.video.two_stream import _classifier, cnn_m_features

PAPER = "Zhu, Lan, Newsam & Hauptmann, ACCV 2018"


def motion_net(stacked, fields, filters):
    """MotionNet (section 3.1, Fig. 2), one scale: strided 3x3 convolutions down, transposed
    convolutions up with skip connections from the same scale, a linear 3x3 convolution to
    the ``2 fields`` flow channels (u, v per field) at the input resolution."""
    skips, x = [], stacked
    for i, f in enumerate(filters, start=1):
        skips.append(x)
        x = keras.layers.Conv2D(f, 3, strides=2, padding="same", activation="relu",
                                name=f"motion_conv{i}")(x)
    for i, f in reversed(list(enumerate(filters, start=1))):
        x = keras.layers.Conv2DTranspose(f, 4, strides=2, padding="same", activation="relu",
                                         name=f"motion_deconv{i}")(x)
        x = keras.layers.Concatenate(name=f"motion_skip{i}")([x, skips[i - 1]])
    return keras.layers.Conv2D(2 * fields, 3, padding="same", name="motion_flow")(x)


def HiddenTwoStream(
    motion_filters=(64, 128, 256),
    filters=(96, 256, 512, 512, 512),
    dense_units=(4096, 2048),
    dropout=0.5,
    flow_loss_weight=1.0,
    smoothness=0.1,
    input_shape=(11, 224, 224, 3),
    classes=101,
    name="hidden_two_stream",
):
    """The spatial stream sees the clip's middle frame; the hidden temporal stream stacks the
    T frames, estimates T - 1 flow fields with MotionNet and classifies them with the temporal
    CNN (the two-stream network's CNN-M); the streams' softmax scores are averaged. Trained end
    to end: the classification loss plus MotionNet's unsupervised photometric and smoothness
    loss (``PhotometricFlowLoss``), so no precomputed flow is needed at training or serving.
    At 16 x 16 frames (the tiny preset) CNN-M's conv3-5 run on 1 x 1 maps (``TwoStream``);
    the "hidden_two_stream" recipe trains on 32 x 32.

    Args:
        motion_filters: MotionNet's channels per scale (each halves the resolution).
        filters: the streams' five convolution widths (CNN-M-2048: 96, 256, 512, 512, 512).
        dense_units: the streams' full6 and full7 widths.
        dropout: after full6 and full7.
        flow_loss_weight: the unsupervised flow loss's weight.
        smoothness: the flow smoothness term's weight within it.
        input_shape: ``(T, H, W, 3)``; H and W divisible by 2 ** len(motion_filters).
        classes: action classes.
        name: the model's name.
    """
    common.check_head(name, True, None, classes)
    clips = common.clip_input(name, input_shape, min_frames=2, min_size=16)
    t, h, w, c = input_shape
    scale = 2 ** len(motion_filters)
    if h % scale or w % scale:
        raise ValueError(f"{name}: frames of {h}x{w} must be divisible by {scale} (MotionNet "
                         f"halves them {len(motion_filters)} times).")
    middle = t // 2
    frame = keras.layers.Cropping3D(((middle, t - middle - 1), (0, 0), (0, 0)),
                                    name="middle_frame")(clips)
    frame = keras.layers.Reshape((h, w, c), name="frame")(frame)
    # Frames along channels: channel c k + j is frame k's channel j.
    stacked = keras.layers.Permute((2, 3, 1, 4), name="frames_last")(clips)
    stacked = keras.layers.Reshape((h, w, t * c), name="stacked_frames")(stacked)
    flow = motion_net(stacked, t - 1, motion_filters)
    flow = PhotometricFlowLoss(flow_loss_weight, smoothness, name="flow_loss")([clips, flow])
    spatial = cnn_m_features(frame, filters, "spatial")
    temporal = cnn_m_features(flow, filters, "temporal", second_norm=False)
    scores = [_classifier(spatial, dense_units, classes, dropout, "spatial"),
              _classifier(temporal, dense_units, classes, dropout, "temporal")]
    outputs = keras.layers.Average(name="fused_scores")(scores)
    return keras.Model(clips, outputs, name=name)


common.register_video(
    "hidden_two_stream",
    HiddenTwoStream,
    family="two_stream",
    tiny=dict(motion_filters=(8,), filters=(4, 8, 8, 8, 8), dense_units=(16, 16),
              dropout=0.0, input_shape=(5, 16, 16, 3), classes=4),
    canonical=dict(input_shape=(11, 224, 224, 3), classes=101),
    paper=PAPER,
    notes="Serving takes only the clip: MotionNet computes the flow in the graph. One-scale "
          "MotionNet (the paper's has five scales with a loss at each).",
    recipe="hidden_two_stream",
)

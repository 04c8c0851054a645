"""LRCN: the long-term recurrent convolutional network for activity recognition (Donahue,
Hendricks, Guadarrama, Rohrbach, Venugopalan, Saenko & Darrell, CVPR 2015)."""

import keras

from keras_zoo.models.video import common

PAPER = "Donahue et al., CVPR 2015"


def LRCN(
    filters=(64, 128, 256, 512),
    encoder=None,
    lstm_units=256,
    dropout=0.5,
    input_shape=(16, 112, 112, 3),
    classes=101,
    name="lrcn",
):
    """A CNN encodes every frame, an LSTM runs over the frame features, each step predicts the
    action, and the clip's prediction is the average of the steps' (section 4: "average these
    predictions"; the paper's LSTM has 256 hidden units).

    The paper's encoder is CaffeNet to fc6; ``encoder`` may name any keras-zoo image classifier
    (built with ``include_top=False, pooling="avg"`` at the frame size), and the default is a
    small CNN (``common.frame_encoder``).

    Args:
        filters: channels of the default encoder's convolution stages.
        encoder: a registry classifier's name, or None for the default CNN.
        lstm_units: the LSTM's width.
        dropout: before the per-step classifier.
        input_shape: ``(T, H, W, C)``.
        classes: action classes.
        name: the model's name.
    """
    common.check_head(name, True, None, classes)
    inputs = common.clip_input(name, input_shape, min_frames=1, min_size=8)
    frame_shape = tuple(input_shape[1:])
    cnn = common.per_frame_encoder(frame_shape, filters, encoder)
    x = keras.layers.TimeDistributed(cnn, name="frame_features")(inputs)
    # Unrolled over the clip's fixed T: a TFLite graph cannot hold a dynamic-shape TensorList.
    x = keras.layers.LSTM(lstm_units, return_sequences=True, unroll=True, name="lstm")(x)
    return keras.Model(inputs, common.averaged_step_predictions(x, classes, dropout),
                       name=name)


common.register_video(
    "lrcn",
    LRCN,
    family="lrcn",
    tiny=dict(filters=(8, 16), lstm_units=16, dropout=0.0, input_shape=(6, 16, 16, 3),
              classes=4),
    canonical=dict(input_shape=(16, 112, 112, 3), classes=101),
    paper=PAPER,
    notes="Default encoder: a small CNN (the paper's is CaffeNet to fc6); encoder= names any "
          "zoo classifier.",
)

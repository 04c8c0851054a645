"""MultiLSTM: an LSTM over frame features that attends over the recent N inputs at every step
(Yeung, Russakovsky, Jin, Andriluka, Mori & Fei-Fei, Every Moment Counts: Dense Detailed
Labeling of Actions in Complex Videos, IJCV 2018)."""

import keras

from keras_zoo.layers.windowed_attention_lstm import WindowedAttentionLSTM
from keras_zoo.models.video import common

PAPER = "Yeung et al., IJCV 2018"


def MultiLSTM(
    filters=(64, 128, 256, 512),
    encoder=None,
    units=512,
    window=5,
    dropout=0.5,
    input_shape=(32, 112, 112, 3),
    classes=101,
    name="multilstm",
):
    """A CNN encodes every frame; ``WindowedAttentionLSTM`` reads, at each step, a soft
    attention over the last ``window`` frame features (section 4.2, "input attention"), and a
    classifier scores every step. The paper labels every frame with several actions (sigmoid
    outputs); for clip classification the steps' softmax scores are averaged.

    Args:
        filters: channels of the default frame CNN's stages.
        encoder: a registry classifier's name, or None for the default CNN.
        units: the LSTM's width (512 in the paper).
        window: N, the attended inputs (the paper's 5).
        dropout: before the per-step classifier.
        input_shape: ``(T, H, W, 3)``.
        classes: action classes.
        name: the model's name.
    """
    common.check_head(name, True, None, classes)
    inputs = common.clip_input(name, input_shape, min_frames=1, min_size=8)
    cnn = common.per_frame_encoder(tuple(input_shape[1:]), filters, encoder)
    x = keras.layers.TimeDistributed(cnn, name="frame_features")(inputs)
    x = WindowedAttentionLSTM(units, window, return_sequences=True, name="multilstm")(x)
    return keras.Model(inputs, common.averaged_step_predictions(x, classes, dropout),
                       name=name)


common.register_video(
    "multilstm",
    MultiLSTM,
    family="lrcn",
    tiny=dict(filters=(4, 8), units=16, window=2, dropout=0.0, input_shape=(4, 16, 16, 3),
              classes=4),
    canonical=dict(input_shape=(32, 112, 112, 3), classes=101),
    paper=PAPER,
    notes="Input attention over the last 5 frame features; per-frame scores averaged for the "
          "clip (the paper's multi-label per-frame outputs are not modelled).",
    recipe="multilstm",
)

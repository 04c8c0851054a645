"""Beyond Short Snippets: per-frame CNN features aggregated over long clips by feature pooling
or by a deep LSTM (Ng, Hausknecht, Vijayanarasimhan, Vinyals, Monga & Toderici, Beyond Short
Snippets: Deep Networks for Video Classification, CVPR 2015)."""

import keras

from keras_zoo.models.video import common

PAPER = "Ng et al., CVPR 2015"
AGGREGATIONS = ("conv_pooling", "late_pooling", "slow_pooling", "local_pooling", "time_conv",
                "lstm")


def _fc(x, units, dropout, name):
    for i, u in enumerate(units, start=1):
        x = keras.layers.Dense(u, activation="relu", name=f"{name}_fc{i}")(x)
        if dropout:
            x = keras.layers.Dropout(dropout, name=f"{name}_dropout{i}")(x)
    return x


def _network(inputs, cnn, aggregation, fc_units, window, stride, lstm_units, dropout, classes):
    """The frame CNN on every frame of ``inputs`` and the aggregation: the class scores."""
    x = keras.layers.TimeDistributed(cnn, name="frame_features")(inputs)
    if aggregation == "conv_pooling":
        x = keras.layers.GlobalMaxPooling1D(name="time_max")(x)
        x = _fc(x, fc_units, dropout, "pooled")
    elif aggregation == "late_pooling":
        x = _fc(x, fc_units, dropout, "frame")
        x = keras.layers.GlobalMaxPooling1D(name="time_max")(x)
    elif aggregation == "slow_pooling":
        x = keras.layers.MaxPooling1D(window, stride, name="window_max")(x)
        x = _fc(x, fc_units[:1], dropout, "window")
        x = keras.layers.GlobalMaxPooling1D(name="time_max")(x)
        x = _fc(x, fc_units[1:], dropout, "pooled")
    elif aggregation == "local_pooling":
        x = keras.layers.MaxPooling1D(window, stride, name="window_max")(x)
        x = keras.layers.Flatten(name="windows")(x)
        x = _fc(x, fc_units, dropout, "pooled")
    elif aggregation == "time_conv":
        x = keras.layers.Conv1D(x.shape[-1], window, strides=stride, activation="relu",
                                name="time_conv")(x)
        x = keras.layers.GlobalMaxPooling1D(name="time_max")(x)
        x = _fc(x, fc_units, dropout, "pooled")
    else:
        for i, units in enumerate(lstm_units, start=1):
            # Unrolled over the fixed T for TFLite.
            x = keras.layers.LSTM(units, return_sequences=True, unroll=True,
                                  name=f"lstm{i}")(x)
        return common.averaged_step_predictions(x, classes, dropout)
    return keras.layers.Dense(classes, activation="softmax", name="predictions")(x)


def BeyondShortSnippets(
    aggregation="conv_pooling",
    filters=(64, 128, 256, 512),
    encoder=None,
    fc_units=(4096, 4096),
    window=10,
    stride=5,
    lstm_units=(512, 512, 512, 512, 512),
    dropout=0.5,
    flow=False,
    input_shape=(30, 112, 112, 3),
    classes=101,
    name="beyond_short_snippets",
):
    """A CNN encodes every frame (shared weights); the clip's frame features are aggregated by
    one of the paper's architectures (section 3.1, Fig. 2; section 3.2):

    - ``conv_pooling``: max over time of the CNN's features, then the FC layers (the paper's
      best pooling);
    - ``late_pooling``: the FC layers on every frame, then max over time;
    - ``slow_pooling``: max over windows of ``window`` frames every ``stride``, the first FC
      layer per window, max over the windows, the rest;
    - ``local_pooling``: max over windows, their outputs concatenated into the FC layers;
    - ``time_conv``: a temporal convolution over windows of features, then max over time;
    - ``lstm``: a deep LSTM (five layers of 512 in the paper) over the frame features, a
      softmax at every step, the clip's prediction their average (section 3.2).

    Max pooling over all the frames (``conv_pooling``, ``late_pooling``) does not depend on
    their order: on the RGB frames alone such a network scores a clip and the same clip played
    backwards alike, so it cannot tell two motions that differ only in direction (the embedded
    clips' left and right). The paper's remedy is its optical-flow network, late fused:
    ``flow=True`` adds it, the same architecture (own weights) on the ``T - 1`` flow fields as
    2-channel frames, its softmax scores averaged with the image network's; the model then
    takes ``clips`` and ``flow`` like the two-stream entries
    (``keras_zoo.data.clips.optical_flow``).

    Args:
        aggregation: one of ``AGGREGATIONS``.
        filters: channels of the default frame CNN's stages.
        encoder: a registry classifier's name, or None for the default CNN.
        fc_units: the FC layers after pooling.
        window, stride: the temporal windows of slow/local pooling and time_conv.
        lstm_units: the LSTM stack's widths.
        dropout: after each FC layer and before the LSTM's classifier.
        flow: add the optical-flow network, late fused (inputs ``clips`` and ``flow``).
        input_shape: ``(T, H, W, 3)``.
        classes: action classes.
        name: the model's name.
    """
    if aggregation not in AGGREGATIONS:
        raise ValueError(f"{name}: aggregation must be one of {AGGREGATIONS}, got "
                         f"{aggregation!r}.")
    if not isinstance(flow, bool):
        raise ValueError(f"{name}: flow must be True or False, got {flow!r}.")
    common.check_head(name, True, None, classes)
    windowed = aggregation in ("slow_pooling", "local_pooling", "time_conv")
    # The flow network sees T - 1 flow fields, so a windowed one needs a frame more.
    inputs = common.clip_input(name, input_shape,
                               min_frames=(window if windowed else 1) + int(flow), min_size=8)
    args = (aggregation, fc_units, window, stride, lstm_units, dropout, classes)
    t, h, w, _ = input_shape
    cnn = common.per_frame_encoder((h, w, input_shape[-1]), filters, encoder)
    outputs = _network(inputs, cnn, *args)
    if not flow:
        return keras.Model(inputs, outputs, name=name)
    fields = keras.Input((t - 1, h, w, 2), name="flow_fields")
    flow_cnn = common.per_frame_encoder((h, w, 2), filters, encoder)
    flow_network = keras.Model(fields, _network(fields, flow_cnn, *args), name="flow_network")
    flow_input = keras.Input((t - 1, h, w, 2), name="flow")
    scores = keras.layers.Average(name="fused_scores")([outputs, flow_network(flow_input)])
    return keras.Model({"clips": inputs, "flow": flow_input}, scores, name=name)


def BeyondShortSnippetsLSTM(**kwargs):
    """Beyond Short Snippets' deep LSTM over frame features. Args: any of
    ``BeyondShortSnippets``'."""
    return BeyondShortSnippets(**{"aggregation": "lstm", "name": "beyond_short_snippets_lstm",
                                  **kwargs})


# Its arguments are BeyondShortSnippets's (the registry refuses any other by name).
BeyondShortSnippetsLSTM.__wrapped__ = BeyondShortSnippets


TINY = dict(filters=(4, 8), fc_units=(16, 16), window=2, stride=2, lstm_units=(16,),
            dropout=0.0, input_shape=(4, 16, 16, 3), classes=4)

common.register_video(
    "beyond_short_snippets",
    BeyondShortSnippets,
    family="lrcn",
    tiny=TINY,
    canonical=dict(input_shape=(30, 112, 112, 3), classes=101),
    paper=PAPER,
    notes="Conv pooling (aggregation= also late_pooling, slow_pooling, local_pooling, "
          "time_conv, lstm); default frame CNN small (the paper's: AlexNet/GoogLeNet). Max "
          "pooling over time cannot see the order of frames: flow=True adds the paper's "
          "optical-flow network (its recipe trains with it).",
    recipe="beyond_short_snippets",
)

common.register_video(
    "beyond_short_snippets_lstm",
    BeyondShortSnippetsLSTM,
    family="lrcn",
    tiny=TINY,
    canonical=dict(input_shape=(30, 112, 112, 3), classes=101),
    paper=PAPER,
    notes="Five stacked 512-unit LSTMs over the frame features; per-step softmax averaged. "
          "flow=True adds the paper's optical-flow network (its recipe trains with it).",
    recipe="beyond_short_snippets",
)

"""Argument checks and the input and head shared by the video classifiers."""

import keras

from keras_zoo.models.registry import register


def clip_input(name, input_shape, min_frames=1, min_size=8, frame_multiple=1):
    """A ``keras.Input`` for clips ``(T, H, W, C)``; a clear error naming the valid lengths."""
    if input_shape is None or len(input_shape) != 4 or None in tuple(input_shape):
        raise ValueError(f"{name}: input_shape must be (frames, height, width, channels), got "
                         f"{input_shape}.")
    t, h, w, _ = input_shape
    if t < min_frames or t % frame_multiple:
        valid = [k for k in range(max(min_frames, frame_multiple), 8 * max(min_frames, 8) + 1)
                 if k % frame_multiple == 0][:6]
        raise ValueError(f"{name}: a clip of {t} frames is too short or not a multiple of "
                         f"{frame_multiple}; valid frame counts include {valid}.")
    if min(h, w) < min_size:
        raise ValueError(f"{name}: frames of {h}x{w} are smaller than the {min_size}x{min_size} "
                         f"this architecture needs.")
    return keras.Input(tuple(input_shape), name="clips")


def check_head(name, include_top, pooling, classes):
    if pooling not in (None, "avg", "max"):
        raise ValueError(f"{name}: pooling must be None, 'avg' or 'max', got {pooling!r}.")
    if include_top and (not isinstance(classes, int) or classes < 1):
        raise ValueError(f"{name}: classes must be a positive integer, got {classes!r}.")


def head(x, name, include_top, pooling, classes, classifier_activation, dropout=0.0):
    """Global pooling over time and space, then (with ``include_top``) dropout and the
    classifier."""
    if include_top or pooling == "avg":
        x = keras.layers.GlobalAveragePooling3D(name="avg_pool")(x)
    elif pooling == "max":
        x = keras.layers.GlobalMaxPooling3D(name="max_pool")(x)
    if include_top:
        if dropout:
            x = keras.layers.Dropout(dropout, name="dropout")(x)
        x = keras.layers.Dense(classes, activation=classifier_activation,
                               name="predictions")(x)
    return x


def frame_encoder(frame_shape, filters, name="frame_encoder"):
    """A small per-frame CNN (3x3 convolutions, BN, ReLU, 2x2 pooling, global average)."""
    inputs = keras.Input(frame_shape, name="frame")
    x = inputs
    for i, f in enumerate(filters, start=1):
        x = keras.layers.Conv2D(f, 3, padding="same", use_bias=False, name=f"conv{i}")(x)
        x = keras.layers.BatchNormalization(name=f"bn{i}")(x)
        x = keras.layers.Activation("relu", name=f"relu{i}")(x)
        x = keras.layers.MaxPooling2D(2, padding="same", name=f"pool{i}")(x)
    x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    return keras.Model(inputs, x, name=name)


def per_frame_encoder(frame_shape, filters, encoder=None):
    """The CNN applied to every frame: a registry classifier by name (``include_top=False``,
    average pooling), or the small ``frame_encoder`` with ``filters``."""
    if encoder is None:
        return frame_encoder(frame_shape, filters)
    from keras_zoo.models.registry import get

    return get(encoder, include_top=False, pooling="avg", input_shape=frame_shape)


def averaged_step_predictions(x, classes, dropout):
    """Dropout, a softmax classifier at every step of ``x`` [B, T, D], and the clip's scores
    as the average of the steps' (LRCN, Beyond Short Snippets' LSTM, MultiLSTM)."""
    if dropout:
        x = keras.layers.Dropout(dropout, name="dropout")(x)
    x = keras.layers.TimeDistributed(keras.layers.Dense(classes, activation="softmax"),
                                     name="step_predictions")(x)
    return keras.layers.GlobalAveragePooling1D(name="predictions")(x)


def register_video(name, builder, *, family, tiny, canonical, paper, params=None, notes="",
                   task="video_classification", data="clips", recipe="video", debts=None,
                   data_options=None):
    """Registers a video model: ``register`` with the family's defaults (the video task, the
    embedded clips, the video recipe)."""
    # The entry's module is the model's file (where its name is written), not this one.
    register(name, task=task, family=family, tiny=tiny, canonical=canonical, data=data,
             recipe=recipe, paper=paper, params=params, notes=notes, debts=debts or {},
             data_options=data_options or {}, module=builder.__module__)(builder)
    return builder

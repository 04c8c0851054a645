"""The keras.applications argument set, shared by every image classifier of keras-zoo.

A user who knows ``keras.applications.ResNet50(include_top, weights, input_tensor, input_shape,
pooling, classes, classifier_activation)`` knows every classifier here. ``weights`` is ``None`` or
a path to a ``.weights.h5``/``.keras`` file: the machines have no internet, so nothing downloads.
"""

from __future__ import annotations

import os

import keras

_POOLINGS = (None, "avg", "max")


def validate_args(
    *,
    name: str,
    weights,
    input_shape,
    default_shape,
    include_top: bool,
    pooling,
    classes: int,
    min_size: int = 1,
    fixed_shape: bool = False,
):
    """Checks the keras.applications arguments as ``obtain_input_shape`` does; returns the
    input shape to build with. With ``include_top=True`` the height and width must be static
    (the head has a fixed size).

    Args:
        name: the model's name, used in the error messages.
        weights: ``None`` or a path to an existing weights file.
        input_shape: the user's ``input_shape`` or ``None``.
        default_shape: the paper's input shape, used when ``input_shape`` is ``None``.
        include_top: whether the classifier head is built.
        pooling: ``None``, ``"avg"`` or ``"max"``.
        classes: number of classes of the head.
        min_size: the smallest height/width the network's downsampling accepts.
        fixed_shape: the head (a Flatten + Dense) needs exactly ``default_shape`` when
            ``include_top`` is True; a different shape is refused, as keras.applications does.
    """
    if weights is not None and not isinstance(weights, (str, os.PathLike)):
        raise TypeError(f"{name}: weights must be None or a file path, got {weights!r}.")
    if weights is not None and not os.path.exists(weights):
        raise ValueError(
            f"{name}: weights={str(weights)!r} is not a file (keras-zoo downloads nothing: "
            "pass None or the path of a .weights.h5 / .keras file)."
        )
    if pooling not in _POOLINGS:
        raise ValueError(f"{name}: pooling must be one of {list(_POOLINGS)}, got {pooling!r}.")
    if not isinstance(classes, int) or isinstance(classes, bool) or classes < 1:
        raise ValueError(f"{name}: classes must be a positive int, got {classes!r}.")
    shape = tuple(default_shape if input_shape is None else input_shape)
    if len(shape) != 3:
        raise ValueError(f"{name}: input_shape must be (height, width, channels), got {shape}.")
    height, width, channels = shape
    if channels is None or channels < 1:
        raise ValueError(f"{name}: input_shape needs a known channel count, got {shape}.")
    for size in (height, width):
        if size is not None and size < min_size:
            raise ValueError(
                f"{name}: input_shape {shape} is too small: height and width must be at least "
                f"{min_size}."
            )
    if include_top and None in shape[:2]:
        raise ValueError(
            f"{name}: with include_top=True the input_shape needs a static height and width, "
            f"got {shape}; pass include_top=False for variable-size inputs."
        )
    if include_top and fixed_shape and shape != tuple(default_shape):
        if shape[:2] != tuple(default_shape[:2]):
            raise ValueError(
                f"{name}: with include_top=True the input_shape must be {tuple(default_shape)} "
                f"(its classifier is a Flatten + Dense), got {shape}; pass include_top=False "
                "for other sizes."
            )
    return shape


def image_input(input_tensor, shape, name="images"):
    """The model's input: a new ``keras.Input`` or the user's ``input_tensor``."""
    if input_tensor is None:
        return keras.Input(shape=shape, name=name)
    if not keras.backend.is_keras_tensor(input_tensor):
        return keras.Input(tensor=input_tensor, shape=shape, name=name)
    return input_tensor


def classifier_head(x, *, include_top, pooling, classes, classifier_activation, dropout=0.0):
    """Global pooling + Dense head, or the pooled / raw features when ``include_top`` is False."""
    if include_top:
        x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
        if dropout:
            x = keras.layers.Dropout(dropout, name="top_dropout")(x)
        return keras.layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    return pool_features(x, pooling)


def pool_features(x, pooling):
    if pooling == "avg":
        return keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if pooling == "max":
        return keras.layers.GlobalMaxPooling2D(name="max_pool")(x)
    return x


def finish(inputs, outputs, *, name, weights=None, input_tensor=None):
    """Wraps the graph in a functional ``keras.Model`` and loads ``weights`` if given."""
    if input_tensor is not None:
        inputs = keras.utils.get_source_inputs(input_tensor)
    model = keras.Model(inputs, outputs, name=name)
    if weights is not None:
        load_weights(model, weights)
    return model


def load_weights(model, path):
    """Loads a ``.weights.h5`` or ``.keras`` file into ``model`` with a clear error."""
    path = os.fspath(path)
    try:
        if path.endswith(".keras"):
            source = keras.saving.load_model(path, safe_mode=True, compile=False)
            model.set_weights(source.get_weights())
        else:
            model.load_weights(path)
    except Exception as error:  # corrupt file or another architecture: say which
        raise ValueError(
            f"Could not load weights from {path!r} into {model.name}: {error}".splitlines()[0]
        ) from error

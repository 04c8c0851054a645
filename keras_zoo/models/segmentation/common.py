"""Argument checks shared by the segmentation models: every size error names the nearest
sizes the architecture takes."""

from __future__ import annotations

import keras


def check_positive_int(name, arg, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name}: {arg} must be a positive int, got {value!r}.")
    return value


def check_choice(name, arg, value, choices):
    if value not in choices:
        raise ValueError(f"{name}: {arg} must be one of {list(choices)}, got {value!r}.")
    return value


def check_image_shape(name, input_shape):
    shape = tuple(input_shape)
    if len(shape) != 3 or not all(isinstance(s, int) and s > 0 for s in shape):
        raise ValueError(f"{name}: input_shape must be (height, width, channels) of positive "
                         f"ints, got {input_shape!r}.")
    return shape


def nearest_valid(size, is_valid, limit=4096):
    """The largest valid size below ``size`` and the smallest above it (either may be None)."""
    below = next((s for s in range(size - 1, 0, -1) if is_valid(s)), None)
    above = next((s for s in range(size + 1, size + limit) if is_valid(s)), None)
    return below, above


def check_sizes(name, shape, is_valid, rule):
    """Raises ``ValueError`` naming the nearest valid sizes if an image side is not valid."""
    for axis, size in (("height", shape[0]), ("width", shape[1])):
        if not is_valid(size):
            below, above = nearest_valid(size, is_valid)
            near = " or ".join(str(s) for s in (below, above) if s is not None)
            raise ValueError(f"{name}: image {axis} {size} is not a size this architecture "
                             f"takes ({rule}); the nearest valid sizes are {near}.")


def multiple_of(factor):
    return lambda size: size >= factor and size % factor == 0


def segmentation_head(x, classes, name, kernel_initializer="glorot_uniform"):
    """The 1x1 convolution giving per-pixel class logits (no activation: the task applies the
    softmax in its loss and in the serving graph)."""
    check_positive_int(name, "classes", classes)
    return keras.layers.Conv2D(classes, 1, kernel_initializer=kernel_initializer,
                               name=f"{name}_logits" if name else "logits")(x)

"""How the explanation and attack tools read any classifier: functional or subclassed, float
([0, 1]) or uint8 ([0, 255]) input, probabilities or logits out.

A layer's output is read by wrapping that layer's ``call`` for the duration of one forward pass
(``capture``), which needs neither a functional graph nor a copy of the model: the same code
serves ``keras.Model`` subclasses. An integer (uint8 serving) input has no gradient through its
cast; the forward pass then feeds the float pixels straight into the first layer after the cast
(a straight-through estimate of the rounding).
"""

from __future__ import annotations

import contextlib

import keras
import numpy as np
import tensorflow as tf


def _name(model):
    return getattr(model, "name", type(model).__name__)


def is_keras(model) -> bool:
    return isinstance(model, keras.Model)


def integer_input(model) -> bool:
    """Whether the model's (single) input is an integer tensor (a uint8 serving model)."""
    inputs = getattr(model, "inputs", None) if is_keras(model) else None
    if not inputs:
        return False
    if len(inputs) != 1:
        raise ValueError(f"{_name(model)}: explain/attack take single-input image models; it "
                         f"has {len(inputs)} inputs.")
    return "int" in str(inputs[0].dtype)


def pixel_range(model, pixel_range=None) -> tuple[float, float]:
    """The model's input range: ``pixel_range`` if given, else [0, 255] for a uint8 input and
    [0, 1] (every keras-zoo image model's convention) otherwise."""
    if pixel_range is not None:
        lo, hi = (float(v) for v in pixel_range)
        if not hi > lo:
            raise ValueError(f"pixel_range must be (low, high) with high > low, got {pixel_range}.")
        return lo, hi
    return (0.0, 255.0) if integer_input(model) else (0.0, 1.0)


def as_batch(model, images, name="images", pixel_range_=None):
    """``(float32 batch [B, H, W, C] in the model's input range, single)``; uint8 images given
    to a [0, 1] model are divided by 255 (the serving convention)."""
    array = np.asarray(images)
    if array.ndim not in (3, 4):
        raise ValueError(f"{name}: expected [H, W, C] or [B, H, W, C], got shape {array.shape}.")
    single = array.ndim == 3
    if single:
        array = array[None]
    lo, hi = pixel_range(model, pixel_range_)
    if array.dtype == np.uint8 and hi <= 1.0:
        array = array.astype(np.float32) / 255.0
    array = array.astype(np.float32)
    expected = _input_shape(model)
    if expected is not None:
        for got, want in zip(array.shape[1:], expected, strict=True):
            if want is not None and got != want:
                raise ValueError(f"{name}: shape {array.shape[1:]} does not match "
                                 f"{_name(model)}'s input {tuple(expected)}.")
    if array.min() < lo - 1e-6 or array.max() > hi + 1e-6:
        raise ValueError(f"{name}: pixels span [{array.min():.4g}, {array.max():.4g}], outside "
                         f"{_name(model)}'s input range [{lo:g}, {hi:g}] (pass pixel_range).")
    return array, single


def _input_shape(model):
    shape = getattr(model, "input_shape", None) if is_keras(model) else None
    try:
        if shape is None or isinstance(shape, list) or len(shape) != 4:
            return None
    except (AttributeError, ValueError):
        return None
    return tuple(shape[1:])


def leaf_layers(model):
    """Every layer inside ``model`` (nested models and blocks included), in tracking order."""
    return [layer for layer in model._flatten_layers(include_self=False, recursive=True)]


@contextlib.contextmanager
def capture(layers, replace_input=None):
    """Records each layer's output (in completion order) while the context is open.

    Args:
        layers: the layers to record.
        replace_input: ``{layer: tensor}``: call that layer on this tensor instead of its input
            (the float pixels of a uint8 model's first layer after the cast).

    Yields a list of ``(layer, output)`` filled by forward passes.
    """
    records = []
    replace_input = replace_input or {}
    patched = []

    def wrap(layer, original):
        def call(inputs, *args, **kwargs):
            if layer in replace_input:
                inputs = replace_input[layer]
            output = original(inputs, *args, **kwargs)
            records.append((layer, output))
            return output
        return call

    try:
        for layer in dict.fromkeys(list(layers) + list(replace_input)):
            original = layer.call
            object.__setattr__(layer, "call", wrap(layer, original))
            patched.append(layer)
        yield records
    finally:
        for layer in patched:
            object.__delattr__(layer, "call")


@contextlib.contextmanager
def linear_head(layer):
    """Removes a softmax from ``layer`` while the context is open, so the class scores are the
    logits (Grad-CAM differentiates the score before the softmax, Selvaraju et al. 2017, 3)."""
    activation = getattr(layer, "activation", None) if layer is not None else None
    if getattr(activation, "__name__", None) != "softmax":
        yield False
        return
    object.__setattr__(layer, "activation", keras.activations.linear)
    try:
        yield True
    finally:
        object.__setattr__(layer, "activation", activation)


def _first_after_input(model):
    """The layer that consumes an integer input tensor (functional models)."""
    consumers = [layer for layer in model.layers
                 if not isinstance(layer, keras.layers.InputLayer)
                 and any(getattr(node, "input_tensors", None) is not None
                         and any(t is model.inputs[0] for t in node.input_tensors)
                         for node in layer._inbound_nodes)]
    if len(consumers) != 1:
        raise ValueError(f"{_name(model)}: its uint8 input feeds {len(consumers)} layers; a "
                         "differentiable path needs exactly one layer after the cast.")
    return consumers[0]


def output_layer(model):
    """The layer producing the (first) output of a functional model, else the last leaf layer
    that ran (subclassed models), or None for a plain callable."""
    if not is_keras(model):
        return None
    outputs = getattr(model, "outputs", None)
    if outputs:
        layer = outputs[0]._keras_history[0]
        while isinstance(layer, keras.Model) and getattr(layer, "outputs", None):
            layer = layer.outputs[0]._keras_history[0]
        return layer
    return None


class Forward:
    """A differentiable forward pass of ``model`` on a float batch.

    ``scores(x)`` returns ``(outputs, are_probabilities)`` with the softmax removed when
    ``logits=True`` and the model's last layer applies it; ``records`` holds the outputs of the
    layers named in ``watch``.
    """

    def __init__(self, model, logits=True, watch=()):
        self.model = model
        self.watch = list(watch)
        self.keras = is_keras(model)
        self.integer = integer_input(model)
        self.head = output_layer(model) if self.keras else None
        self.logits = logits
        self.records = []
        if self.integer:
            self.first = _first_after_input(model)

    def _find_head(self, x):
        """A subclassed model's head: the last leaf layer to run (its softmax is removed)."""
        leaves = [layer for layer in leaf_layers(self.model)
                  if not any(True for _ in layer._flatten_layers(include_self=False,
                                                                 recursive=False))]
        with capture(leaves) as records:
            self.model(x[:1], training=False)
        self.head = records[-1][0] if records else None

    def __call__(self, x, training=False):
        """Outputs of the model on float ``x`` (a tf.Tensor, possibly watched)."""
        x = tf.convert_to_tensor(x, tf.float32)
        if not self.keras:
            return self.model(x)
        if self.head is None and not getattr(self.model, "outputs", None) and not self.integer:
            self._find_head(x)
        replace = {}
        feed = x
        if self.integer:
            replace = {self.first: x}
            feed = tf.cast(tf.clip_by_value(tf.round(x), 0, 255), self.model.inputs[0].dtype)
        head = self.head if self.logits else None
        with linear_head(head) as removed, capture(self.watch, replace) as records:
            outputs = self.model(feed, training=training)
        if isinstance(outputs, (list, tuple)):  # auxiliary heads: output 0 is the main one
            outputs = outputs[0]
        if isinstance(outputs, dict):
            raise ValueError(f"{_name(self.model)}: dict outputs; explain/attack take "
                             "classifiers returning class scores.")
        self.records = records
        self.removed_softmax = removed
        return outputs

    def probabilities_out(self, outputs) -> bool:
        """Whether ``outputs`` (from __call__) are probabilities rather than logits."""
        if self.keras and self.head is not None and getattr(self, "removed_softmax", False):
            return False
        activation = getattr(getattr(self.head, "activation", None), "__name__", None)
        if activation == "softmax":
            return True
        values = np.asarray(outputs)
        return bool(values.min() >= 0 and np.allclose(values.sum(-1), 1.0, atol=1e-3))


def num_classes(outputs) -> int:
    return int(outputs.shape[-1])


def class_indices(class_index, outputs, name="class_index"):
    """The target class of each example: ``class_index`` (int or one per example) or the
    predicted class; ValueError naming the argument when beyond the head."""
    classes = num_classes(outputs)
    batch = int(outputs.shape[0])
    if class_index is None:
        return np.argmax(np.asarray(outputs), axis=-1).astype(np.int64)
    index = np.asarray(class_index)
    if index.dtype.kind not in "iu":
        raise ValueError(f"{name} must be an int (or one int per image), got {class_index!r}.")
    index = np.broadcast_to(index.reshape(-1) if index.ndim else index, (batch,)).astype(np.int64)
    if index.min() < 0 or index.max() >= classes:
        raise ValueError(f"{name}={class_index!r} is beyond the model's head of {classes} "
                         f"classes (0..{classes - 1}).")
    return index


def no_gradient_error(model, what="the input"):
    return ValueError(
        f"model: {_name(model)} has no differentiable path from {what} to its class scores (an "
        "integer cast, argmax or a serving signature); use a float Keras model, or a black-box "
        "method (rise, uniform_noise).")

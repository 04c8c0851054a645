"""Helpers shared by the sequence tasks and the exporters (no Task here: nothing is registered)."""

from __future__ import annotations

import numpy as np
import tensorflow as tf


def sequence_length(model, input_name=None):
    """The fixed length of an int token input (``[B, T]``); a clear error when it is free."""
    shapes = model.input_shape if isinstance(model.input_shape, dict) else None
    shape = shapes[input_name] if shapes else model.input_shape
    if isinstance(shape, list):
        shape = shape[0]
    if shape is None or len(shape) != 2 or shape[1] is None:
        raise ValueError(f"{model.name}: serving needs a fixed sequence_length, got input shape "
                         f"{shape}; build the model with sequence_length=<int>.")
    return int(shape[1])


def tokenize(model, text):
    """Raw strings ``[B]`` -> int32 ids ``[B, T]`` with the model's own saved tokenizer."""
    tokenizer = getattr(model, "tokenizer", None)
    if tokenizer is None:
        raise ValueError(f"{model.name}: serving raw text needs a model built with a vocabulary.")
    return tf.cast(tokenizer(text), tf.int32)


def string_array(texts):
    """Raw strings as a NumPy unicode array (np.savez stores it without pickle)."""
    return np.array([str(t) for t in texts], dtype=str)

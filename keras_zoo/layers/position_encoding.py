"""Position encodings of the Transformer (Vaswani et al., Attention Is All You Need, NeurIPS
2017, section 3.5): the fixed sinusoidal encoding and a learned position embedding (BERT, GPT,
ViT's 1-D embedding).

Both layers are called on the token embeddings ``x`` of shape ``[B, T, D]`` and return the
encoding broadcast to ``[B, T, D]``; the caller adds it (``x + encoding(x)``), so the same layer
serves models that scale or drop the embeddings first.
"""

from __future__ import annotations

import keras
import numpy as np

__all__ = ["sinusoidal_encoding"]


def _check_positive_int(owner, arg, value):
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{owner}: {arg} must be a positive int, got {value!r}.")


def _inverse_frequencies(depth, max_wavelength):
    # Column j uses the frequency of its pair i = j // 2: 1 / max_wavelength^(2i / d).
    i = np.arange(depth) // 2
    return np.power(float(max_wavelength), -2.0 * i / depth)


def sinusoidal_encoding(length, depth, max_wavelength=10000.0) -> np.ndarray:
    """The sinusoidal position encoding table, ``[length, depth]`` float32.

    ``PE(pos, 2i) = sin(pos / 10000^(2i/d))`` and ``PE(pos, 2i+1) = cos(pos / 10000^(2i/d))``
    (Vaswani et al. 2017, section 3.5; notes ``000``), computed in float64 and rounded once.

    Args:
        length: the number of positions (rows), ``pos = 0 .. length-1``.
        depth: the model width ``d`` (columns); an odd ``d`` ends with a sine column.
        max_wavelength: the base of the geometric progression of wavelengths (10000).
    """
    _check_positive_int("sinusoidal_encoding", "length", length)
    _check_positive_int("sinusoidal_encoding", "depth", depth)
    if not float(max_wavelength) > 1.0:
        raise ValueError(
            f"sinusoidal_encoding: max_wavelength must be > 1, got {max_wavelength!r}.")
    angles = np.arange(length, dtype=np.float64)[:, None] * _inverse_frequencies(
        depth, max_wavelength)[None, :]
    even = (np.arange(depth) % 2 == 0)[None, :]
    return np.where(even, np.sin(angles), np.cos(angles)).astype(np.float32)


@keras.saving.register_keras_serializable(package="keras_zoo")
class SinusoidalPositionEncoding(keras.layers.Layer):
    """The fixed sinusoidal position encoding of the Transformer (Vaswani et al. 2017, 3.5).

    ``PE(pos, 2i) = sin(pos / 10000^(2i/d))``, ``PE(pos, 2i+1) = cos(pos / 10000^(2i/d))``.
    Called on ``x`` of shape ``[B, T, D]``, returns the encoding broadcast to ``[B, T, D]``
    (add it to ``x``). It has no weights and works for any ``T``: with a static ``T`` the table is
    a float64-exact constant; with a dynamic ``T`` it is computed in the graph.

    Args:
        max_wavelength: the base 10000 of the wavelengths' geometric progression.

    Example:
        >>> x = keras.Input((50, 64))
        >>> y = x + SinusoidalPositionEncoding()(x)
    """

    def __init__(self, max_wavelength=10000.0, **kwargs):
        super().__init__(**kwargs)
        if not float(max_wavelength) > 1.0:
            raise ValueError(
                f"SinusoidalPositionEncoding: max_wavelength must be > 1, got {max_wavelength!r}.")
        self.max_wavelength = float(max_wavelength)

    def build(self, input_shape):
        if len(input_shape) != 3 or input_shape[-1] is None:
            raise ValueError(
                "SinusoidalPositionEncoding: expected inputs [batch, length, depth] with a known "
                f"depth, got shape {tuple(input_shape)}.")
        self.built = True

    def call(self, inputs):
        depth = inputs.shape[-1]
        length = inputs.shape[1]
        if length is not None:
            table = keras.ops.convert_to_tensor(sinusoidal_encoding(length, depth,
                                                                    self.max_wavelength))
        else:
            positions = keras.ops.cast(keras.ops.arange(keras.ops.shape(inputs)[1]), "float32")
            inverse = keras.ops.convert_to_tensor(
                _inverse_frequencies(depth, self.max_wavelength).astype(np.float32))
            angles = positions[:, None] * inverse[None, :]
            even = keras.ops.convert_to_tensor((np.arange(depth) % 2 == 0)[None, :])
            table = keras.ops.where(even, keras.ops.sin(angles), keras.ops.cos(angles))
        table = keras.ops.cast(table, inputs.dtype)
        return keras.ops.broadcast_to(table[None], keras.ops.shape(inputs))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "max_wavelength": self.max_wavelength}


@keras.saving.register_keras_serializable(package="keras_zoo")
class LearnedPositionEmbedding(keras.layers.Layer):
    """A learned position embedding, one trainable D-vector per position (BERT, GPT; Gehring et
    al., Convolutional Sequence to Sequence Learning, 2017).

    Called on ``x`` of shape ``[B, T, D]`` with ``T <= sequence_length``, returns the first ``T``
    rows of the ``[sequence_length, D]`` table broadcast to ``[B, T, D]`` (add it to ``x``).

    Args:
        sequence_length: the longest sequence the table covers.
        initializer: the table's initializer (BERT's truncated normal with stddev 0.02).
    """

    def __init__(self, sequence_length,
                 initializer=None, **kwargs):
        super().__init__(**kwargs)
        _check_positive_int("LearnedPositionEmbedding", "sequence_length", sequence_length)
        self.sequence_length = int(sequence_length)
        self.initializer = keras.initializers.get(
            initializer or keras.initializers.TruncatedNormal(stddev=0.02))

    def build(self, input_shape):
        if len(input_shape) != 3 or input_shape[-1] is None:
            raise ValueError(
                "LearnedPositionEmbedding: expected inputs [batch, length, depth] with a known "
                f"depth, got shape {tuple(input_shape)}.")
        length = input_shape[1]
        if length is not None and length > self.sequence_length:
            raise ValueError(
                f"LearnedPositionEmbedding: inputs have {length} positions, more than "
                f"sequence_length={self.sequence_length}.")
        self.embeddings = self.add_weight(
            shape=(self.sequence_length, input_shape[-1]), initializer=self.initializer,
            name="embeddings")

    def call(self, inputs):
        length = inputs.shape[1]
        if length is None:
            length = keras.ops.shape(inputs)[1]
        table = keras.ops.cast(self.embeddings[:length], inputs.dtype)
        return keras.ops.broadcast_to(table[None], keras.ops.shape(inputs))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "sequence_length": self.sequence_length,
                "initializer": keras.initializers.serialize(self.initializer)}

"""The Diagonal BiLSTM layer of PixelRNN (van den Oord, Kalchbrenner & Kavukcuoglu, "Pixel
Recurrent Neural Networks", ICML 2016, section 3.2)."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from keras_zoo.layers.masked_conv import MaskedConv2D
from keras_zoo.layers.row_lstm import lstm_step


def _zero_pad(x, before, after, axis):
    """``x`` with ``before``/``after`` zeros along ``axis``, by FILL + CONCATENATION (ops the
    Row LSTM's converted graphs already use) rather than PAD."""
    parts = []
    for n in (before, after):
        shape = tf.concat([tf.shape(x)[:axis], [n], tf.shape(x)[axis + 1:]], 0)
        parts.append(tf.zeros(shape, x.dtype) if n else None)
    return tf.concat([p for p in (parts[0], x, parts[1]) if p is not None], axis=axis)


def skew(x, reverse=False):
    """``[B, H, W, C] -> [B, H, W + H - 1, C]``: row i shifted right by i (section 3.2), so
    that the diagonals of the image become columns; ``reverse=True`` shifts row i by
    ``H - 1 - i`` instead (the skew of the mirrored image, read from the right)."""
    height = x.shape[1]
    rows = []
    for i in range(height):
        shift = height - 1 - i if reverse else i
        rows.append(_zero_pad(x[:, i], shift, height - 1 - shift, axis=1))
    return tf.stack(rows, axis=1)


def unskew(x, width, reverse=False):
    """The inverse of ``skew``: row i read from its shift on, ``width`` columns."""
    height = x.shape[1]
    rows = []
    for i in range(height):
        shift = height - 1 - i if reverse else i
        rows.append(x[:, i, shift:shift + width])
    return tf.stack(rows, axis=1)


@keras.saving.register_keras_serializable(package="keras_zoo")
class DiagonalBiLSTM(keras.layers.Layer):
    """Diagonal BiLSTM: two LSTMs that sweep the image diagonal by diagonal, one from each side.

    PixelRNN, section 3.2: the input map is skewed (row i shifted right by i); an LSTM then runs
    over its columns, the input-to-state a 1x1 convolution masked B, the state-to-state a
    column convolution of kernel 2 (the previous column's states at rows i-1 and i: in image
    coordinates the state above and the state on the left, zero outside the image), the LSTM
    update of equation 3, and the output is unskewed. The second direction runs on the horizontally mirrored map; its
    output is mirrored back and shifted down by one row, so that a pixel sees the states of the
    row above it from the right and never the pixels after it in its own row, and the two are
    added. Each state sees the whole context before its pixel.

    Args:
        units: h, the state's channels (of each direction and of the output).
        color_groups: None, or the number of colour groups (3 for RGB), as ``RowLSTM``.
        **kwargs: ``keras.layers.Layer`` arguments.

    Example:
        >>> DiagonalBiLSTM(8)(keras.random.normal((2, 5, 6, 4))).shape
        TensorShape([2, 5, 6, 8])
    """

    def __init__(self, units, color_groups=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units < 1:
            raise ValueError(f"DiagonalBiLSTM: units must be a positive int, got {units!r}.")
        if units % (color_groups or 1):
            raise ValueError(f"DiagonalBiLSTM: units={units} must be divisible by "
                             f"color_groups={color_groups}.")
        self.units = int(units)
        self.color_groups = color_groups
        self.input_to_state = [MaskedConv2D(4 * units, 1, mask_type="B",
                                            color_groups=color_groups,
                                            name=f"{side}_input_to_state")
                               for side in ("left", "right")]
        # Causal along the column (row i sees rows i-1 and i): a "valid" convolution of the
        # states with one zero row on top, Conv1D's "causal" padding written out (see
        # ``_zero_pad``).
        self.state_to_state = [keras.layers.Conv1D(4 * units, 2, padding="valid",
                                                   use_bias=False, name=f"{side}_state_to_state")
                               for side in ("left", "right")]

    def build(self, input_shape):
        if len(input_shape) != 4 or input_shape[1] is None or input_shape[2] is None:
            raise ValueError(f"DiagonalBiLSTM: expected images [batch, H, W, C] with static H "
                             f"and W, got {tuple(input_shape)}.")
        for layer in self.input_to_state:
            layer.build(input_shape)
        for layer in self.state_to_state:
            layer.build((None, input_shape[1] + 1, self.units))

    def _sweep(self, x, direction):
        """One direction over ``x``: ``[B, H, W, units]``. Direction 0 runs left to right over
        the skewed map; direction 1 runs right to left over the reversed skew, which is the
        left-to-right sweep of the mirrored image without mirroring anything (no REVERSE op)."""
        height, width = x.shape[1], x.shape[2]
        reverse = direction == 1
        states = skew(self.input_to_state[direction](x), reverse)
        zeros = tf.zeros(tf.stack([tf.shape(x)[0], height, self.units]), states.dtype)
        # Skewed column j holds pixel (i, j - shift_i) where that is inside the image; elsewhere
        # the states are held at zero, the image's zero boundary (the padding would otherwise
        # carry states grown from the biases alone).
        rows = np.arange(height)[:, None]
        shifts = height - 1 - rows if reverse else rows
        offsets = np.arange(width + height - 1)[None, :] - shifts
        inside = ((offsets >= 0) & (offsets < width)).astype(np.float32)
        order = range(width + height - 2, -1, -1) if reverse else range(width + height - 1)
        h, c, columns = zeros, zeros, {}
        for j in order:
            z = states[:, :, j]
            # The first column's previous states are zero: no recurrent term. Convolving the
            # all-zero initial state made the int8 TFLite interpreter abort (measured: a
            # quantisation range of [0, 0]).
            if columns:
                z += self.state_to_state[direction](_zero_pad(h, 1, 0, axis=1))
            h, c = lstm_step(z, c, self.units, self.color_groups or 1)
            valid = tf.constant(inside[:, j, None], states.dtype)
            h, c = h * valid, c * valid
            columns[j] = h
        stacked = tf.stack([columns[j] for j in range(width + height - 1)], axis=2)
        return unskew(stacked, width, reverse)

    def call(self, inputs):
        left = self._sweep(inputs, 0)
        right = self._sweep(inputs, 1)
        # Down one row: the right-to-left states of row i have seen row i's later pixels.
        right = _zero_pad(right[:, :-1], 1, 0, axis=1)
        return left + right

    def compute_output_shape(self, input_shape):
        return (*input_shape[:3], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "color_groups": self.color_groups}

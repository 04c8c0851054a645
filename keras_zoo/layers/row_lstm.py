"""The Row LSTM layer of PixelRNN (van den Oord, Kalchbrenner & Kavukcuoglu, "Pixel Recurrent
Neural Networks", ICML 2016, section 3.1)."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from keras_zoo.layers.masked_conv import MaskedConv2D


def lstm_step(z, c, units, groups=1):
    """One LSTM update from the pre-activations ``z [..., 4 units]`` and the cell ``c``:
    ``(h, c)``. ``z`` holds ``groups`` contiguous colour groups, each ``[o, f, i, g]`` of
    ``units / groups`` channels (the layout a colour-grouped masked kernel produces)."""
    shape = tf.shape(c)
    z = tf.reshape(z, tf.concat([shape[:-1], [groups, 4, units // groups]], 0))
    o, f, i, g = (tf.reshape(z[..., k, :], shape) for k in range(4))
    c = tf.sigmoid(f) * c + tf.sigmoid(i) * tf.tanh(g)
    return tf.sigmoid(o) * tf.tanh(c), c


@keras.saving.register_keras_serializable(package="keras_zoo")
class RowLSTM(keras.layers.Layer):
    """Row LSTM: an LSTM that runs down the image one row at a time, the whole row at once.

    PixelRNN, section 3.1, equation 3: for row i,
    ``[o_i, f_i, i_i, g_i] = sigma(K^ss * h_{i-1} + K^is * x_i)`` (tanh for g),
    ``c_i = f_i . c_{i-1} + i_i . g_i``, ``h_i = o_i . tanh(c_i)``. The input-to-state kernel
    ``K^is`` is a ``1 x k`` convolution along the row masked to the pixel and those on its left
    (mask B: the layer's input at a pixel may already depend on the pixels before it, never on
    itself); the state-to-state kernel ``K^ss`` is an unmasked ``1 x k`` convolution of the previous
    row's states (all of that row precedes row i). Each state sees a triangle above its pixel.

    With ``color_groups=G`` (the paper's R -> G -> B conditioning), the gates and states are
    split into G contiguous channel groups, each group's gates computed by the masked kernel
    from the groups it may see at the centre pixel.

    Args:
        units: h, the state's channels.
        kernel_size: k, the width of both kernels (3).
        color_groups: None, or the number of colour groups (3 for RGB).
        **kwargs: ``keras.layers.Layer`` arguments.

    Example:
        >>> RowLSTM(8)(keras.random.normal((2, 6, 6, 4))).shape
        TensorShape([2, 6, 6, 8])
    """

    def __init__(self, units, kernel_size=3, color_groups=None, **kwargs):
        super().__init__(**kwargs)
        for arg, value in (("units", units), ("kernel_size", kernel_size)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"RowLSTM: {arg} must be a positive int, got {value!r}.")
        if kernel_size % 2 == 0:
            raise ValueError(f"RowLSTM: kernel_size must be odd, got {kernel_size}.")
        groups = color_groups or 1
        if units % groups:
            raise ValueError(f"RowLSTM: units={units} must be divisible by "
                             f"color_groups={color_groups}.")
        self.units = int(units)
        self.kernel_size = int(kernel_size)
        self.color_groups = color_groups
        self.input_to_state = MaskedConv2D(4 * units, (1, kernel_size), mask_type="B",
                                           padding="same", color_groups=color_groups,
                                           name="input_to_state")
        self.state_to_state = keras.layers.Conv1D(4 * units, kernel_size, padding="same",
                                                  use_bias=False, name="state_to_state")

    def build(self, input_shape):
        if len(input_shape) != 4 or input_shape[1] is None or input_shape[2] is None:
            raise ValueError(f"RowLSTM: expected images [batch, H, W, C] with static H and W, "
                             f"got {tuple(input_shape)}.")
        self.input_to_state.build(input_shape)
        self.state_to_state.build((None, input_shape[2], self.units))

    def call(self, inputs):
        height, width = inputs.shape[1], inputs.shape[2]
        states = self.input_to_state(inputs)
        zeros = tf.zeros(tf.stack([tf.shape(inputs)[0], width, self.units]), states.dtype)
        h, c, rows = zeros, zeros, []
        for i in range(height):
            h, c = lstm_step(states[:, i] + self.state_to_state(h), c, self.units,
                             self.color_groups or 1)
            rows.append(h)
        return tf.stack(rows, axis=1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:3], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "kernel_size": self.kernel_size,
                "color_groups": self.color_groups}

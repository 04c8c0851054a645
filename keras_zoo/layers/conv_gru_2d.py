"""The convolutional GRU (Ballas, Yao, Pal & Courville, Delving Deeper into Convolutional
Networks for Learning Video Representations, ICLR 2016, section 3)."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_zoo")
class ConvGRU2D(keras.layers.Layer):
    """A GRU whose input-to-state and state-to-state products are 2-D convolutions, over
    ``[B, T, H, W, C]`` inputs (eq. 4-7 of Ballas et al.)::

        z_t = sigmoid(W_z * x_t + U_z * h_{t-1} + b_z)
        r_t = sigmoid(W_r * x_t + U_r * h_{t-1} + b_r)
        h~_t = tanh(W * x_t + U * (r_t o h_{t-1}) + b)
        h_t = (1 - z_t) o h_{t-1} + z_t o h~_t

    with ``h_0 = 0`` and "same" padding. The steps are unrolled over the static T, so the graph
    is convolutions and elementwise ops (TFLite builtins), the counterpart of
    ``keras.layers.ConvLSTM2D(..., unroll=True)``.

    Args:
        filters: channels of the hidden state.
        kernel_size: int or pair, for both the input and the recurrent convolutions.
        return_sequences: return every step's ``h_t`` ``[B, T, H, W, filters]``, else the last.
        kernel_initializer, recurrent_initializer: the W and U initializers.
    """

    def __init__(self, filters, kernel_size=3, return_sequences=False,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 **kwargs):
        super().__init__(**kwargs)
        if not isinstance(filters, int) or filters < 1:
            raise ValueError(f"ConvGRU2D: filters must be a positive int, got {filters!r}.")
        self.filters = filters
        self.kernel_size = ((kernel_size,) * 2 if isinstance(kernel_size, int)
                            else tuple(kernel_size))
        self.return_sequences = bool(return_sequences)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.recurrent_initializer = keras.initializers.get(recurrent_initializer)

    def build(self, input_shape):
        if len(input_shape) != 5 or None in tuple(input_shape[1:]):
            raise ValueError(f"ConvGRU2D: expected [batch, T, H, W, C] with static T, H, W, C, "
                             f"got {tuple(input_shape)}.")
        f = self.filters
        self.kernel = self.add_weight(name="kernel",
                                      shape=(*self.kernel_size, input_shape[-1], 3 * f),
                                      initializer=self.kernel_initializer)
        self.recurrent_kernel = self.add_weight(name="recurrent_kernel",
                                                shape=(*self.kernel_size, f, 3 * f),
                                                initializer=self.recurrent_initializer)
        self.bias = self.add_weight(name="bias", shape=(3 * f,), initializer="zeros")

    def call(self, inputs):
        _, t, h, w, c = inputs.shape
        f = self.filters
        # All input convolutions at once, frames folded into the batch.
        xs = ops.conv(ops.reshape(inputs, (-1, h, w, c)), self.kernel, padding="same")
        xs = ops.reshape(xs + self.bias, (-1, t, h, w, 3 * f))
        u_zr, u_h = self.recurrent_kernel[..., :2 * f], self.recurrent_kernel[..., 2 * f:]
        state = ops.zeros_like(xs[:, 0, ..., :f])
        outputs = []
        for step in range(t):
            x = xs[:, step]
            zr = ops.sigmoid(x[..., :2 * f] + ops.conv(state, u_zr, padding="same"))
            z, r = zr[..., :f], zr[..., f:]
            candidate = ops.tanh(x[..., 2 * f:] + ops.conv(r * state, u_h, padding="same"))
            state = (1.0 - z) * state + z * candidate
            outputs.append(state)
        return ops.stack(outputs, axis=1) if self.return_sequences else state

    def compute_output_shape(self, input_shape):
        b, t, h, w, _ = input_shape
        return (b, t, h, w, self.filters) if self.return_sequences else (b, h, w, self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": self.kernel_size, "return_sequences": self.return_sequences,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "recurrent_initializer": keras.initializers.serialize(
                    self.recurrent_initializer)}

"""The fully connected LSTM with peephole connections (Graves, Generating Sequences With
Recurrent Neural Networks, 2013, eq. 7-11; Shi et al., NeurIPS 2015, eq. 2 as FC-LSTM)."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_zoo")
class PeepholeLSTM(keras.layers.Layer):
    """An LSTM over ``[B, T, D]`` whose gates also see the cell state (peepholes, the
    ``w_c o c`` terms, diagonal weights)::

        i_t = sigmoid(W_xi x_t + W_hi h_{t-1} + w_ci o c_{t-1} + b_i)
        f_t = sigmoid(W_xf x_t + W_hf h_{t-1} + w_cf o c_{t-1} + b_f)
        c_t = f_t o c_{t-1} + i_t o tanh(W_xc x_t + W_hc h_{t-1} + b_c)
        o_t = sigmoid(W_xo x_t + W_ho h_{t-1} + w_co o c_t + b_o)
        h_t = o_t o tanh(c_t)

    with zero initial states; the output gate peeks at the new cell ``c_t``, the input and
    forget gates at the old one. Unrolled over the static T (TFLite builtins).

    Args:
        units: width of ``h`` and ``c``.
        return_sequences: every ``h_t`` ``[B, T, units]``, else the last ``[B, units]``.
        unit_forget_bias: initialise ``b_f`` to 1 (Jozefowicz et al. 2015).
        peephole_initializer: the ``w_ci, w_cf, w_co`` initializer (zeros: starts as a plain
            LSTM).
    """

    def __init__(self, units, return_sequences=False, unit_forget_bias=True,
                 peephole_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        if not isinstance(units, int) or units < 1:
            raise ValueError(f"PeepholeLSTM: units must be a positive int, got {units!r}.")
        self.units = units
        self.return_sequences = bool(return_sequences)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.peephole_initializer = keras.initializers.get(peephole_initializer)

    def build(self, input_shape):
        if len(input_shape) != 3 or input_shape[1] is None or input_shape[2] is None:
            raise ValueError(f"PeepholeLSTM: expected [batch, T, features] with static T, got "
                             f"{tuple(input_shape)}.")
        n = self.units
        self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], 4 * n),
                                      initializer="glorot_uniform")
        self.recurrent_kernel = self.add_weight(name="recurrent_kernel", shape=(n, 4 * n),
                                                initializer="orthogonal")
        # Gate order i, f, c, o; the forget slice starts at 1 when unit_forget_bias.
        forget = [0.0] * n + [1.0 if self.unit_forget_bias else 0.0] * n + [0.0] * 2 * n
        self.bias = self.add_weight(name="bias", shape=(4 * n,),
                                    initializer=keras.initializers.Constant(forget))
        self.peephole = self.add_weight(name="peephole", shape=(3, n),
                                        initializer=self.peephole_initializer)

    def call(self, inputs):
        n = self.units
        xs = ops.matmul(inputs, self.kernel) + self.bias
        h = ops.zeros_like(xs[:, 0, :n])
        c = h
        outputs = []
        for step in range(inputs.shape[1]):
            z = xs[:, step] + ops.matmul(h, self.recurrent_kernel)
            i = ops.sigmoid(z[:, :n] + self.peephole[0] * c)
            f = ops.sigmoid(z[:, n:2 * n] + self.peephole[1] * c)
            c = f * c + i * ops.tanh(z[:, 2 * n:3 * n])
            o = ops.sigmoid(z[:, 3 * n:] + self.peephole[2] * c)
            h = o * ops.tanh(c)
            outputs.append(h)
        return ops.stack(outputs, axis=1) if self.return_sequences else h

    def compute_output_shape(self, input_shape):
        b, t, _ = input_shape
        return (b, t, self.units) if self.return_sequences else (b, self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "return_sequences": self.return_sequences,
                "unit_forget_bias": self.unit_forget_bias,
                "peephole_initializer": keras.initializers.serialize(self.peephole_initializer)}

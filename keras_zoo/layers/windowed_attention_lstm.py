"""MultiLSTM's recurrent layer: an LSTM whose input at each step is an attention-weighted sum
of the recent N inputs (Yeung, Russakovsky, Jin, Andriluka, Mori & Fei-Fei, Every Moment
Counts: Dense Detailed Labeling of Actions in Complex Videos, IJCV 2018, section 4)."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_zoo")
class WindowedAttentionLSTM(keras.layers.Layer):
    """Over ``[B, T, D]``, at step t with window ``W_t = x_{max(0, t-N+1)} .. x_t``::

        e_i = v^T tanh(A x_i + U h_{t-1} + b_a)        for x_i in W_t
        a = softmax(e);  c_t = sum_i a_i x_i
        i, f, o, g = split(c_t K + h_{t-1} R + b);  C_t = s(f) C_{t-1} + s(i) tanh(g)
        h_t = s(o) tanh(C_t)

    Zero initial states; the first steps attend over the frames seen so far. Unrolled over the
    static T (TFLite builtins).

    Args:
        units: width of ``h`` and ``C`` (and of the attention's hidden layer).
        window: N, the recent inputs attended over.
        return_sequences: every ``h_t`` ``[B, T, units]``, else the last.
    """

    def __init__(self, units, window=5, return_sequences=False, **kwargs):
        super().__init__(**kwargs)
        for arg, value in (("units", units), ("window", window)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"WindowedAttentionLSTM: {arg} must be a positive int, got "
                                 f"{value!r}.")
        self.units, self.window = units, window
        self.return_sequences = bool(return_sequences)

    def build(self, input_shape):
        if len(input_shape) != 3 or None in tuple(input_shape[1:]):
            raise ValueError(f"WindowedAttentionLSTM: expected [batch, T, features] with "
                             f"static T and features, got {tuple(input_shape)}.")
        d, n = input_shape[-1], self.units
        self.attention_input = self.add_weight(name="attention_input", shape=(d, n),
                                               initializer="glorot_uniform")
        self.attention_state = self.add_weight(name="attention_state", shape=(n, n),
                                               initializer="glorot_uniform")
        self.attention_bias = self.add_weight(name="attention_bias", shape=(n,),
                                              initializer="zeros")
        self.attention_score = self.add_weight(name="attention_score", shape=(n, 1),
                                               initializer="glorot_uniform")
        self.kernel = self.add_weight(name="kernel", shape=(d, 4 * n),
                                      initializer="glorot_uniform")
        self.recurrent_kernel = self.add_weight(name="recurrent_kernel", shape=(n, 4 * n),
                                                initializer="orthogonal")
        self.bias = self.add_weight(name="bias", shape=(4 * n,), initializer="zeros")

    def call(self, inputs):
        n = self.units
        keys = ops.matmul(inputs, self.attention_input)  # A x_i for every frame, once
        h = ops.zeros_like(keys[:, 0])
        c = h
        outputs = []
        for t in range(inputs.shape[1]):
            start = max(0, t - self.window + 1)
            if start == t:  # one input: its attention weight is 1
                context = inputs[:, t]
            else:
                query = ops.matmul(h, self.attention_state) + self.attention_bias
                e = ops.matmul(ops.tanh(keys[:, start:t + 1] + query[:, None]),
                               self.attention_score)
                context = ops.sum(ops.softmax(e, axis=1) * inputs[:, start:t + 1], axis=1)
            z = ops.matmul(context, self.kernel) + ops.matmul(h, self.recurrent_kernel) + self.bias
            c = ops.sigmoid(z[:, n:2 * n]) * c + ops.sigmoid(z[:, :n]) * ops.tanh(z[:, 3 * n:])
            h = ops.sigmoid(z[:, 2 * n:3 * n]) * ops.tanh(c)
            outputs.append(h)
        return ops.stack(outputs, axis=1) if self.return_sequences else h

    def compute_output_shape(self, input_shape):
        b, t, _ = input_shape
        return (b, t, self.units) if self.return_sequences else (b, self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "window": self.window,
                "return_sequences": self.return_sequences}

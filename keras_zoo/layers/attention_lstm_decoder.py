"""The LSTM decoder of Show, Attend and Tell (Xu et al., ICML 2015, sections 3.1.2 and 4.2):
at every step the previous hidden state queries the annotation vectors by soft attention."""

import keras
from keras import ops

from keras_zoo.layers.bahdanau_attention import BahdanauAttention


def _positive(name, value):
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"AttentionLSTMDecoder: {name} must be a positive int, got {value!r}.")


@keras.saving.register_keras_serializable(package="keras_zoo")
class AttentionLSTMDecoder(keras.layers.Layer):
    """Teacher-forced soft-attention LSTM decoding over ``T`` steps, unrolled (static T, so it
    exports to TFLite with builtin ops).

    Step t: ``alpha_t = softmax(f_att(a, h_{t-1}))`` (an MLP, eq. 4-5), ``z_t = beta_t
    sum_i alpha_ti a_i`` with the gate ``beta_t = sigmoid(f_beta(h_{t-1}))`` (section 4.2.1),
    ``h_t, c_t = LSTM([E y_{t-1}, z_t], h_{t-1}, c_{t-1})``; ``h_0, c_0`` are MLPs of the mean
    annotation (section 3.1.2).

    Call with ``[words, annotations]``: words ``[B, T, E]`` (embedded previous words),
    annotations ``[B, L, D]`` (the CNN feature map flattened over its L locations). Returns
    ``(hidden [B, T, units], context [B, T, D], alpha [B, T, L])``.

    Args:
        units: LSTM width n.
        attention_units: width of the attention MLP.
        gate: apply the gating scalar beta (section 4.2.1).
    """

    def __init__(self, units, attention_units, gate=True, **kwargs):
        super().__init__(**kwargs)
        _positive("units", units)
        _positive("attention_units", attention_units)
        self.units, self.attention_units, self.gate = units, attention_units, bool(gate)
        self.cell = keras.layers.LSTMCell(units, name="lstm")
        self.attention = BahdanauAttention(attention_units, name="f_att")
        self.beta = keras.layers.Dense(1, activation="sigmoid", name="f_beta")
        self.init_h = keras.layers.Dense(units, activation="tanh", name="f_init_h")
        self.init_c = keras.layers.Dense(units, activation="tanh", name="f_init_c")

    def build(self, input_shape):
        words_shape, annotations_shape = input_shape
        dim = annotations_shape[-1]
        self.attention.build([(None, 1, self.units), annotations_shape])
        self.beta.build((None, self.units))
        self.init_h.build((None, dim))
        self.init_c.build((None, dim))
        self.cell.build((None, words_shape[-1] + dim))

    def initial_state(self, annotations):
        """``[h_0, c_0]``: MLPs of the mean annotation (section 3.1.2)."""
        mean = ops.mean(annotations, axis=1)
        return [self.init_h(mean), self.init_c(mean)]

    def step(self, word, state, annotations):
        """One step: ``word [B, E]``, ``state [h, c]`` -> ``(h_t, [h_t, c_t], z_t, alpha_t)``."""
        h, c = state
        context, alpha = self.attention([ops.expand_dims(h, 1), annotations],
                                        return_attention_scores=True)
        context = context[:, 0]
        if self.gate:
            context = self.beta(h) * context
        h, state = self.cell(ops.concatenate([word, context], axis=-1), [h, c])
        return h, list(state), context, alpha[:, 0]

    def call(self, inputs):
        words, annotations = inputs
        steps = words.shape[1]
        if steps is None:
            raise ValueError("AttentionLSTMDecoder: the number of steps T must be static.")
        state = self.initial_state(annotations)
        hidden, contexts, alphas = [], [], []
        for t in range(steps):
            h, state, context, alpha = self.step(words[:, t], state, annotations)
            hidden.append(h)
            contexts.append(context)
            alphas.append(alpha)
        return ops.stack(hidden, 1), ops.stack(contexts, 1), ops.stack(alphas, 1)

    def compute_output_shape(self, input_shape):
        words_shape, annotations_shape = input_shape
        b, t = words_shape[0], words_shape[1]
        return ((b, t, self.units), (b, t, annotations_shape[-1]), (b, t, annotations_shape[1]))

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "attention_units": self.attention_units, "gate": self.gate}

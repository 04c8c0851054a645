"""Multiplicative and concat attention (Luong, Pham & Manning, Effective Approaches to
Attention-based Neural Machine Translation, EMNLP 2015)."""

import keras
from keras import ops

from keras_zoo.layers.bahdanau_attention import masked_softmax, split_inputs

SCORES = ("dot", "general", "concat")


@keras.saving.register_keras_serializable(package="keras_zoo")
class LuongAttention(keras.layers.Layer):
    """Global attention with the three scores of Luong et al. 2015, eq. (8):

    - ``dot``: ``score(h_t, h_s) = h_t^T h_s``
    - ``general``: ``score(h_t, h_s) = h_t^T W_a h_s``
    - ``concat``: ``score(h_t, h_s) = v_a^T tanh(W_a [h_t; h_s])``

    ``a_t(s) = softmax_s(score)``, context ``c_t = sum_s a_t(s) h_s``. (The attentional hidden
    state ``tanh(W_c [c_t; h_t])`` of eq. (5) is the model's, not this layer's.)

    Call with ``[query, values]`` (or ``[query, values, keys]``): query ``[B, Tq, D]`` (target
    states h_t), values ``[B, Tv, Dv]`` (source states h_s); returns contexts ``[B, Tq, Dv]``
    and, with ``return_attention_scores=True``, the weights ``[B, Tq, Tv]``.

    Args:
        score: ``"dot"``, ``"general"`` or ``"concat"``.
        units: the width of ``W_a`` for ``concat`` (ignored otherwise; default: the query width).
    """

    def __init__(self, score="general", units=None, **kwargs):
        super().__init__(**kwargs)
        if score not in SCORES:
            raise ValueError(f"LuongAttention: score must be one of {SCORES}, got {score!r}.")
        if units is not None and (not isinstance(units, int) or units < 1):
            raise ValueError(f"LuongAttention: units must be a positive int or None, got {units!r}.")
        self.score = score
        self.units = units
        self.supports_masking = True
        self.W_a = None
        self.v_a = None
        if score == "concat":
            self.v_a = keras.layers.Dense(1, use_bias=False, name="v_a")

    def build(self, input_shape):
        query_shape, _, key_shape = split_inputs("LuongAttention", input_shape)
        if self.score == "dot" and query_shape[-1] != key_shape[-1]:
            raise ValueError(
                f"LuongAttention: score='dot' needs query and key widths to agree, got "
                f"{query_shape[-1]} and {key_shape[-1]}.")
        if self.score == "general":
            self.W_a = self.add_weight(name="W_a", shape=(query_shape[-1], key_shape[-1]),
                                       initializer="glorot_uniform")
        elif self.score == "concat":
            units = self.units or query_shape[-1]
            self.W_a = self.add_weight(name="W_a", shape=(query_shape[-1] + key_shape[-1], units),
                                       initializer="glorot_uniform")
            self.v_a.build((None, units))

    def _scores(self, query, keys):
        if self.score == "dot":
            return ops.matmul(query, ops.transpose(keys, (0, 2, 1)))
        if self.score == "general":
            return ops.matmul(ops.matmul(query, self.W_a), ops.transpose(keys, (0, 2, 1)))
        # concat: W_a [h_t; h_s] = W_q h_t + W_k h_s, split so no [B,Tq,Tv,Dq+Dk] tensor is built.
        dq = query.shape[-1]
        w_q, w_k = self.W_a[:dq], self.W_a[dq:]
        hidden = ops.tanh(ops.expand_dims(ops.matmul(query, w_q), 2)
                          + ops.expand_dims(ops.matmul(keys, w_k), 1))
        return ops.squeeze(self.v_a(hidden), axis=-1)

    def call(self, inputs, mask=None, return_attention_scores=False):
        query, values, keys = split_inputs("LuongAttention", inputs)
        value_mask = mask[1] if isinstance(mask, (list, tuple)) and len(mask) > 1 else None
        weights = masked_softmax(self._scores(query, keys), value_mask)
        context = ops.matmul(weights, values)
        return (context, weights) if return_attention_scores else context

    def compute_mask(self, inputs, mask=None):
        return mask[0] if isinstance(mask, (list, tuple)) else None

    def get_config(self):
        return {**super().get_config(), "score": self.score, "units": self.units}

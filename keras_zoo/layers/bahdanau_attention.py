"""Additive attention (Bahdanau, Cho & Bengio, Neural Machine Translation by Jointly Learning to
Align and Translate, ICLR 2015)."""

import keras
from keras import ops


def _check_units(layer, units):
    if not isinstance(units, int) or isinstance(units, bool) or units < 1:
        raise ValueError(f"{layer}: units must be a positive int, got {units!r}.")


def masked_softmax(scores, value_mask):
    """Softmax over the last axis (the values), with padded values (mask 0) given weight 0."""
    if value_mask is not None:
        keep = ops.expand_dims(ops.cast(value_mask, scores.dtype), axis=-2)
        scores = scores + (1.0 - keep) * -1e9
    return ops.softmax(scores, axis=-1)


def split_inputs(layer, inputs):
    """``[query, values]`` or ``[query, values, keys]``; keys default to the values."""
    if not isinstance(inputs, (list, tuple)) or len(inputs) not in (2, 3):
        raise ValueError(
            f"{layer}: inputs must be [query, values] or [query, values, keys], got {inputs!r}.")
    query, values = inputs[0], inputs[1]
    keys = inputs[2] if len(inputs) == 3 else values
    return query, values, keys


@keras.saving.register_keras_serializable(package="keras_zoo")
class BahdanauAttention(keras.layers.Layer):
    """Additive attention: ``e_ij = v^T tanh(W_s s_i + W_h h_j)``, ``a_ij = softmax_j(e_ij)``,
    ``c_i = sum_j a_ij h_j`` (Bahdanau et al. 2015, appendix A.1.2; there ``s_i`` is the decoder
    state s_{i-1} and ``h_j`` the encoder annotations).

    Call with ``[query, values]`` (or ``[query, values, keys]``): query ``[B, Tq, Dq]`` (the decoder
    states), values ``[B, Tv, Dv]`` (the annotations, which are also the keys unless given);
    returns the contexts ``[B, Tq, Dv]``, and the weights ``[B, Tq, Tv]`` as well with
    ``return_attention_scores=True``. ``mask=[query_mask, value_mask]`` gives padded values
    weight 0.

    Args:
        units: the width of the alignment MLP (the paper's n' = 1000).
    """

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        _check_units("BahdanauAttention", units)
        self.units = units
        self.query_dense = keras.layers.Dense(units, use_bias=False, name="W_s")
        # The paper's b: one bias in the tanh, carried by the key projection.
        self.key_dense = keras.layers.Dense(units, use_bias=True, name="W_h")
        self.score_dense = keras.layers.Dense(1, use_bias=False, name="v")
        self.supports_masking = True

    def build(self, input_shape):
        query_shape, _, key_shape = split_inputs("BahdanauAttention", input_shape)
        self.query_dense.build(query_shape)
        self.key_dense.build(key_shape)
        self.score_dense.build(tuple(key_shape[:-1]) + (self.units,))

    def call(self, inputs, mask=None, return_attention_scores=False):
        query, values, keys = split_inputs("BahdanauAttention", inputs)
        q = ops.expand_dims(self.query_dense(query), axis=2)  # [B, Tq, 1, U]
        k = ops.expand_dims(self.key_dense(keys), axis=1)  # [B, 1, Tv, U]
        scores = ops.squeeze(self.score_dense(ops.tanh(q + k)), axis=-1)  # [B, Tq, Tv]
        value_mask = mask[1] if isinstance(mask, (list, tuple)) and len(mask) > 1 else None
        weights = masked_softmax(scores, value_mask)
        context = ops.matmul(weights, values)
        return (context, weights) if return_attention_scores else context

    def compute_mask(self, inputs, mask=None):
        return mask[0] if isinstance(mask, (list, tuple)) else None

    def get_config(self):
        return {**super().get_config(), "units": self.units}

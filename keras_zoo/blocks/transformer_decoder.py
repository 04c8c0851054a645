"""The Transformer decoder block (Vaswani et al., Attention Is All You Need, NeurIPS 2017, 3.1):
masked (causal) multi-head self-attention, multi-head cross-attention over the encoder output,
and a position-wise feed-forward network, each in a residual connection with layer norm.

Layer names, for a block named ``"decoder_layer_0"``: ``_self_attention``,
``_self_attention_norm``, ``_cross_attention``, ``_cross_attention_norm``, ``_mlp_dense_1``,
``_mlp_dense_2``, ``_mlp_norm`` (and the matching ``_dropout``/``_add`` layers).
"""

from __future__ import annotations

import keras

_block_counter = [0]


def _check_positive_int(arg, value):
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"transformer_decoder_block: {arg} must be a positive int, got {value!r}.")


def _sublayer(x, fn, norm, dropout, norm_first, name):
    """``LN(x + Dropout(fn(x)))`` (post-norm) or ``x + Dropout(fn(LN(x)))`` (pre-norm)."""
    h = fn(norm(x) if norm_first else x)
    h = keras.layers.Dropout(dropout, name=f"{name}_dropout")(h)
    h = keras.layers.Add(name=f"{name}_add")([x, h])
    return h if norm_first else norm(h)


def transformer_decoder_block(x, memory, num_heads, key_dim, mlp_dim, dropout=0.0,
                              norm_first=False, activation="relu", epsilon=1e-6,
                              cross_attention=True, name=None, attention_mask=None,
                              memory_mask=None):
    """One Transformer decoder layer.

    Post-norm (``norm_first=False``, the 2017 paper)::

        a = LN(y + SelfAttn_causal(y));  b = LN(a + CrossAttn(a, memory));  y = LN(b + FFN(b))

    Position i of the self-attention attends to positions <= i only (the paper's masking "to
    prevent leftward information flow"), so training with teacher forcing sees no future token.

    Args:
        x: the target sequence ``[B, T, D]`` (symbolic).
        memory: the encoder output ``[B, S, D]``, or ``None`` with ``cross_attention=False``
            (a decoder-only block, as in GPT).
        num_heads: attention heads h.
        key_dim: the width of each head (d_k = D / h).
        mlp_dim: the feed-forward width d_ff.
        dropout: dropout on each sub-layer's output (the paper's residual dropout P_drop; the
            paper has no dropout on the attention weights).
        norm_first: pre-norm instead of post-norm.
        activation: the feed-forward activation (ReLU in the paper; GELU in GPT).
        epsilon: the LayerNormalization epsilon.
        cross_attention: include the encoder-decoder attention sub-layer.
        name: the prefix of every layer name; a unique default when None.
        attention_mask: ``None`` or a boolean ``[B, T, T]`` (or ``[B, 1, T]``) mask of the
            self-attention (True = may attend), combined with the causal mask: the target's
            padding.
        memory_mask: ``None`` or a boolean ``[B, T, S]`` (or ``[B, 1, S]``) mask of the
            cross-attention: the source's padding (Vaswani et al. mask padded source tokens in
            the encoder-decoder attention as in the encoder's self-attention).
    """
    for arg, value in (("num_heads", num_heads), ("key_dim", key_dim), ("mlp_dim", mlp_dim)):
        _check_positive_int(arg, value)
    if not 0.0 <= float(dropout) < 1.0:
        raise ValueError(f"transformer_decoder_block: dropout must be in [0, 1), got {dropout!r}.")
    if len(x.shape) != 3 or x.shape[-1] is None:
        raise ValueError("transformer_decoder_block: x must be [batch, length, width] with a "
                         f"known width, got shape {tuple(x.shape)}.")
    if cross_attention and memory is None:
        raise ValueError("transformer_decoder_block: memory is required with cross_attention.")
    if name is None:
        name = f"transformer_decoder_block_{_block_counter[0]}"
        _block_counter[0] += 1
    width = x.shape[-1]

    self_attention = keras.layers.MultiHeadAttention(num_heads, key_dim,
                                                     name=f"{name}_self_attention")
    h = _sublayer(x, lambda t: self_attention(t, t, attention_mask=attention_mask,
                                              use_causal_mask=True),
                  keras.layers.LayerNormalization(epsilon=epsilon,
                                                  name=f"{name}_self_attention_norm"),
                  dropout, norm_first, f"{name}_self_attention")
    if cross_attention:
        cross = keras.layers.MultiHeadAttention(num_heads, key_dim,
                                                name=f"{name}_cross_attention")
        h = _sublayer(h, lambda t: cross(t, memory, attention_mask=memory_mask),
                      keras.layers.LayerNormalization(epsilon=epsilon,
                                                      name=f"{name}_cross_attention_norm"),
                      dropout, norm_first, f"{name}_cross_attention")
    dense_1 = keras.layers.Dense(mlp_dim, activation=activation, name=f"{name}_mlp_dense_1")
    dense_2 = keras.layers.Dense(width, name=f"{name}_mlp_dense_2")
    return _sublayer(h, lambda t: dense_2(dense_1(t)),
                     keras.layers.LayerNormalization(epsilon=epsilon, name=f"{name}_mlp_norm"),
                     dropout, norm_first, f"{name}_mlp")

"""The Transformer encoder block (Vaswani et al., Attention Is All You Need, NeurIPS 2017),
in its post-norm form (the original Transformer, BERT) and its pre-norm form (ViT: Dosovitskiy
et al., An Image is Worth 16x16 Words, ICLR 2021, eq. 2-3), from Keras core layers only.

Layer names, for a block named ``"encoder_layer_0"``::

    encoder_layer_0_attention_norm   LayerNormalization before (pre-norm) / after attention
    encoder_layer_0_attention        MultiHeadAttention
    encoder_layer_0_attention_dropout
    encoder_layer_0_mlp_norm         LayerNormalization before / after the MLP
    encoder_layer_0_mlp_dense_1      Dense(mlp_dim, activation)
    encoder_layer_0_mlp_dense_2      Dense(width)
    encoder_layer_0_mlp_dropout_1, encoder_layer_0_mlp_dropout_2

The attention layer is called with ``return_attention_scores=True`` so that its per-head
attention weights ``[B, heads, T, T]`` stay reachable from the functional graph (``layer.output
[1]``) for attention maps and rollout; the unused output is pruned from exported graphs.
"""

from __future__ import annotations

import keras

_block_counter = [0]


def _check_positive_int(arg, value):
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"transformer_encoder_block: {arg} must be a positive int, got {value!r}.")


def transformer_encoder_block(
    x,
    num_heads,
    key_dim,
    mlp_dim,
    dropout=0.0,
    norm_first=True,
    activation="gelu",
    attention_mask=None,
    epsilon=1e-6,
    name=None,
    attention_dropout=None,
):
    """One Transformer encoder layer: multi-head self-attention and a two-layer MLP, each in a
    residual connection with layer normalisation.

    Pre-norm (``norm_first=True``, ViT eq. 2-3)::

        z' = MSA(LN(z)) + z;        z = MLP(LN(z')) + z'

    Post-norm (``norm_first=False``, Vaswani et al. 2017 section 3.1, BERT)::

        z' = LN(z + MSA(z));        z = LN(z' + MLP(z'))

    Args:
        x: the token sequence, a symbolic tensor ``[B, T, D]``; the output has the same shape.
        num_heads: the number of attention heads ``h``.
        key_dim: the width of each head's queries and keys (``D / h`` in the papers).
        mlp_dim: the MLP's hidden width (``4 D`` in the papers).
        dropout: the dropout rate after the attention output and after each MLP Dense layer.
        norm_first: True for pre-norm (ViT), False for post-norm (Transformer, BERT).
        activation: the MLP's hidden activation ("gelu" for ViT/BERT, "relu" for the 2017
            Transformer). Keras' "gelu" is the exact erf form, as in ViT and BERT.
        attention_mask: ``None`` or a boolean mask ``[B, T, T]`` (True = may attend), passed to
            MultiHeadAttention.
        epsilon: the LayerNormalization epsilon (1e-6 in ViT, 1e-12 in BERT).
        name: the prefix of every layer name; a unique default when None.
        attention_dropout: dropout on the attention weights; defaults to ``dropout``.
    """
    _check_positive_int("num_heads", num_heads)
    _check_positive_int("key_dim", key_dim)
    _check_positive_int("mlp_dim", mlp_dim)
    if not 0.0 <= float(dropout) < 1.0:
        raise ValueError(f"transformer_encoder_block: dropout must be in [0, 1), got {dropout!r}.")
    if len(x.shape) != 3 or x.shape[-1] is None:
        raise ValueError(
            f"transformer_encoder_block: x must be [batch, length, width] with a known width, "
            f"got shape {tuple(x.shape)}.")
    if name is None:
        name = f"transformer_encoder_block_{_block_counter[0]}"
        _block_counter[0] += 1
    width = x.shape[-1]
    attention_dropout = dropout if attention_dropout is None else attention_dropout

    attention = keras.layers.MultiHeadAttention(
        num_heads=num_heads, key_dim=key_dim, dropout=attention_dropout,
        name=f"{name}_attention")
    attention_norm = keras.layers.LayerNormalization(epsilon=epsilon, name=f"{name}_attention_norm")
    mlp_norm = keras.layers.LayerNormalization(epsilon=epsilon, name=f"{name}_mlp_norm")

    residual = x
    h = attention_norm(x) if norm_first else x
    h, _ = attention(h, h, attention_mask=attention_mask, return_attention_scores=True)
    h = keras.layers.Dropout(dropout, name=f"{name}_attention_dropout")(h)
    h = keras.layers.Add(name=f"{name}_attention_add")([residual, h])
    if not norm_first:
        h = attention_norm(h)

    residual = h
    m = mlp_norm(h) if norm_first else h
    m = keras.layers.Dense(mlp_dim, activation=activation, name=f"{name}_mlp_dense_1")(m)
    m = keras.layers.Dropout(dropout, name=f"{name}_mlp_dropout_1")(m)
    m = keras.layers.Dense(width, name=f"{name}_mlp_dense_2")(m)
    m = keras.layers.Dropout(dropout, name=f"{name}_mlp_dropout_2")(m)
    out = keras.layers.Add(name=f"{name}_mlp_add")([residual, m])
    if not norm_first:
        out = mlp_norm(out)
    return out

"""FusedSelfAttention: multi-head self-attention for serving, its three projections one matmul
(made by keras_zoo.export.fold_transformer from a MultiHeadAttention)."""

import keras

from keras_zoo.layers._fused_linear import fused_linear


@keras.saving.register_keras_serializable(package="keras_zoo")
class FusedSelfAttention(keras.layers.Layer):
    """Multi-head self-attention for inference, with the query, key and value projections as
    one matmul and the ``1 / sqrt(head_dim)`` scale folded into the query projection (Vaswani
    et al. 2017, section 3.2.2). Same function as ``keras.layers.MultiHeadAttention(num_heads,
    head_dim)`` called as ``mha(x, x)`` in inference, given the weights ``simplify_transformers``
    computes from it (``return_attention_scores``: also the attention probabilities
    ``[B, h, T, T]``, as MultiHeadAttention returns them).

    Args:
        num_heads: the number of heads h.
        head_dim: the width d of each head's queries, keys and values.
        output_dim: the width of the output projection.
    """

    def __init__(self, num_heads, head_dim, output_dim, **kwargs):
        super().__init__(**kwargs)
        for arg, value in (("num_heads", num_heads), ("head_dim", head_dim),
                           ("output_dim", output_dim)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"FusedSelfAttention: {arg} must be a positive int, got "
                                 f"{value!r}.")
        self.num_heads, self.head_dim, self.output_dim = num_heads, head_dim, output_dim
        self._softmax = keras.layers.Softmax(axis=-1, dtype=self.dtype_policy)

    def build(self, x_shape, attention_mask_shape=None):
        width = self.num_heads * self.head_dim
        self.qkv_kernel = self.add_weight(name="qkv_kernel", shape=(x_shape[-1], 3 * width))
        self.qkv_bias = self.add_weight(name="qkv_bias", shape=(3 * width,), initializer="zeros")
        self.output_kernel = self.add_weight(name="output_kernel",
                                             shape=(width, self.output_dim))
        self.output_bias = self.add_weight(name="output_bias", shape=(self.output_dim,),
                                           initializer="zeros")

    def call(self, x, attention_mask=None, return_attention_scores=False):
        ops = keras.ops
        length = ops.shape(x)[1]
        qkv = fused_linear(ops.reshape(x, (-1, x.shape[-1])), self.qkv_kernel,
                      self.qkv_bias)  # [B T, 3 h d]
        qkv = ops.reshape(qkv, (-1, length, 3, self.num_heads, self.head_dim))
        qkv = ops.transpose(qkv, (2, 0, 3, 1, 4))  # [3, B, h, T, d]
        query, key, value = qkv[0], qkv[1], qkv[2]
        scores = ops.einsum("bhqd,bhkd->bhqk", query, key)
        if attention_mask is not None:
            # As MultiHeadAttention._masked_softmax: broadcast over the heads.
            attention_mask = ops.cast(attention_mask, "bool")
            for _ in range(4 - len(attention_mask.shape)):
                attention_mask = ops.expand_dims(attention_mask, axis=-3)
        probabilities = self._softmax(scores, mask=attention_mask)
        context = ops.matmul(probabilities, value)  # [B, h, T, d]
        context = ops.reshape(ops.transpose(context, (0, 2, 1, 3)),
                              (-1, self.num_heads * self.head_dim))
        out = ops.reshape(fused_linear(context, self.output_kernel, self.output_bias),
                          (-1, length, self.output_dim))
        return (out, probabilities) if return_attention_scores else out

    def compute_output_shape(self, x_shape, attention_mask_shape=None):
        return (*x_shape[:-1], self.output_dim)

    def compute_output_spec(self, x, attention_mask=None, return_attention_scores=False):
        out = keras.KerasTensor((*x.shape[:-1], self.output_dim), dtype=self.compute_dtype)
        if not return_attention_scores:
            return out
        scores = keras.KerasTensor((x.shape[0], self.num_heads, x.shape[1], x.shape[1]),
                                   dtype=self.compute_dtype)
        return out, scores

    def get_config(self):
        return {**super().get_config(), "num_heads": self.num_heads,
                "head_dim": self.head_dim, "output_dim": self.output_dim}

"""Convolutional projection attention of CvT (Wu, Xiao, Codella, Liu, Dai, Yuan & Zhang, CvT:
Introducing Convolutions to Vision Transformers, ICCV 2021, section 3.2)."""

from __future__ import annotations

import keras
import numpy as np


class _ConvProjection(keras.layers.Layer):
    """One of CvT's Q/K/V projections: depthwise k x k convolution (zero padding (k-1)/2, no
    bias), BatchNorm, flatten, then a linear map ("Conv2d -> BN -> Linear", section 3.2)."""

    def __init__(self, dim_out, kernel_size, stride, use_bias, epsilon, **kwargs):
        super().__init__(**kwargs)
        pad = (kernel_size - 1) // 2
        self.pad = keras.layers.ZeroPadding2D(pad, name="pad")
        self.conv = keras.layers.DepthwiseConv2D(kernel_size, strides=stride, padding="valid",
                                                 use_bias=False, name="conv")
        self.bn = keras.layers.BatchNormalization(momentum=0.9, epsilon=epsilon, name="bn")
        self.linear = keras.layers.Dense(dim_out, use_bias=use_bias, name="linear")

    def build(self, input_shape):
        padded = self.pad.compute_output_shape(input_shape)
        self.pad.build(input_shape)
        self.conv.build(padded)
        conv_shape = self.conv.compute_output_shape(padded)
        self.bn.build(conv_shape)
        self.linear.build((None, None, input_shape[-1]))

    def call(self, x, cls=None, training=False):
        y = self.bn(self.conv(self.pad(x)), training=training)
        y = keras.ops.reshape(y, (-1, y.shape[1] * y.shape[2], y.shape[3]))
        if cls is not None:  # the class token is not convolved: it joins the flattened map
            y = keras.ops.concatenate([cls, y], axis=1)
        return self.linear(y)


@keras.saving.register_keras_serializable(package="keras_zoo")
class ConvolutionalAttention(keras.layers.Layer):
    """CvT's multi-head self-attention with convolutional projections of Q, K and V.

    Called on a token map ``x`` ``[B, H, W, C]`` (or ``[x, cls]`` with a class token
    ``[B, 1, C]``, CvT's last stage). Each of Q, K, V is ``Linear(Flatten(BN(DWConv_kxk(x))))``
    with stride ``stride_q`` (1) for Q and ``stride_kv`` (2, "squeezed" keys and values) for K
    and V; the class token bypasses the convolution and is prepended before the linear map.
    Then ``softmax(Q K^T / sqrt(d)) V`` per head and an output ``Dense(dim_out)``. Returns the
    map ``[B, H/stride_q, W/stride_q, dim_out]`` (and the class token ``[B, 1, dim_out]``).

    The scale is the head width's ``d^-1/2`` of scaled dot-product attention (Vaswani et al.
    2017), which the paper keeps; the authors' code divides by ``sqrt(dim_out)`` instead.

    Args:
        num_heads: the number of heads (dim_out must be divisible by it).
        dim_out: the width of Q, K, V and of the output.
        kernel_size: the depthwise kernel (3).
        stride_q: the stride of the query convolution (1).
        stride_kv: the stride of the key and value convolutions (2).
        qkv_bias: whether the Q/K/V linear maps have a bias (True in CvT-13/21).
        attention_dropout: dropout on the attention weights.
        epsilon: the BatchNormalization epsilon (1e-5).
    """

    def __init__(self, num_heads, dim_out, kernel_size=3, stride_q=1, stride_kv=2,
                 qkv_bias=True, attention_dropout=0.0, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        for arg, value in (("num_heads", num_heads), ("dim_out", dim_out),
                           ("kernel_size", kernel_size), ("stride_q", stride_q),
                           ("stride_kv", stride_kv)):
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"ConvolutionalAttention: {arg} must be a positive int, got "
                                 f"{value!r}.")
        if dim_out % num_heads:
            raise ValueError(f"ConvolutionalAttention: dim_out {dim_out} is not divisible by "
                             f"num_heads {num_heads}.")
        if kernel_size % 2 == 0:
            raise ValueError(f"ConvolutionalAttention: kernel_size must be odd (symmetric "
                             f"padding), got {kernel_size}.")
        self.num_heads = int(num_heads)
        self.dim_out = int(dim_out)
        self.kernel_size = int(kernel_size)
        self.stride_q = int(stride_q)
        self.stride_kv = int(stride_kv)
        self.qkv_bias = bool(qkv_bias)
        self.attention_dropout = float(attention_dropout)
        self.epsilon = float(epsilon)
        args = dict(dim_out=self.dim_out, kernel_size=self.kernel_size, use_bias=self.qkv_bias,
                    epsilon=self.epsilon)
        self.q_projection = _ConvProjection(stride=self.stride_q, name="q_projection", **args)
        self.k_projection = _ConvProjection(stride=self.stride_kv, name="k_projection", **args)
        self.v_projection = _ConvProjection(stride=self.stride_kv, name="v_projection", **args)
        self.proj = keras.layers.Dense(self.dim_out, name="proj")
        self.dropout = keras.layers.Dropout(self.attention_dropout)

    def build(self, input_shape):
        with_cls = isinstance(input_shape, (list, tuple)) and isinstance(
            input_shape[0], (list, tuple))
        map_shape = input_shape[0] if with_cls else input_shape
        if len(map_shape) != 4 or None in map_shape[1:]:
            raise ValueError(f"ConvolutionalAttention: expected a token map [batch, height, "
                             f"width, channels] of known size, got {tuple(map_shape)}.")
        for projection in (self.q_projection, self.k_projection, self.v_projection):
            projection.build(map_shape)
        self.proj.build((None, None, self.dim_out))

    def _heads(self, x):
        depth = self.dim_out // self.num_heads
        x = keras.ops.reshape(x, (-1, x.shape[1], self.num_heads, depth))
        return keras.ops.transpose(x, (0, 2, 1, 3))

    def call(self, inputs, training=False):
        if isinstance(inputs, (list, tuple)):
            x, cls = inputs
        else:
            x, cls = inputs, None
        q = self._heads(self.q_projection(x, cls, training=training))
        k = self._heads(self.k_projection(x, cls, training=training))
        v = self._heads(self.v_projection(x, cls, training=training))
        depth = self.dim_out // self.num_heads
        scores = keras.ops.matmul(q * (depth ** -0.5), keras.ops.transpose(k, (0, 1, 3, 2)))
        weights = self.dropout(keras.ops.softmax(scores, axis=-1), training=training)
        out = keras.ops.transpose(keras.ops.matmul(weights, v), (0, 2, 1, 3))
        out = self.proj(keras.ops.reshape(out, (-1, out.shape[1], self.dim_out)))
        height = (x.shape[1] - 1) // self.stride_q + 1
        width = (x.shape[2] - 1) // self.stride_q + 1
        tokens = 0 if cls is None else 1
        grid = keras.ops.reshape(out[:, tokens:], (-1, height, width, self.dim_out))
        return grid if cls is None else [grid, out[:, :1]]

    def compute_output_shape(self, input_shape):
        with_cls = isinstance(input_shape, (list, tuple)) and isinstance(
            input_shape[0], (list, tuple))
        shape = input_shape[0] if with_cls else input_shape
        grid = (shape[0], (shape[1] - 1) // self.stride_q + 1,
                (shape[2] - 1) // self.stride_q + 1, self.dim_out)
        return [grid, (shape[0], 1, self.dim_out)] if with_cls else grid

    def get_config(self):
        return {**super().get_config(), "num_heads": self.num_heads, "dim_out": self.dim_out,
                "kernel_size": self.kernel_size, "stride_q": self.stride_q,
                "stride_kv": self.stride_kv, "qkv_bias": self.qkv_bias,
                "attention_dropout": self.attention_dropout, "epsilon": self.epsilon}

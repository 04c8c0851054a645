"""Multi-head pooling attention (Fan, Xiong, Mangalam, Li, Yan, Malik & Feichtenhofer,
Multiscale Vision Transformers, ICCV 2021, section 3.1) and the separable spatio-temporal
position embedding of its video models."""

import keras
from keras import ops

from keras_zoo.layers.depthwise_conv_3d import DepthwiseConv3D


def _triple(value):
    return (value,) * 3 if isinstance(value, int) else tuple(int(v) for v in value)


@keras.saving.register_keras_serializable(package="keras_zoo")
class MultiHeadPoolingAttention(keras.layers.Layer):
    """MHPA on a token map ``[B, T, H, W, D]``: queries, keys and values are linear maps of
    the tokens, each pooled over the ``T x H x W`` grid (a channel-wise 3-D convolution per
    head dimension, shared by the heads, then LayerNorm: MViT's conv pooling) with strides
    ``q_strides`` and ``kv_strides``; attention of the pooled queries over the pooled keys, a
    linear output map. The output grid is the queries' ``[B, T/sq_t, H/sq_h, W/sq_w, dim]``.

    Args:
        dim: output channels (heads x head width).
        num_heads: attention heads.
        q_strides, kv_strides: ``(t, h, w)`` pooling strides of the queries and keys/values.
        pool_kernel: ``(t, h, w)`` kernel of a pooling whose stride is not 1 (1x1x1 pooling,
            i.e. none, where the stride is 1).
    """

    def __init__(self, dim, num_heads, q_strides=1, kv_strides=1, pool_kernel=3, **kwargs):
        super().__init__(**kwargs)
        if dim % num_heads:
            raise ValueError(f"MultiHeadPoolingAttention: dim {dim} is not divisible by "
                             f"num_heads {num_heads}.")
        self.dim, self.num_heads = int(dim), int(num_heads)
        self.q_strides, self.kv_strides = _triple(q_strides), _triple(kv_strides)
        self.pool_kernel = _triple(pool_kernel)
        self.qkv = keras.layers.Dense(3 * self.dim, name="qkv")
        self.proj = keras.layers.Dense(self.dim, name="proj")
        strides = {"q": self.q_strides, "k": self.kv_strides, "v": self.kv_strides}
        self.pooled = tuple(k for k in "qkv" if strides[k] != (1, 1, 1))
        self.pool_layers = [DepthwiseConv3D(self.pool_kernel, strides[k], "same",
                                            name=f"pool_{k}") for k in self.pooled]
        self.norm_layers = [keras.layers.LayerNormalization(epsilon=1e-6, name=f"norm_{k}")
                            for k in self.pooled]

    def build(self, input_shape):
        _, t, h, w, _ = input_shape
        self.qkv.build(input_shape)
        hd = self.dim // self.num_heads
        for pool, norm in zip(self.pool_layers, self.norm_layers, strict=True):
            pool.build((None, t, h, w, hd))
            norm.build((None, hd))
        self.proj.build((None, self.dim))

    def _pool(self, x, key, grid):
        """x [B, N, heads, hd] on ``grid`` -> pooled [B * heads, N', hd] and its grid."""
        t, h, w = grid
        hd = self.dim // self.num_heads
        x = ops.reshape(ops.transpose(x, (0, 2, 1, 3)), (-1, t, h, w, hd))
        if key in self.pooled:
            i = self.pooled.index(key)
            x = self.norm_layers[i](self.pool_layers[i](x))
        grid = tuple(x.shape[1:4])
        return ops.reshape(x, (-1, self.num_heads, grid[0] * grid[1] * grid[2], hd)), grid

    def call(self, inputs):
        _, t, h, w, _ = inputs.shape
        hd = self.dim // self.num_heads
        qkv = ops.reshape(self.qkv(inputs), (-1, t * h * w, 3, self.num_heads, hd))
        q, q_grid = self._pool(qkv[:, :, 0], "q", (t, h, w))
        k, _ = self._pool(qkv[:, :, 1], "k", (t, h, w))
        v, _ = self._pool(qkv[:, :, 2], "v", (t, h, w))
        scores = ops.softmax(ops.matmul(q, ops.transpose(k, (0, 1, 3, 2))) * hd ** -0.5,
                             axis=-1)
        x = ops.transpose(ops.matmul(scores, v), (0, 2, 1, 3))
        x = self.proj(ops.reshape(x, (-1, q_grid[0] * q_grid[1] * q_grid[2], self.dim)))
        return ops.reshape(x, (-1, *q_grid, self.dim))

    def compute_output_shape(self, input_shape):
        b, *dims, _ = input_shape
        return (b, *[-(-n // s) for n, s in zip(dims, self.q_strides, strict=True)], self.dim)

    def get_config(self):
        return {**super().get_config(), "dim": self.dim, "num_heads": self.num_heads,
                "q_strides": self.q_strides, "kv_strides": self.kv_strides,
                "pool_kernel": self.pool_kernel}


@keras.saving.register_keras_serializable(package="keras_zoo")
class SpatioTemporalPositionEmbedding(keras.layers.Layer):
    """Adds a learned ``[T, 1, 1, D]`` temporal and ``[1, H, W, D]`` spatial embedding to a
    token map ``[B, T, H, W, D]`` (MViT's separable position embedding: T + HW rows instead of
    T x H x W).

    Args:
        initializer: of both tables (truncated normal, stddev 0.02).
    """

    def __init__(self, initializer=None, **kwargs):
        super().__init__(**kwargs)
        self.initializer = keras.initializers.get(
            initializer or keras.initializers.TruncatedNormal(stddev=0.02))

    def build(self, input_shape):
        _, t, h, w, d = input_shape
        self.temporal = self.add_weight(name="temporal", shape=(t, 1, 1, d),
                                        initializer=self.initializer)
        self.spatial = self.add_weight(name="spatial", shape=(1, h, w, d),
                                       initializer=self.initializer)

    def call(self, inputs):
        return inputs + ops.cast(self.temporal + self.spatial, inputs.dtype)[None]

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(),
                "initializer": keras.initializers.serialize(self.initializer)}

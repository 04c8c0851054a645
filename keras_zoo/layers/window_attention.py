"""Window multi-head self-attention with relative position bias, plain (W-MSA) or with a cyclic
shift (SW-MSA), of the Swin Transformer (Liu et al., Swin Transformer: Hierarchical Vision
Transformer using Shifted Windows, ICCV 2021, sections 3.2 and 3.3).

Also public: ``window_partition``, ``window_reverse`` (tensor functions) and
``shifted_window_mask`` (the NumPy attention mask of the shifted configuration).
"""

from __future__ import annotations

import keras
import numpy as np

__all__ = ["shifted_window_mask", "window_partition", "window_reverse"]

#: The additive mask value between tokens of different sub-windows (as in the paper's code):
#: after the softmax their weight is below e^-100.
MASKED = -100.0


def window_partition(x, window_size):
    """``[B, H, W, C]`` -> ``[B * nW, M * M, C]``: non-overlapping M x M windows, in row-major
    order of windows, each window's tokens in row-major order. 5-D at most (TFLite-friendly)."""
    _, height, width, channels = x.shape
    m = window_size
    x = keras.ops.reshape(x, (-1, m, width // m, m, channels))  # [B * H/M, M, W/M, M, C]
    x = keras.ops.transpose(x, (0, 2, 1, 3, 4))                # [B * H/M, W/M, M, M, C]
    return keras.ops.reshape(x, (-1, m * m, channels))


def window_reverse(windows, window_size, height, width):
    """The inverse of ``window_partition``: ``[B * nW, M * M, C]`` -> ``[B, H, W, C]``."""
    m = window_size
    channels = windows.shape[-1]
    x = keras.ops.reshape(windows, (-1, width // m, m, m, channels))
    x = keras.ops.transpose(x, (0, 2, 1, 3, 4))                # [B * H/M, M, W/M, M, C]
    return keras.ops.reshape(x, (-1, height, width, channels))


def _roll(x, shift, axis):
    # roll(x, shift) as two static slices and a concatenation: TFLite has no builtin ROLL.
    size = x.shape[axis]
    shift %= size
    if shift == 0:
        return x
    index = [slice(None)] * len(x.shape)
    index[axis] = slice(size - shift, size)
    tail = x[tuple(index)]
    index[axis] = slice(0, size - shift)
    return keras.ops.concatenate([tail, x[tuple(index)]], axis=axis)


def cyclic_shift(x, shift):
    """Rolls ``[B, H, W, C]`` by ``shift`` rows and columns (``torch.roll`` semantics)."""
    return _roll(_roll(x, shift, 1), shift, 2)


def shifted_window_mask(height, width, window_size, shift_size) -> np.ndarray:
    """The SW-MSA attention mask ``[nW, M*M, M*M]``: 0 where two tokens of a window come from
    the same region of the cyclically shifted map, ``MASKED`` (-100) where they do not.

    After the shift by ``-shift_size``, the last window row/column holds tokens from up to
    three regions, ``[0, H-M)``, ``[H-M, H-s)``, ``[H-s, H)`` per axis (Swin section 3.2,
    "efficient batch computation for shifted configuration").
    """
    for arg, value in (("height", height), ("width", width)):
        if value % window_size:
            raise ValueError(f"shifted_window_mask: {arg} {value} is not divisible by the window "
                             f"size {window_size}.")
    if not 0 < shift_size < window_size:
        raise ValueError(f"shifted_window_mask: shift_size must be in (0, {window_size}), got "
                         f"{shift_size}.")
    regions = np.zeros((height, width), dtype=np.int64)
    bounds = lambda n: (0, n - window_size, n - shift_size, n)  # noqa: E731
    hb, wb = bounds(height), bounds(width)
    label = 0
    for i in range(3):
        for j in range(3):
            regions[hb[i]:hb[i + 1], wb[j]:wb[j + 1]] = label
            label += 1
    m = window_size
    windows = regions.reshape(height // m, m, width // m, m).transpose(0, 2, 1, 3)
    windows = windows.reshape(-1, m * m)
    same = windows[:, :, None] == windows[:, None, :]
    return np.where(same, 0.0, MASKED).astype(np.float32)


def relative_position_index(window_size) -> np.ndarray:
    """``[M*M, M*M]`` indices into the ``(2M-1)^2`` bias table: ``(dy + M-1) (2M-1) + dx + M-1``
    for the offset (dy, dx) between two tokens of a window (Swin section 3.2, eq. 4)."""
    m = window_size
    rows, cols = np.meshgrid(np.arange(m), np.arange(m), indexing="ij")
    coords = np.stack([rows.ravel(), cols.ravel()])              # [2, N]
    offsets = coords[:, :, None] - coords[:, None, :] + (m - 1)  # [2, N, N]
    return (offsets[0] * (2 * m - 1) + offsets[1]).astype(np.int32)


@keras.saving.register_keras_serializable(package="keras_zoo")
class WindowAttention(keras.layers.Layer):
    """Swin's (shifted) window attention on a feature map ``[B, H, W, C]`` -> ``[B, H, W, C]``.

    Within each non-overlapping M x M window (after a cyclic shift by ``-shift_size`` rows and
    columns for SW-MSA), multi-head self-attention with a relative position bias (eq. 4):
    ``Attention(Q, K, V) = SoftMax(Q K^T / sqrt(d) + B + mask) V``, ``B`` gathered from a
    learnable ``(2M-1)^2 x heads`` table, ``mask`` the shifted-window mask (0 / -100). Q, K, V
    come from one ``Dense(3C)`` (layout ``[3, heads, d]``), the heads' outputs from
    ``Dense(C)``; the windows are put back and the shift undone.

    Args:
        num_heads: the number of heads (C must be divisible by it).
        window_size: the window side M (it must divide H and W).
        shift_size: 0 for W-MSA, ``M // 2`` for SW-MSA.
        qkv_bias: whether the Q, K, V projection has a bias (True in Swin).
        attention_dropout: dropout on the attention weights.
    """

    def __init__(self, num_heads, window_size, shift_size=0, qkv_bias=True,
                 attention_dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        for arg, value in (("num_heads", num_heads), ("window_size", window_size)):
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"WindowAttention: {arg} must be a positive int, got {value!r}.")
        if not isinstance(shift_size, (int, np.integer)) or not 0 <= shift_size < window_size:
            raise ValueError(f"WindowAttention: shift_size must be an int in [0, {window_size}), "
                             f"got {shift_size!r}.")
        self.num_heads = int(num_heads)
        self.window_size = int(window_size)
        self.shift_size = int(shift_size)
        self.qkv_bias = bool(qkv_bias)
        self.attention_dropout = float(attention_dropout)
        # Created here (Keras 3 saving), sized in build(): their width is the input's channels.
        self.qkv = keras.layers.Dense(1, use_bias=self.qkv_bias, name="qkv")
        self.proj = keras.layers.Dense(1, name="proj")
        self.dropout = keras.layers.Dropout(self.attention_dropout)

    def build(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError(f"WindowAttention: expected [batch, height, width, channels], got "
                             f"{tuple(input_shape)}.")
        _, height, width, channels = input_shape
        for axis, size in (("height", height), ("width", width)):
            if size is None or size % self.window_size:
                raise ValueError(
                    f"WindowAttention: the feature map {axis} {size} is not divisible by the "
                    f"window size {self.window_size}; pick an image size such that every stage's "
                    "feature map is a multiple of the window size.")
        if channels % self.num_heads:
            raise ValueError(f"WindowAttention: channels {channels} are not divisible by "
                             f"num_heads {self.num_heads}.")
        self.height, self.width, self.channels = height, width, channels
        self.qkv.units = 3 * channels
        self.proj.units = channels
        tokens = self.window_size ** 2
        self.qkv.build((None, tokens, channels))
        self.proj.build((None, tokens, channels))
        self.relative_position_bias_table = self.add_weight(
            shape=((2 * self.window_size - 1) ** 2, self.num_heads),
            initializer=keras.initializers.TruncatedNormal(stddev=0.02),
            name="relative_position_bias_table")
        self._index = relative_position_index(self.window_size).reshape(-1)
        if self.shift_size:
            mask = shifted_window_mask(height, width, self.window_size, self.shift_size)
            # Tiled over heads so that the mask adds to a 4-D view of the scores.
            self._mask = np.repeat(mask[:, None], self.num_heads, axis=1).reshape(
                mask.shape[0], self.num_heads * tokens, tokens)

    def relative_position_bias(self):
        """The bias ``B`` of eq. 4, ``[heads, M*M, M*M]``."""
        tokens = self.window_size ** 2
        bias = keras.ops.take(self.relative_position_bias_table, self._index, axis=0)
        bias = keras.ops.reshape(bias, (tokens, tokens, self.num_heads))
        return keras.ops.transpose(bias, (2, 0, 1))

    def call(self, inputs, training=False):
        m, s, heads = self.window_size, self.shift_size, self.num_heads
        tokens, depth = m * m, self.channels // heads
        x = cyclic_shift(inputs, -s) if s else inputs
        windows = window_partition(x, m)                            # [B', N, C]
        qkv = keras.ops.reshape(self.qkv(windows), (-1, tokens, 3 * heads, depth))
        qkv = keras.ops.transpose(qkv, (0, 2, 1, 3))                # [B', 3 heads, N, d]
        q, k, v = qkv[:, :heads], qkv[:, heads:2 * heads], qkv[:, 2 * heads:]
        scores = keras.ops.matmul(q * (depth ** -0.5), keras.ops.transpose(k, (0, 1, 3, 2)))
        scores = scores + keras.ops.cast(self.relative_position_bias(), scores.dtype)[None]
        if s:
            windows_per_image = self._mask.shape[0]
            scores = keras.ops.reshape(scores, (-1, windows_per_image, heads * tokens, tokens))
            scores = scores + keras.ops.cast(self._mask, scores.dtype)[None]
            scores = keras.ops.reshape(scores, (-1, heads, tokens, tokens))
        weights = self.dropout(keras.ops.softmax(scores, axis=-1), training=training)
        out = keras.ops.transpose(keras.ops.matmul(weights, v), (0, 2, 1, 3))
        out = self.proj(keras.ops.reshape(out, (-1, tokens, self.channels)))
        x = window_reverse(out, m, self.height, self.width)
        return cyclic_shift(x, s) if s else x

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "num_heads": self.num_heads,
                "window_size": self.window_size, "shift_size": self.shift_size,
                "qkv_bias": self.qkv_bias, "attention_dropout": self.attention_dropout}

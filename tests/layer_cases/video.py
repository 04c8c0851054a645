"""Cases for the video layers: 3-D max pooling as two 2-D poolings (exact); the channel-wise
3-D convolution against a direct NumPy sum; ConvGRU and the peephole LSTM against NumPy steps
of their equations; MViT's pooling attention and position embedding."""

import itertools

import numpy as np

from keras_zoo.layers import (
    ConvGRU2D,
    DepthwiseConv3D,
    MultiHeadPoolingAttention,
    PaddedConv3D,
    PeepholeLSTM,
    PhotometricFlowLoss,
    SegmentalConsensus,
    SeparableAveragePooling3D,
    SeparableMaxPooling3D,
    SpatioTemporalPositionEmbedding,
    WindowedAttentionLSTM,
)
from tests.layer_harness import LayerCase


def pool_3d_reference(layer, inputs, reduce):
    """``reduce`` over each ``(t, h, w)`` window's valid entries, padding as TensorFlow's SAME
    (the extra pad at the end)."""
    (x,) = inputs
    _, *dims, c = x.shape
    out_dims, starts = [], []
    for n, k, s in zip(dims, layer.pool_size, layer.strides, strict=True):
        out = -(-n // s) if layer.padding == "same" else (n - k) // s + 1
        pad = max((out - 1) * s + k - n, 0) if layer.padding == "same" else 0
        out_dims.append(out)
        starts.append([i * s - pad // 2 for i in range(out)])
    result = np.empty((x.shape[0], *out_dims, c))
    for idx in itertools.product(*(range(o) for o in out_dims)):
        window = tuple(slice(max(st[i], 0), min(st[i] + k, n))
                       for st, i, k, n in zip(starts, idx, layer.pool_size, dims, strict=True))
        result[(slice(None), *idx)] = reduce(x[(slice(None), *window)], axis=(1, 2, 3))
    return result


CASES = [
    LayerCase(
        id=f"separable_max_pooling_3d_{name}",
        layer_class=SeparableMaxPooling3D,
        make=lambda p=pool, s=strides, pad=padding: SeparableMaxPooling3D(p, s, pad),
        inputs=lambda rng: [rng.normal(size=(2, 5, 7, 6, 3)).astype(np.float32)],
        reference=lambda layer, inputs: pool_3d_reference(layer, inputs, np.max),
    )
    for name, pool, strides, padding in (("valid", (2, 2, 2), (2, 2, 2), "valid"),
                                         ("spatial_only", (1, 2, 2), (1, 2, 2), "valid"),
                                         ("same_overlapping", (3, 3, 3), (2, 2, 2), "same"))
]
CASES += [
    LayerCase(
        id=f"separable_average_pooling_3d_{name}",
        layer_class=SeparableAveragePooling3D,
        make=lambda p=pool, s=strides, pad=padding: SeparableAveragePooling3D(p, s, pad),
        inputs=lambda rng: [rng.normal(size=(2, 5, 7, 6, 3)).astype(np.float32)],
        reference=lambda layer, inputs: pool_3d_reference(layer, inputs, np.mean),
    )
    for name, pool, strides, padding in (("valid", (2, 2, 2), (2, 2, 2), "valid"),
                                         ("same_overlapping", (3, 3, 3), (2, 1, 2), "same"))
]


def _conv3d_windows(layer, x, window_sum, out_channels):
    """A 3-D convolution's output, window by window: ``window_sum(window)`` ``[B, t, h, w, C]``
    -> ``[B, out_channels]`` for each output position, padding as TensorFlow's SAME (the extra
    pad at the end) or none for "valid"; bias added."""
    _, *dims, _ = x.shape
    pads, outs = [], []
    for n, k, s in zip(dims, layer.kernel_size, layer.strides, strict=True):
        out = -(-n // s) if layer.padding == "same" else (n - k) // s + 1
        pad = max((out - 1) * s + k - n, 0) if layer.padding == "same" else 0
        pads.append((pad // 2, pad - pad // 2))
        outs.append(out)
    xp = np.pad(x.astype(np.float64), ((0, 0), *pads, (0, 0)))
    result = np.zeros((x.shape[0], *outs, out_channels))
    for idx in itertools.product(*(range(o) for o in outs)):
        window = tuple(slice(i * s, i * s + k)
                       for i, s, k in zip(idx, layer.strides, layer.kernel_size, strict=True))
        result[(slice(None), *idx)] = window_sum(xp[(slice(None), *window)])
    if layer.use_bias:
        result += np.asarray(layer.bias)
    return result


def depthwise_conv3d_reference(layer, inputs):
    """out[b, i, j, l, c] = sum over the window of x * kernel[..., c, 0]."""
    (x,) = inputs
    kernel = np.asarray(layer.kernel)[..., 0]
    return _conv3d_windows(layer, x, lambda w: (w * kernel).sum(axis=(1, 2, 3)), x.shape[-1])


CASES += [
    LayerCase(
        id=f"depthwise_conv_3d_{name}",
        layer_class=DepthwiseConv3D,
        make=lambda k=kernel, s=strides, pad=padding, b=bias: DepthwiseConv3D(
            k, s, pad, use_bias=b, kernel_initializer="random_normal"),
        inputs=lambda rng: [rng.normal(size=(2, 5, 7, 6, 3)).astype(np.float32)],
        reference=depthwise_conv3d_reference,
        atol=1e-4,
    )
    for name, kernel, strides, padding, bias in (
        ("same", (3, 3, 3), (1, 1, 1), "same", False),
        ("temporal_5_strided", (5, 1, 1), (2, 1, 1), "same", True),
        ("spatial_strided", (3, 3, 3), (1, 2, 2), "same", False),
        ("valid", (2, 3, 3), (1, 1, 1), "valid", True))
]


def padded_conv3d_reference(layer, inputs):
    """A full 3-D convolution with TensorFlow's SAME padding: out[b, i, j, l, o] = sum over
    the window and input channels of x * kernel[..., o]."""
    (x,) = inputs
    kernel = np.asarray(layer.kernel, np.float64)
    return _conv3d_windows(layer, x, lambda w: np.einsum("bthwc,thwco->bo", w, kernel),
                           kernel.shape[-1])


# I3D's first convolution (7 x 7 x 7, stride 2) on 7 frames: the shape whose SAME-padded
# filter gradient TensorFlow's CPU kernel gets wrong (the layer's reason to exist); the
# battery's gradient check then runs through the explicit padding.
CASES += [
    LayerCase(
        id=f"padded_conv_3d_{name}",
        layer_class=PaddedConv3D,
        make=lambda k=kernel, s=strides, b=bias: PaddedConv3D(
            2, k, s, use_bias=b, kernel_initializer="random_normal",
            bias_initializer="random_normal"),
        inputs=lambda rng, shape=shape: [rng.normal(size=shape).astype(np.float32)],
        reference=padded_conv3d_reference,
        atol=1e-4,
    )
    for name, kernel, strides, bias, shape in (
        ("i3d_stem_7_frames", (7, 7, 7), (2, 2, 2), False, (2, 7, 9, 9, 2)),
        ("anisotropic", (3, 5, 1), (1, 2, 3), True, (2, 4, 7, 6, 3)))
]

def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _conv_same(x, kernel):
    """'same' 2-D convolution (odd kernels), x [B, H, W, Cin], kernel [kh, kw, Cin, Cout]."""
    kh, kw = kernel.shape[:2]
    xp = np.pad(x, ((0, 0), (kh // 2, kh // 2), (kw // 2, kw // 2), (0, 0)))
    h, w = x.shape[1:3]
    return sum(xp[:, i:i + h, j:j + w] @ kernel[i, j] for i in range(kh) for j in range(kw))


def conv_gru_reference(layer, inputs):
    (x,) = inputs
    x = x.astype(np.float64)
    w, u, b = (np.asarray(v, np.float64) for v in (layer.kernel, layer.recurrent_kernel,
                                                    layer.bias))
    f = layer.filters
    h = np.zeros((*x.shape[:1], *x.shape[2:4], f))
    out = []
    for t in range(x.shape[1]):
        a = _conv_same(x[:, t], w) + b
        z = _sigmoid(a[..., :f] + _conv_same(h, u[..., :f]))
        r = _sigmoid(a[..., f:2 * f] + _conv_same(h, u[..., f:2 * f]))
        cand = np.tanh(a[..., 2 * f:] + _conv_same(r * h, u[..., 2 * f:]))
        h = (1 - z) * h + z * cand
        out.append(h)
    return np.stack(out, 1) if layer.return_sequences else h


def peephole_lstm_reference(layer, inputs):
    (x,) = inputs
    x = x.astype(np.float64)
    wx, wh, b, p = (np.asarray(v, np.float64) for v in (layer.kernel, layer.recurrent_kernel,
                                                         layer.bias, layer.peephole))
    n = layer.units
    h = np.zeros((x.shape[0], n))
    c = np.zeros_like(h)
    out = []
    for t in range(x.shape[1]):
        z = x[:, t] @ wx + h @ wh + b
        i = _sigmoid(z[:, :n] + p[0] * c)
        f = _sigmoid(z[:, n:2 * n] + p[1] * c)
        c = f * c + i * np.tanh(z[:, 2 * n:3 * n])
        o = _sigmoid(z[:, 3 * n:] + p[2] * c)
        h = o * np.tanh(c)
        out.append(h)
    return np.stack(out, 1) if layer.return_sequences else h


CASES += [
    LayerCase(
        id="conv_gru_2d_sequences",
        layer_class=ConvGRU2D,
        make=lambda: ConvGRU2D(3, 3, return_sequences=True),
        inputs=lambda rng: [rng.normal(size=(2, 3, 5, 4, 2)).astype(np.float32)],
        reference=conv_gru_reference,
    ),
    LayerCase(
        id="conv_gru_2d_last",
        layer_class=ConvGRU2D,
        make=lambda: ConvGRU2D(2, (3, 1)),
        inputs=lambda rng: [rng.normal(size=(2, 4, 5, 4, 3)).astype(np.float32)],
        reference=conv_gru_reference,
    ),
    LayerCase(
        id="peephole_lstm_sequences",
        layer_class=PeepholeLSTM,
        make=lambda: PeepholeLSTM(5, return_sequences=True, peephole_initializer="random_normal"),
        inputs=lambda rng: [rng.normal(size=(2, 4, 3)).astype(np.float32)],
        reference=peephole_lstm_reference,
    ),
    LayerCase(
        id="peephole_lstm_last",
        layer_class=PeepholeLSTM,
        make=lambda: PeepholeLSTM(3, peephole_initializer="random_normal"),
        inputs=lambda rng: [rng.normal(size=(3, 6, 2)).astype(np.float32)],
        reference=peephole_lstm_reference,
    ),
]


class _Kernel:
    """What depthwise_conv3d_reference reads from a layer, for a pooling sublayer."""

    def __init__(self, layer):
        self.kernel, self.kernel_size = layer.kernel, layer.kernel_size
        self.strides, self.padding, self.use_bias = layer.strides, layer.padding, False


def pooling_attention_reference(layer, inputs):
    (x,) = inputs
    x = x.astype(np.float64)
    b, t, h, w, _ = x.shape
    heads, hd = layer.num_heads, layer.dim // layer.num_heads
    wq, bq = (np.asarray(v, np.float64) for v in layer.qkv.weights)
    qkv = (x @ wq + bq).reshape(b, t, h, w, 3, heads, hd)
    pooled = []
    for n, key in enumerate("qkv"):
        z = np.moveaxis(qkv[..., n, :, :], 4, 1).reshape(b * heads, t, h, w, hd)
        if key in layer.pooled:
            i = layer.pooled.index(key)
            z = depthwise_conv3d_reference(_Kernel(layer.pool_layers[i]), [z])
            gamma, beta = (np.asarray(v, np.float64) for v in layer.norm_layers[i].weights)
            z = (z - z.mean(-1, keepdims=True)) / np.sqrt(z.var(-1, keepdims=True) + 1e-6)
            z = z * gamma + beta
        pooled.append(z)
    grid = pooled[0].shape[1:4]
    q, k, v = (z.reshape(b, heads, -1, hd) for z in pooled)
    s = q @ np.swapaxes(k, -1, -2) / np.sqrt(hd)
    a = np.exp(s - s.max(-1, keepdims=True))
    a /= a.sum(-1, keepdims=True)
    o = np.swapaxes(a @ v, 1, 2).reshape(b, -1, heads * hd)
    wp, bp = (np.asarray(v, np.float64) for v in layer.proj.weights)
    return (o @ wp + bp).reshape(b, *grid, layer.dim)


CASES += [
    LayerCase(
        id=f"multi_head_pooling_attention_{name}",
        layer_class=MultiHeadPoolingAttention,
        make=lambda q=q, kv=kv: MultiHeadPoolingAttention(6, 2, q, kv),
        inputs=lambda rng: [rng.normal(size=(2, 3, 4, 4, 5)).astype(np.float32)],
        reference=pooling_attention_reference,
        atol=1e-4,
    )
    for name, q, kv in (("no_pooling", 1, 1), ("kv_pooled", 1, (1, 2, 2)),
                        ("q_and_kv_pooled", (1, 2, 2), (2, 2, 2)))
] + [
    LayerCase(
        id="spatio_temporal_position_embedding",
        layer_class=SpatioTemporalPositionEmbedding,
        make=lambda: SpatioTemporalPositionEmbedding(initializer="random_normal"),
        inputs=lambda rng: [rng.normal(size=(2, 3, 4, 5, 6)).astype(np.float32)],
        reference=lambda layer, inputs: inputs[0] + np.asarray(layer.temporal)
        + np.asarray(layer.spatial),
    ),
]

CASES += [
    LayerCase(
        id="photometric_flow_loss_passes_the_flow_through",
        layer_class=PhotometricFlowLoss,
        make=lambda: PhotometricFlowLoss(0.5, 0.2),
        inputs=lambda rng: [rng.random((2, 3, 6, 5, 3)).astype(np.float32),
                            rng.normal(size=(2, 6, 5, 4)).astype(np.float32)],
        reference=lambda layer, inputs: inputs[1],
    ),
]


def windowed_attention_lstm_reference(layer, inputs):
    (x,) = inputs
    x = x.astype(np.float64)
    wa, ua, ba, va, k, r, b = (np.asarray(w, np.float64) for w in (
        layer.attention_input, layer.attention_state, layer.attention_bias,
        layer.attention_score, layer.kernel, layer.recurrent_kernel, layer.bias))
    n = layer.units
    h = np.zeros((x.shape[0], n))
    c = np.zeros_like(h)
    out = []
    for t in range(x.shape[1]):
        window = x[:, max(0, t - layer.window + 1):t + 1]
        e = np.tanh(window @ wa + (h @ ua + ba)[:, None]) @ va  # [B, w, 1]
        a = np.exp(e - e.max(1, keepdims=True))
        a /= a.sum(1, keepdims=True)
        context = (a * window).sum(1)
        z = context @ k + h @ r + b
        i, f, o, g = (z[:, j * n:(j + 1) * n] for j in range(4))
        c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
        h = _sigmoid(o) * np.tanh(c)
        out.append(h)
    return np.stack(out, 1) if layer.return_sequences else h


CASES += [
    LayerCase(
        id=f"windowed_attention_lstm_{name}",
        layer_class=WindowedAttentionLSTM,
        make=lambda w=window, s=seq: WindowedAttentionLSTM(4, w, return_sequences=s),
        inputs=lambda rng: [rng.normal(size=(2, 6, 3)).astype(np.float32)],
        reference=windowed_attention_lstm_reference,
    )
    for name, window, seq in (("window3_sequences", 3, True), ("window1_last", 1, False))
]


# TSN's consensus G (eq. 1): the mean of the K segments' class scores.
CASES += [
    LayerCase(
        id="segmental_consensus",
        layer_class=SegmentalConsensus,
        make=lambda: SegmentalConsensus(3, snippet_length=2),
        inputs=lambda rng: [rng.normal(size=(2, 3, 5)).astype(np.float32)],
        reference=lambda layer, inputs: inputs[0].mean(axis=1),
    )
]

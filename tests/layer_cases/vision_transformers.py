"""Cases for the Swin and CvT layers: (shifted) window attention with relative position bias,
patch merging, CvT's convolutional projection attention.

The references loop over windows, heads and tokens as the papers describe them. The shifted
window mask is written from its meaning (two tokens of a shifted window may attend to each
other iff they were neighbours before the cyclic shift, i.e. both or neither wrapped around on
each axis), not from the region-labelling trick the layer uses.
"""

import numpy as np

from keras_zoo.layers import ClassToken, ConvolutionalAttention, PatchMerging, WindowAttention
from tests.layer_harness import LayerCase


def _softmax(a):
    e = np.exp(a - a.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _layer_norm(x, gamma, beta, eps):
    mu = x.mean(-1, keepdims=True)
    var = x.var(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * gamma + beta


def window_attention_reference(layer, inputs):
    # Swin eq. 4: SoftMax(Q K^T / sqrt(d) + B) V in each M x M window of the map rolled by -s.
    (x,) = inputs
    b, height, width, c = x.shape
    m, s, heads = layer.window_size, layer.shift_size, layer.num_heads
    d = c // heads
    w_qkv, b_qkv = np.asarray(layer.qkv.kernel), np.asarray(layer.qkv.bias)
    w_o, b_o = np.asarray(layer.proj.kernel), np.asarray(layer.proj.bias)
    table = np.asarray(layer.relative_position_bias_table)
    rolled = np.roll(x, (-s, -s), axis=(1, 2))
    out = np.zeros_like(rolled)
    for n in range(b):
        for wr in range(height // m):
            for wc in range(width // m):
                pos = [(wr * m + i, wc * m + j) for i in range(m) for j in range(m)]
                tokens = np.stack([rolled[n, r, q] for r, q in pos])
                qkv = tokens @ w_qkv + b_qkv
                heads_out = []
                for h in range(heads):
                    qh = qkv[:, h * d:(h + 1) * d]
                    kh = qkv[:, c + h * d:c + (h + 1) * d]
                    vh = qkv[:, 2 * c + h * d:2 * c + (h + 1) * d]
                    scores = qh @ kh.T / np.sqrt(d)
                    for i, (ri, ci) in enumerate(pos):
                        for j, (rj, cj) in enumerate(pos):
                            dy, dx = ri - rj, ci - cj
                            scores[i, j] += table[(dy + m - 1) * (2 * m - 1) + dx + m - 1, h]
                            if s and ((ri >= height - s) != (rj >= height - s)
                                      or (ci >= width - s) != (cj >= width - s)):
                                scores[i, j] += -100.0
                    heads_out.append(_softmax(scores) @ vh)
                y = np.concatenate(heads_out, axis=-1) @ w_o + b_o
                for t, (r, q) in enumerate(pos):
                    out[n, r, q] = y[t]
    return np.roll(out, (s, s), axis=(1, 2))


def patch_merging_reference(layer, inputs):
    (x,) = inputs
    b, height, width, c = x.shape
    gamma, beta = np.asarray(layer.norm.gamma), np.asarray(layer.norm.beta)
    w = np.asarray(layer.reduction.kernel)
    out = np.zeros((b, height // 2, width // 2, 2 * c))
    for i in range(height // 2):
        for j in range(width // 2):
            merged = np.concatenate([x[:, 2 * i, 2 * j], x[:, 2 * i + 1, 2 * j],
                                     x[:, 2 * i, 2 * j + 1], x[:, 2 * i + 1, 2 * j + 1]], -1)
            out[:, i, j] = _layer_norm(merged, gamma, beta, layer.epsilon) @ w
    return out


def _depthwise_bn(x, kernel, bn, stride, eps):
    # Zero padding (k-1)/2 on each side, depthwise k x k convolution without bias, stride s, then
    # batch normalisation with the moving statistics (inference).
    gamma, beta, mean, var = bn
    k = kernel.shape[0]
    p = (k - 1) // 2
    b, height, width, c = x.shape
    padded = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
    oh, ow = (height + 2 * p - k) // stride + 1, (width + 2 * p - k) // stride + 1
    out = np.zeros((b, oh, ow, c))
    for i in range(oh):
        for j in range(ow):
            window = padded[:, i * stride:i * stride + k, j * stride:j * stride + k, :]
            out[:, i, j] = np.einsum("bhwc,hwc->bc", window, kernel[:, :, :, 0])
    return (out - mean) / np.sqrt(var + eps) * gamma + beta


def conv_attention_reference(layer, inputs):
    # CvT section 3.2: Q/K/V = Flatten(BN(DepthwiseConv(reshape(tokens), stride))) W_{q/k/v};
    # the class token skips the convolution and joins each projection; then multi-head attention.
    x = inputs[0]
    cls = inputs[1] if len(inputs) > 1 else None
    b, height, width, c = x.shape
    heads = layer.num_heads
    d = layer.dim_out // heads

    def project(proj, stride):
        bn = proj.bn
        stats = [np.asarray(v) for v in (bn.gamma, bn.beta, bn.moving_mean, bn.moving_variance)]
        conv = _depthwise_bn(x, np.asarray(proj.conv.kernel), stats, stride, bn.epsilon)
        seq = conv.reshape(b, -1, c)
        if cls is not None:
            seq = np.concatenate([cls, seq], axis=1)
        return seq @ np.asarray(proj.linear.kernel) + np.asarray(proj.linear.bias)

    q = project(layer.q_projection, layer.stride_q)
    k = project(layer.k_projection, layer.stride_kv)
    v = project(layer.v_projection, layer.stride_kv)
    outs = []
    for h in range(heads):
        sl = slice(h * d, (h + 1) * d)
        outs.append(_softmax(q[..., sl] @ np.swapaxes(k[..., sl], 1, 2) / np.sqrt(d)) @ v[..., sl])
    y = np.concatenate(outs, -1) @ np.asarray(layer.proj.kernel) + np.asarray(layer.proj.bias)
    tokens = 0 if cls is None else 1
    grid = y[:, tokens:].reshape(b, height, width, layer.dim_out)
    return grid if cls is None else [grid, y[:, :1]]


def _randomize_bn(layer):
    # Non-trivial moving statistics, so that the reference checks the normalisation too.
    rng = np.random.default_rng(1)
    for proj in (layer.q_projection, layer.k_projection, layer.v_projection):
        bn = proj.bn
        bn.moving_mean.assign(rng.normal(size=bn.moving_mean.shape).astype(np.float32) * 0.1)
        bn.moving_variance.assign(rng.uniform(0.5, 1.5, size=bn.moving_variance.shape)
                                  .astype(np.float32))
    return layer


def _conv_attention(shapes, **kwargs):
    layer = ConvolutionalAttention(**kwargs)
    layer.build(shapes if len(shapes) > 1 else shapes[0])
    return _randomize_bn(layer)


CASES = [
    LayerCase(
        id="window_attention_w_msa",
        layer_class=WindowAttention,
        make=lambda: WindowAttention(num_heads=2, window_size=3, shift_size=0),
        inputs=lambda rng: [rng.normal(size=(2, 6, 9, 8)).astype(np.float32)],
        reference=window_attention_reference,
        atol=2e-5,
    ),
    LayerCase(
        id="window_attention_sw_msa",
        layer_class=WindowAttention,
        make=lambda: WindowAttention(num_heads=2, window_size=4, shift_size=2),
        inputs=lambda rng: [rng.normal(size=(2, 8, 8, 6)).astype(np.float32)],
        reference=window_attention_reference,
        atol=2e-5,
    ),
    LayerCase(
        id="window_attention_sw_msa_shift1_rectangular",
        layer_class=WindowAttention,
        make=lambda: WindowAttention(num_heads=1, window_size=3, shift_size=1),
        inputs=lambda rng: [rng.normal(size=(1, 6, 9, 4)).astype(np.float32)],
        reference=window_attention_reference,
        atol=2e-5,
    ),
    LayerCase(
        id="patch_merging",
        layer_class=PatchMerging,
        make=lambda: PatchMerging(),
        inputs=lambda rng: [rng.normal(size=(2, 4, 6, 3)).astype(np.float32)],
        reference=patch_merging_reference,
    ),
    LayerCase(
        id="class_token",
        layer_class=ClassToken,
        make=lambda: ClassToken(),
        inputs=lambda rng: [rng.normal(size=(3, 2, 4, 5)).astype(np.float32)],
        # The token, the same for every example: [B, 1, D].
        reference=lambda layer, x: np.repeat(np.asarray(layer.token), x[0].shape[0], axis=0),
    ),
    LayerCase(
        id="conv_attention_cvt_stage3_with_class_token",
        layer_class=ConvolutionalAttention,
        make=lambda: _conv_attention([(2, 5, 6, 8), (2, 1, 8)], num_heads=2, dim_out=8),
        inputs=lambda rng: [rng.normal(size=(2, 5, 6, 8)).astype(np.float32),
                            rng.normal(size=(2, 1, 8)).astype(np.float32)],
        reference=conv_attention_reference,
        atol=2e-5,
    ),
    LayerCase(
        id="conv_attention_cvt_stage1",
        layer_class=ConvolutionalAttention,
        make=lambda: _conv_attention([(1, 4, 4, 4)], num_heads=1, dim_out=4, kernel_size=3,
                                     stride_kv=2),
        inputs=lambda rng: [rng.normal(size=(1, 4, 4, 4)).astype(np.float32)],
        reference=conv_attention_reference,
        atol=2e-5,
    ),
]

"""Cases for the serving layers of keras_zoo.export.fold_transformer, against the definitions:
FusedSelfAttention is multi-head self-attention (Vaswani et al. 2017, eq. 1 and section 3.2.2)
with its query, key and value projections as one [D, 3 h d] matrix (columns: q heads, k heads,
v heads; the 1 / sqrt(d) scale already in the query columns), TokenDense is act(x W + b) on
every token."""

import math

import numpy as np

from keras_zoo.layers import FusedSelfAttention, TokenDense
from tests.layer_harness import LayerCase


def _softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def self_attention_reference(layer, inputs):
    """Per head i: softmax(Q_i K_i^T) V_i with Q_i, K_i, V_i the token projections (the scale
    is in the query weights), heads concatenated, then the output projection."""
    (x,) = inputs
    x = x.astype(np.float64)
    h, d = layer.num_heads, layer.head_dim
    qkv = x @ np.asarray(layer.qkv_kernel, np.float64) + np.asarray(layer.qkv_bias, np.float64)
    heads = []
    for i in range(h):
        q, k, v = (qkv[..., (j * h + i) * d:(j * h + i + 1) * d] for j in range(3))
        heads.append(_softmax(q @ np.swapaxes(k, -1, -2)) @ v)
    context = np.concatenate(heads, axis=-1)
    return context @ np.asarray(layer.output_kernel, np.float64) + np.asarray(
        layer.output_bias, np.float64)


def _gelu(z):
    erf = np.vectorize(math.erf)
    return 0.5 * z * (1.0 + erf(z / math.sqrt(2.0)))


def token_dense_reference(layer, inputs):
    (x,) = inputs
    out = x.astype(np.float64) @ np.asarray(layer.kernel, np.float64)
    if layer.use_bias:
        out = out + np.asarray(layer.bias, np.float64)
    return _gelu(out) if layer.get_config()["activation"] == "gelu" else out


def _random_weights(layer):
    rng = np.random.default_rng(1)
    for weight in layer.weights:
        weight.assign(rng.normal(0, 0.3, weight.shape).astype(np.float32))
    return layer


class _Weighted:
    """Builds the layer on the case's input, then draws its weights (zeros biases would not
    test the bias)."""

    def __init__(self, make, shape):
        self.make, self.shape = make, shape

    def __call__(self):
        layer = self.make()
        layer.build(self.shape)
        return _random_weights(layer)


CASES = [
    LayerCase(
        id="fused_self_attention_2_heads",
        layer_class=FusedSelfAttention,
        make=_Weighted(lambda: FusedSelfAttention(2, 4, 6), (2, 5, 6)),
        inputs=lambda rng: [rng.normal(size=(2, 5, 6)).astype(np.float32)],
        reference=self_attention_reference,
        atol=1e-5,
    ),
    LayerCase(
        id="token_dense_gelu",
        layer_class=TokenDense,
        make=_Weighted(lambda: TokenDense(7, activation="gelu"), (2, 3, 5)),
        inputs=lambda rng: [rng.normal(size=(2, 3, 5)).astype(np.float32)],
        reference=token_dense_reference,
        atol=1e-5,
    ),
    LayerCase(
        id="token_dense_linear_no_bias",
        layer_class=TokenDense,
        make=_Weighted(lambda: TokenDense(4, use_bias=False), (3, 5)),
        inputs=lambda rng: [rng.normal(size=(3, 5)).astype(np.float32)],
        reference=token_dense_reference,
        atol=1e-5,
    ),
]

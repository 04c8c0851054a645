"""Cases for the captioning and image-text layers: AttentionLSTMDecoder (Show, Attend and Tell's
soft-attention LSTM) and CoAttention (ViLBERT's Co-TRM), against NumPy."""

import numpy as np
from scipy.special import erf

from keras_zoo.layers import AttentionLSTMDecoder, CoAttention
from tests.layer_harness import LayerCase


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis, keepdims=True))
    return e / e.sum(axis, keepdims=True)


def _dense(layer, x):
    w = layer.get_weights()
    return x @ w[0] + (w[1] if len(w) > 1 else 0.0)


def decoder_reference(layer, inputs):
    words, annotations = (np.asarray(a, np.float64) for a in inputs)
    n = layer.units
    mean = annotations.mean(1)
    h, c = np.tanh(_dense(layer.init_h, mean)), np.tanh(_dense(layer.init_c, mean))
    w_s = layer.attention.query_dense.get_weights()[0]
    w_h, b_h = layer.attention.key_dense.get_weights()
    v = layer.attention.score_dense.get_weights()[0]
    kernel, recurrent, bias = layer.cell.get_weights()
    hidden, contexts, alphas = [], [], []
    for t in range(words.shape[1]):
        scores = (np.tanh((h @ w_s)[:, None, :] + annotations @ w_h + b_h) @ v)[..., 0]
        alpha = _softmax(scores)  # eq. 4-5: an MLP of the annotations and h_{t-1}
        z = (alpha[..., None] * annotations).sum(1)
        if layer.gate:
            z = _sigmoid(_dense(layer.beta, h)) * z
        gates = np.concatenate([words[:, t], z], -1) @ kernel + h @ recurrent + bias
        i, f, g, o = (gates[:, k * n:(k + 1) * n] for k in range(4))
        c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
        h = _sigmoid(o) * np.tanh(c)
        hidden.append(h)
        contexts.append(z)
        alphas.append(alpha)
    return [np.stack(hidden, 1), np.stack(contexts, 1), np.stack(alphas, 1)]


def _layer_norm(layer, x):
    gamma, beta = layer.get_weights()
    mean, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + layer.epsilon) * gamma + beta


def _attention(layer, query, other, keep=None):
    wq, bq, wk, bk, wv, bv, wo, bo = layer.get_weights()
    q = np.einsum("btd,dhk->bthk", query, wq) + bq
    k = np.einsum("bsd,dhk->bshk", other, wk) + bk
    v = np.einsum("bsd,dhk->bshk", other, wv) + bv
    scores = np.einsum("bthk,bshk->bhts", q, k) / np.sqrt(wq.shape[-1])
    if keep is not None:
        scores = np.where(keep[:, None, None, :] > 0, scores, -1e9)
    p = _softmax(scores)
    return np.einsum("bhts,bshk,hkd->btd", p, v, wo) + bo


def co_attention_reference(layer, inputs, visual_mask=None, linguistic_mask=None):
    visual, linguistic = (np.asarray(a, np.float64) for a in inputs)
    out = []
    for stream, own, other, keep in (("visual", visual, linguistic, linguistic_mask),
                                     ("linguistic", linguistic, visual, visual_mask)):
        get = lambda key, s=stream: getattr(layer, f"{s}_{key}")  # noqa: E731
        h = _layer_norm(get("attention_norm"), own + _attention(get("attention"), own, other,
                                                                 keep))
        m = _dense(get("mlp_dense_1"), h)
        m = 0.5 * m * (1.0 + erf(m / np.sqrt(2.0)))  # exact GELU
        out.append(_layer_norm(get("mlp_norm"), h + _dense(get("mlp_dense_2"), m)))
    return out


def _streams(rng):
    return [rng.normal(size=(2, 3, 8)).astype(np.float32),
            rng.normal(size=(2, 5, 6)).astype(np.float32)]


CASES = [
    LayerCase(id="attention_lstm_decoder_gated", layer_class=AttentionLSTMDecoder,
              make=lambda: AttentionLSTMDecoder(6, 5),
              inputs=lambda rng: [rng.normal(size=(2, 4, 3)).astype(np.float32),
                                  rng.normal(size=(2, 9, 4)).astype(np.float32)],
              reference=decoder_reference),
    LayerCase(id="attention_lstm_decoder_ungated", layer_class=AttentionLSTMDecoder,
              make=lambda: AttentionLSTMDecoder(4, 3, gate=False),
              inputs=lambda rng: [rng.normal(size=(2, 3, 2)).astype(np.float32),
                                  rng.normal(size=(2, 4, 5)).astype(np.float32)],
              reference=decoder_reference),
    LayerCase(id="co_attention", layer_class=CoAttention,
              make=lambda: CoAttention(2, 4, 10, 12), inputs=_streams,
              reference=co_attention_reference),
]

"""Cases for the attention layers: Bahdanau (additive), Luong (dot, general, concat) and
Nadaraya-Watson, each against a NumPy reference written from the paper's formula.

ERRATA (notes 003): the notes put V inside the softmax; attention is softmax(scores) V, so the
references below apply the softmax to the scores only and then take the weighted sum of values.
"""

import numpy as np

from keras_zoo.layers import BahdanauAttention, LuongAttention, NadarayaWatson
from tests.layer_harness import LayerCase


def softmax(e):
    e = e - e.max(axis=-1, keepdims=True)
    return np.exp(e) / np.exp(e).sum(axis=-1, keepdims=True)


def bahdanau_reference(layer, inputs):
    # Bahdanau et al. 2015, A.1.2: e_ij = v_a^T tanh(W_a s_{i-1} + U_a h_j); a = softmax_j(e);
    # c_i = sum_j a_ij h_j.
    s, h = inputs
    w_a, u_a, b, v_a = layer.get_weights()
    out = np.zeros(s.shape[:2] + (h.shape[-1],), np.float64)
    for n in range(s.shape[0]):
        for i in range(s.shape[1]):
            e = np.array([v_a[:, 0] @ np.tanh(s[n, i] @ w_a + h[n, j] @ u_a + b)
                          for j in range(h.shape[1])])
            out[n, i] = softmax(e) @ h[n]
    return out


def luong_reference(score):
    def reference(layer, inputs):
        # Luong et al. 2015, eq. (7)-(8): a_t(s) = softmax_s(score(h_t, h_s)); c_t = sum a_t h_s.
        ht, hs = inputs
        weights = layer.get_weights()
        out = np.zeros(ht.shape[:2] + (hs.shape[-1],), np.float64)
        for n in range(ht.shape[0]):
            for t in range(ht.shape[1]):
                if score == "dot":
                    e = np.array([ht[n, t] @ hs[n, s] for s in range(hs.shape[1])])
                elif score == "general":
                    (w_a,) = weights
                    e = np.array([ht[n, t] @ w_a @ hs[n, s] for s in range(hs.shape[1])])
                else:
                    w_a, v_a = weights
                    e = np.array([v_a[:, 0] @ np.tanh(np.concatenate([ht[n, t], hs[n, s]]) @ w_a)
                                  for s in range(hs.shape[1])])
                out[n, t] = softmax(e) @ hs[n]
        return out

    return reference


def nadaraya_watson_reference(layer, inputs):
    # f(x) = sum_i K(x - x_i) y_i / sum_j K(x - x_j), K(u) = exp(-(u w)^2 / 2).
    q, v, k = inputs
    (w,) = layer.get_weights()
    out = np.zeros(q.shape[:2] + (v.shape[-1],), np.float64)
    for n in range(q.shape[0]):
        for i in range(q.shape[1]):
            kernel = np.array([np.exp(-np.sum((q[n, i] - k[n, j]) ** 2) * w ** 2 / 2)
                               for j in range(k.shape[1])])
            out[n, i] = kernel @ v[n] / kernel.sum()
    return out


def _normal(*shapes):
    return lambda rng: [rng.normal(size=s).astype(np.float32) for s in shapes]


CASES = [
    LayerCase(
        id="bahdanau_additive",
        layer_class=BahdanauAttention,
        make=lambda: BahdanauAttention(units=6),
        inputs=_normal((2, 3, 4), (2, 5, 7)),
        reference=bahdanau_reference,
    ),
    LayerCase(
        id="luong_dot",
        layer_class=LuongAttention,
        make=lambda: LuongAttention(score="dot"),
        inputs=_normal((2, 3, 4), (2, 5, 4)),
        reference=luong_reference("dot"),
    ),
    LayerCase(
        id="luong_general",
        layer_class=LuongAttention,
        make=lambda: LuongAttention(score="general"),
        inputs=_normal((2, 3, 4), (2, 5, 6)),
        reference=luong_reference("general"),
    ),
    LayerCase(
        id="luong_concat",
        layer_class=LuongAttention,
        make=lambda: LuongAttention(score="concat", units=5),
        inputs=_normal((2, 3, 4), (2, 5, 6)),
        reference=luong_reference("concat"),
    ),
    LayerCase(
        id="nadaraya_watson_gaussian",
        layer_class=NadarayaWatson,
        make=lambda: NadarayaWatson(initial_width=1.5),
        inputs=_normal((2, 4, 1), (2, 6, 2), (2, 6, 1)),
        reference=nadaraya_watson_reference,
    ),
]

"""RNNsearch (Bahdanau et al. 2015): the decoder's first two steps against NumPy from the
paper's equations (context from s_{i-1}, fed into the GRU; s_0 = tanh(W_s bwd h_1))."""

from __future__ import annotations

import keras
import numpy as np

from keras_zoo.models.sequence.rnnsearch import RNNsearch


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _gru(x, h, kernel, recurrent, bias):
    # Keras' GRU (reset_after=True): gates in the order z, r, candidate.
    n = h.shape[-1]
    xz = x @ kernel + bias[0]
    hz = h @ recurrent + bias[1]
    z = _sigmoid(xz[:, :n] + hz[:, :n])
    r = _sigmoid(xz[:, n:2 * n] + hz[:, n:2 * n])
    candidate = np.tanh(xz[:, 2 * n:] + r * hz[:, 2 * n:])
    return z * h + (1 - z) * candidate


def test_decoder_steps_follow_the_paper():
    keras.utils.set_random_seed(0)
    model = RNNsearch(13, source_length=5, target_length=3, units=6, embedding_dim=4,
                      alignment_units=5, maxout_units=3)
    source = np.array([[5, 6, 7, 8, 0], [9, 3, 4, 0, 0]], np.int32)  # padded sources
    decoder = np.array([[1, 10, 11, 12], [1, 4, 3, 5]], np.int32)
    logits = np.asarray(model({"encoder_tokens": source, "decoder_tokens": decoder}))
    mask = source != 0
    annotations, _, backward = model.get_layer("encoder")(
        model.get_layer("source_embedding")(source), mask=mask)
    annotations, backward = np.asarray(annotations), np.asarray(backward)
    w_s, b_s = model.get_layer("W_s").get_weights()
    s = np.tanh(backward @ w_s + b_s)
    attention = model.get_layer("attention")
    w_q = attention.query_dense.get_weights()[0]
    w_k, b_k = attention.key_dense.get_weights()
    v = attention.score_dense.get_weights()[0]
    kernel, recurrent, bias = model.get_layer("decoder_cell").get_weights()
    pieces_w, pieces_b = model.get_layer("deep_output").pieces.get_weights()
    w_o, b_o = model.get_layer("W_o").get_weights()
    table = model.get_layer("target_embedding").get_weights()[0]
    for i in range(2):
        y_prev = table[decoder[:, i]]
        # e_ij = v^T tanh(W s_{i-1} + U h_j): the PREVIOUS state, padded words excluded.
        e = (np.tanh((s @ w_q)[:, None, :] + annotations @ w_k + b_k) @ v)[..., 0]
        e = np.where(mask, e, -np.inf)
        a = np.exp(e - e.max(1, keepdims=True))
        a /= a.sum(1, keepdims=True)
        c = np.einsum("bj,bjd->bd", a, annotations)
        s = _gru(np.concatenate([y_prev, c], 1), s, kernel, recurrent, bias)
        t = (np.concatenate([s, y_prev, c], 1) @ pieces_w + pieces_b).reshape(2, 3, 2).max(-1)
        np.testing.assert_allclose(logits[:, i], t @ w_o + b_o, atol=1e-5)


def test_output_at_a_step_ignores_later_target_tokens():
    keras.utils.set_random_seed(1)
    model = RNNsearch(13, source_length=5, target_length=3, units=6, embedding_dim=4,
                      alignment_units=5, maxout_units=3)
    source = np.array([[5, 6, 7, 0, 0]], np.int32)
    decoder = np.array([[1, 10, 11, 12]], np.int32)
    base = np.asarray(model({"encoder_tokens": source, "decoder_tokens": decoder}))
    later = decoder.copy()
    later[0, 2:] = [4, 4]
    changed = np.asarray(model({"encoder_tokens": source, "decoder_tokens": later}))
    np.testing.assert_allclose(changed[:, :2], base[:, :2], atol=1e-6)
    assert np.abs(changed[:, 2:] - base[:, 2:]).max() > 1e-4

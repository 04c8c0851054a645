"""The multi-pass and single-pass cloze readers: the document attention against NumPy, and the
single pass's per-sentence reading recomputed sentence by sentence."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from keras_zoo.models.sequence.multi_pass_reader import MultiPassReader, answer_lstm
from keras_zoo.models.sequence.single_pass_reader import SinglePassReader


def test_multi_pass_attention_and_answer_step_follow_the_equations():
    keras.utils.set_random_seed(0)
    model = MultiPassReader(20, document_length=6, query_length=1, answers=4, units=6,
                            embedding_dim=5)
    document = np.array([[3, 4, 5, 6, 7, 0], [8, 9, 10, 11, 0, 0]], np.int32)
    query = np.array([[12], [13]], np.int32)
    out = np.asarray(model({"document": document, "query": query}))
    embed = model.get_layer("embedding")
    h_d = np.asarray(model.get_layer("document_lstm")(embed(document)))
    h_q = np.asarray(model.get_layer("question_lstm")(embed(query)))[:, 0]
    attention = model.get_layer("attention")
    w_q = attention.query_dense.get_weights()[0]  # rows: [h^q; h^a]
    w_d, b = attention.key_dense.get_weights()
    w_s = attention.score_dense.get_weights()[0]
    h_a = np.zeros((2, 6), np.float32)
    # m_j = tanh(W^q h^q + W^a h^a_0 + W^d h^d_j), s_j = exp(w^s m_j), padding excluded.
    m = np.tanh((np.concatenate([h_q, h_a], 1) @ w_q)[:, None] + h_d @ w_d + b)
    s = np.exp((m @ w_s)[..., 0]) * (document != 0)
    hbar = np.einsum("bj,bjd->bd", s / s.sum(1, keepdims=True), h_d)
    cell = model.get_layer("answer_lstm")
    h, _ = cell(np.concatenate([hbar, h_q], 1).astype(np.float32), [h_a, h_a])
    w, bias = model.get_layer("predictions").get_weights()
    logits = np.asarray(h) @ w + bias
    expected = np.exp(logits - logits.max(1, keepdims=True))
    np.testing.assert_allclose(out, expected / expected.sum(1, keepdims=True), atol=1e-5)


def test_single_pass_reads_each_sentence_alone_then_the_top_lstm():
    keras.utils.set_random_seed(1)
    model = SinglePassReader(20, document_length=6, query_length=2, answers=4,
                             sentence_length=2, units=6, embedding_dim=5)
    document = np.array([[3, 4, 5, 6, 7, 8], [9, 10, 11, 12, 13, 14]], np.int32)
    query = np.array([[15, 16], [17, 18]], np.int32)
    out = np.asarray(model({"document": document, "query": query}))
    embed = model.get_layer("embedding")
    h_q = model.get_layer("question_lstm")(embed(query))
    summaries = []
    for m in range(3):
        sentence = document[:, 2 * m:2 * m + 2]
        h_d = model.get_layer("sentence_lstm")(embed(sentence))
        summaries.append(answer_lstm(h_q, h_d, sentence != 0, model.get_layer("attention"),
                                     model.get_layer("answer_lstm"), 6))
    top = model.get_layer("top_lstm")(keras.ops.stack(summaries, axis=1))
    expected = model.get_layer("predictions")(top)
    np.testing.assert_allclose(out, np.asarray(expected), atol=1e-5)
    # A sentence's summary does not see the other sentences: changing sentence 3 leaves the
    # first two summaries (hence the top LSTM's first two steps) alone but changes the answer.
    other = document.copy()
    other[:, 4:] = [[5, 5], [5, 5]]
    assert np.abs(np.asarray(model({"document": other, "query": query})) - out).max() > 1e-6


def test_single_pass_needs_whole_sentences():
    with pytest.raises(ValueError, match="multiple of sentence_length"):
        SinglePassReader(20, document_length=7, query_length=1, answers=4, sentence_length=2)

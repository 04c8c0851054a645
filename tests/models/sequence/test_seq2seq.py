"""seq2seq: teacher-forcing data, greedy and beam decoding, attention weights and their plot,
label smoothing, bad arguments; the slow tier trains reversal to >= 0.99 exact match."""

import time

import keras
import numpy as np
import pytest

import keras_zoo
from keras_zoo.data import sequences
from keras_zoo.models.sequence.seq2seq import (
    Seq2Seq,
    beam_search,
    greedy_decode,
    plot_attention,
)
from keras_zoo.tasks import get_task
from keras_zoo.tasks.seq2seq import SmoothedSparseCrossentropy, exact_match


def test_attention_weights_are_distributions_and_plot(tmp_path):
    model = keras_zoo.models.get("seq2seq_bahdanau", preset="tiny")
    x, y = get_task("seq2seq").battery_data(model, None, n=2)
    w = model.attention_weights(x["encoder_tokens"], x["decoder_tokens"])
    assert w.shape == (2, model.target_length + 1, model.source_length)
    np.testing.assert_allclose(w.sum(-1), 1.0, atol=1e-5)
    path = plot_attention(w[0], x["encoder_tokens"][0], y[0], tmp_path / "attention.png")
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="no attention"):
        keras_zoo.models.get("seq2seq", preset="tiny").attention_weights(
            x["encoder_tokens"], x["decoder_tokens"])


def test_greedy_and_beam_search_agree_with_one_beam():
    # Six tokens, as before the tiny config's three (2026-12-04).
    model = keras_zoo.models.get("seq2seq_luong", preset="tiny", source_length=6,
                                 target_length=6)
    source, _ = sequences.reversal(3, 6, 10, seed=5)
    greedy = np.asarray(greedy_decode(model, source)[0])
    beam1 = beam_search(model, source, num_beams=1)
    for g, b in zip(greedy, beam1, strict=True):
        stop = np.flatnonzero(g == sequences.END)
        n = stop[0] + 1 if stop.size else len(g)
        np.testing.assert_array_equal(b[:n], g[:n])
    beam4 = beam_search(model, source, num_beams=4)
    assert beam4.shape == greedy.shape


@pytest.mark.parametrize("name, cell", [("seq2seq_bahdanau", "lstm"), ("seq2seq_luong", "gru"),
                                        ("seq2seq", "elman")])
def test_stepwise_greedy_decode_is_the_whole_models_greedy_decode(name, cell):
    # The served decoder runs the encoder once and the decoder step by step; fed back to the
    # whole model (teacher forcing on its own output), its tokens are the argmax of every
    # position and its scores their probabilities.
    keras.utils.set_random_seed(1)
    model = keras_zoo.models.get(name, preset="tiny", cell=cell)
    source = np.random.default_rng(2).integers(
        sequences.FIRST_SYMBOL, model.vocabulary_size, (6, model.source_length)).astype(np.int32)
    tokens, scores = (np.asarray(t) for t in greedy_decode(model, source))
    assert tokens.shape == scores.shape == (6, model.target_length + 1)
    decoder_tokens = np.concatenate([np.full((6, 1), sequences.START), tokens[:, :-1]], 1)
    probabilities = np.asarray(keras.ops.softmax(model(
        {"encoder_tokens": source, "decoder_tokens": decoder_tokens.astype(np.int32)})))
    np.testing.assert_array_equal(tokens, probabilities.argmax(-1))
    np.testing.assert_allclose(scores, probabilities.max(-1), atol=1e-6)


def test_label_smoothing_formula():
    logits = np.random.default_rng(0).normal(size=(3, 5)).astype(np.float32)
    labels = np.array([0, 2, 4])
    eps = 0.1
    target = np.full((3, 5), eps / 5) + (1 - eps) * np.eye(5)[labels]
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    expected = -(target * logp).sum(-1).mean()
    loss = SmoothedSparseCrossentropy(eps)(labels, logits)
    np.testing.assert_allclose(float(loss), expected, rtol=1e-5)


@pytest.mark.parametrize("kwargs,match", [
    ({"attention": "multiplicative"}, "attention"),
    ({"cell": "jordan"}, "cell"),
    ({"source_length": 0}, "source_length"),
])
def test_bad_arguments(kwargs, match):
    config = {"vocabulary_size": 13, "source_length": 4, "target_length": 4, **kwargs}
    with pytest.raises(ValueError, match=match):
        Seq2Seq(**config)


@pytest.mark.slow
@pytest.mark.parametrize("attention", ["bahdanau", "luong_general"])
def test_reversal_length_10_exact_match(attention):
    keras.utils.set_random_seed(0)
    entry = keras_zoo.models.info(f"seq2seq_{attention.split('_')[0]}")
    model = Seq2Seq(vocabulary_size=13, source_length=10, target_length=10, units=64,
                    embedding_dim=16, attention=attention)
    task = get_task("seq2seq")
    task.compile(model, entry, learning_rate=3e-3)
    start = time.time()
    model.fit(task.dataset(model, entry, "train", batch_size=64, n=8000), epochs=12, verbose=0)
    seconds = time.time() - start
    x, y = task._arrays(model, entry, "test", 1000)
    score = exact_match(model, x["encoder_tokens"], y)
    print(f"seq2seq {attention}: exact match {score:.4f} on 1000 test sequences, "
          f"trained in {seconds:.0f}s")
    assert score >= 0.99

"""word2vec with noise-contrastive estimation beside negative sampling, against the NCE
formula P(D=1 | w, c) = sigmoid(u_w . v_c - log(k q(w)))."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from keras_zoo.models.sequence import word2vec
from keras_zoo.models.sequence.word2vec import Word2Vec


def _docs():
    rng = np.random.default_rng(0)
    return [list(rng.integers(2, 30, 12)) for _ in range(20)]


def _log_sigmoid(x):
    return -np.logaddexp(0.0, -x)


def test_nce_loss_equals_the_formula():
    keras.utils.set_random_seed(0)
    k = 4
    x, y = word2vec.training_examples(_docs(), 30, "skipgram", 2, k, seed=1, max_examples=16,
                                      objective="nce")
    noise = word2vec.noise_distribution(_docs(), 30)
    np.testing.assert_allclose(x["noise_log_kq"], np.log(k * noise[x["candidates"]]), rtol=1e-6)
    model = Word2Vec(30, 8, "skipgram", 2, k, objective="nce")
    # Non-zero context vectors (they start at zero), so the scores are not all 0.
    u = model.get_layer("context_vectors")
    u.set_weights([np.random.default_rng(2).normal(size=(30, 8)).astype(np.float32)])
    v = np.asarray(model.get_layer("word_vectors").embeddings)
    u = np.asarray(u.embeddings)
    scores = np.einsum("bkd,bd->bk", u[x["candidates"]], v[x["target"]])
    delta = scores - np.log(k * noise[x["candidates"]])
    np.testing.assert_allclose(np.asarray(model(x)), delta, atol=1e-5)
    # J = -[log s(delta_o) + sum_j log s(-delta_j)]: the data word against k noise words.
    expected = -(_log_sigmoid(delta[:, 0]) + _log_sigmoid(-delta[:, 1:]).sum(1))
    model.compile(loss=keras.losses.BinaryCrossentropy(from_logits=True,
                                                       reduction="sum_over_batch_size"))
    # Keras averages over the 1 + k logits as well as the batch.
    loss = float(model.compute_loss(x, y, model(x)))
    assert loss == pytest.approx(expected.mean() / (1 + k), rel=1e-5)


def test_negative_sampling_is_nce_without_the_noise_term():
    keras.utils.set_random_seed(0)
    x, _ = word2vec.training_examples(_docs(), 30, "cbow", 2, 3, max_examples=8,
                                      objective="nce")
    nce = Word2Vec(30, 8, "cbow", 2, 3, objective="nce")
    ns = Word2Vec(30, 8, "cbow", 2, 3)
    nce.get_layer("context_vectors").set_weights([np.full((30, 8), 0.1, np.float32)])
    ns.set_weights(nce.get_weights())
    plain = {key: value for key, value in x.items() if key != "noise_log_kq"}
    np.testing.assert_allclose(np.asarray(nce(x)), np.asarray(ns(plain)) - x["noise_log_kq"],
                               atol=1e-6)
    assert "noise_log_kq" not in word2vec.training_examples(_docs(), 30, "cbow", 2, 3,
                                                            max_examples=8)[0]


def test_unknown_objective_is_refused():
    with pytest.raises(ValueError, match="objective"):
        Word2Vec(30, 8, objective="hierarchical_softmax")
    with pytest.raises(ValueError, match="objective"):
        word2vec.training_examples(_docs(), 30, objective="nce_typo")

"""word2vec (skip-gram, CBOW with negative sampling) and GloVe: the training data follow the
papers' definitions, the models learn topic structure, and the queries are exact."""

import keras
import numpy as np
import pytest

from keras_zoo.models.sequence import glove, word2vec


def two_topic_corpus(n_docs=200, length=12, seed=0):
    """Words 2..11 (topic A) only co-occur with each other, 12..21 (topic B) likewise."""
    rng = np.random.default_rng(seed)
    docs = []
    for d in range(n_docs):
        low = 2 if d % 2 == 0 else 12
        docs.append(list(rng.integers(low, low + 10, length)))
    vocabulary = ["", "[UNK]"] + [f"a{i}" for i in range(10)] + [f"b{i}" for i in range(10)]
    return docs, vocabulary


def _topic_purity(vectors, vocabulary):
    hits = 0
    for w in vocabulary[2:]:
        neighbours = [n for n, _ in word2vec.nearest(vectors, vocabulary, w, k=5)]
        hits += sum(n[0] == w[0] for n in neighbours)
    return hits / (5 * (len(vocabulary) - 2))


def test_skipgram_examples_follow_the_window():
    docs = [[2, 3, 4, 5]]
    inputs, labels = word2vec.training_examples(docs, 6, "skipgram", window=1, num_negative=2)
    pairs = set(zip(inputs["target"].tolist(), inputs["candidates"][:, 0].tolist(), strict=True))
    assert pairs == {(2, 3), (3, 2), (3, 4), (4, 3), (4, 5), (5, 4)}
    assert labels.shape == (6, 3) and (labels[:, 0] == 1).all() and (labels[:, 1:] == 0).all()
    noise = word2vec.noise_distribution(docs, 6)
    np.testing.assert_allclose(noise[2:], 0.25)  # uniform counts -> uniform^0.75


@pytest.mark.parametrize("mode", ["skipgram", "cbow"])
def test_word2vec_learns_topics(mode):
    keras.utils.set_random_seed(0)
    docs, vocabulary = two_topic_corpus()
    inputs, labels = word2vec.training_examples(docs, len(vocabulary), mode, window=2,
                                                num_negative=5)
    model = word2vec.Word2Vec(len(vocabulary), 16, mode=mode, window=2, num_negative=5)
    model.compile(keras.optimizers.Adam(0.02),
                  keras.losses.BinaryCrossentropy(from_logits=True))
    history = model.fit(inputs, labels, batch_size=256, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert _topic_purity(model.word_vectors(), vocabulary) > 0.9


def test_glove_cooccurrence_and_weighting():
    rows, cols, counts = glove.cooccurrence([[2, 3, 4]], 5, window=2)
    table = {(r, c): x for r, c, x in zip(rows, cols, counts, strict=True)}
    assert table == {(2, 3): 1.0, (3, 2): 1.0, (3, 4): 1.0, (4, 3): 1.0, (2, 4): 0.5,
                     (4, 2): 0.5}
    np.testing.assert_allclose(glove.weighting([50.0, 100.0, 500.0]), [0.5 ** 0.75, 1, 1],
                               rtol=1e-6)


def test_glove_learns_topics():
    keras.utils.set_random_seed(0)
    docs, vocabulary = two_topic_corpus()
    inputs, log_x, f = glove.training_arrays(*glove.cooccurrence(docs, len(vocabulary), 4),
                                             x_max=10.0)
    model = glove.GloVe(len(vocabulary), 16)
    model.compile(keras.optimizers.Adam(0.05), "mse")
    history = model.fit(inputs, log_x, sample_weight=f, batch_size=64, epochs=30, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert _topic_purity(model.word_vectors(), vocabulary) > 0.9


def test_nearest_and_analogy_are_exact_on_known_vectors():
    vocabulary = ["", "[UNK]", "man", "woman", "king", "queen", "apple"]
    v = np.array([[0, 0, 0], [0, 0, 0], [1, 0, 0], [1, 1, 0], [1, 0, 1], [1, 1, 1],
                  [-1, 0, 0]], np.float64)
    assert word2vec.analogy(v, vocabulary, "man", "king", "woman")[0][0] == "queen"
    assert word2vec.nearest(v, vocabulary, "man", k=1)[0][0] in ("woman", "king")
    assert word2vec.nearest(v, vocabulary, "man", k=6)[-1][0] == "apple"
    with pytest.raises(ValueError, match="vocabulary"):
        word2vec.analogy(v, vocabulary, "man", "king", "prince")

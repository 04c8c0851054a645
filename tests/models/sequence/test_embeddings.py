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


def test_glove_loss_is_the_weighted_least_squares():
    counts = np.array([0.5, 3.0, 150.0], np.float32)
    prediction = np.array([0.1, -0.2, 4.0], np.float32)
    loss = glove.GloVeLoss(x_max=100.0, alpha=0.75)
    expected = np.mean(glove.weighting(counts) * (prediction - np.log(counts)) ** 2)
    np.testing.assert_allclose(float(loss(counts, prediction)), expected, rtol=1e-5)
    with pytest.raises(ValueError, match="x_max"):
        glove.GloVeLoss(x_max=0)
    restored = glove.GloVeLoss.from_config(loss.get_config())
    assert (restored.x_max, restored.alpha) == (100.0, 0.75)


def test_canonical_configs_follow_the_papers():
    import keras_zoo

    g = keras_zoo.models.info("glove").canonical
    assert (g["embedding_dim"], g["x_max"], g["alpha"], g["window"]) == (300, 100.0, 0.75, 10)
    assert keras_zoo.models.info("glove").params == 2 * g["vocabulary_size"] * 301
    for mode in ("skipgram", "cbow"):
        entry = keras_zoo.models.info(f"word2vec_{mode}")
        assert entry.canonical["embedding_dim"] == 300 and entry.canonical["mode"] == mode
        small = entry.build("canonical", vocabulary_size=10)  # the count scales with V
        assert small.count_params() == 2 * 10 * 300
        assert entry.params == 2 * entry.canonical["vocabulary_size"] * 300


def test_serving_neighbours_are_the_cosine_nearest():
    import tensorflow as tf

    from keras_zoo.tasks.word_embedding import NUM_NEIGHBOURS, embedding_outputs

    rng = np.random.default_rng(0)
    table = rng.normal(size=(30, 4)).astype(np.float32)
    vocabulary = ["", "[UNK]"] + [f"w{i}" for i in range(28)]
    ids = np.array([2, 17, 1, 99, -3], np.int32)
    out = {k: np.asarray(v) for k, v in embedding_outputs(tf.constant(table), ids).items()}
    served_ids = np.where((ids >= 0) & (ids < 30), ids, 1)  # out of range -> [UNK]
    np.testing.assert_allclose(out["embeddings"], table[served_ids])
    for row, i in enumerate(served_ids[:2]):
        expected = word2vec.nearest(table, vocabulary, vocabulary[i], k=NUM_NEIGHBOURS)
        assert [vocabulary[j] for j in out["neighbours"][row]] == [w for w, _ in expected]
        np.testing.assert_allclose(out["similarities"][row], [s for _, s in expected],
                                   atol=1e-5)
    assert not np.isin(out["neighbours"], [0, 1]).any()


@pytest.mark.parametrize("name", ["word2vec_skipgram", "word2vec_cbow", "glove"])
def test_corpus_examples_use_the_corpus_vocabulary(name):
    import keras_zoo
    from keras_zoo.tasks import get_task
    from keras_zoo.tasks.word_embedding import corpus_vocabulary

    entry = keras_zoo.models.info(name)
    model = entry.build("tiny")
    x, y = get_task(entry.task).battery_data(model, entry, n=32)
    size = entry.tiny["vocabulary_size"]
    assert len(corpus_vocabulary(size)) == size
    for ids in x.values():
        assert len(ids) == 32 and ids.min() >= 0 and ids.max() < size
    if name == "glove":
        assert (y > 0).all()  # co-occurrence counts, 1/d weighted
        assert (x["i"] > 1).all() and (x["j"] > 1).all()  # no padding, no [UNK]
    else:
        assert (y[:, 0] == 1).all() and (y[:, 1:] == 0).all()

"""Word embeddings (word2vec, GloVe): trained on the embedded docstring corpus, served as
word ids -> vectors and nearest neighbours.

Word ids are ranks in ``keras_zoo.data.text.word_vocabulary(corpus("train"), max_tokens=
vocabulary_size)`` (``corpus_vocabulary``): 0 padding, 1 ``[UNK]``, then words by decreasing
frequency. The serving signature takes ``word_ids`` ``[B]`` int32 (an integer signature, so it
converts to TFLite with builtin ops; map words to ids with ``corpus_vocabulary``); ids outside
``[0, vocabulary_size)`` are served as ``[UNK]``. Outputs: ``embeddings`` ``[B, D]``,
``neighbours`` ``[B, k]`` (the k words of highest cosine similarity, the word itself, padding
and ``[UNK]`` excluded) and their ``similarities``.
"""

from __future__ import annotations

import functools

import numpy as np
import tensorflow as tf

from keras_zoo.tasks.base import Task, array_dataset

#: Neighbours returned by the serving signature.
NUM_NEIGHBOURS = 5


@functools.lru_cache(maxsize=4)
def corpus_vocabulary(vocabulary_size):
    """The word list whose ranks are the word ids of a model of ``vocabulary_size`` rows."""
    from keras_zoo.data import text

    return tuple(text.word_vocabulary(text.corpus("train"), max_tokens=vocabulary_size))


@functools.lru_cache(maxsize=8)
def corpus_ids(vocabulary_size, split):
    """The split's documents as word-id lists (``[UNK]`` = 1, dropped by the example makers)."""
    from keras_zoo.data import text

    split = "validation" if split == "test" else split
    return tuple(tuple(d) for d in text.encode(text.corpus(split),
                                               corpus_vocabulary(vocabulary_size), "word"))


def _documents_for(vocabulary_size, split, n, per_word):
    """The first documents of a split holding about ``n`` examples (``per_word`` per word)."""
    docs = corpus_ids(vocabulary_size, split)
    if n is None:
        return [list(d) for d in docs]
    picked, words = [], 0
    for d in docs:
        picked.append(list(d))
        words += sum(t > 1 for t in d)
        if words * per_word >= 2 * n:
            break
    return picked


def vocabulary_size_of(model):
    return int(model.get_layer(model.vector_layers[0]).input_dim)


def vector_table(model):
    """The served vectors ``[V, D]``: the sum of the model's ``vector_layers`` tables (its
    variables, tracked by the exported model)."""
    return tf.add_n([tf.convert_to_tensor(model.get_layer(n).embeddings)
                     for n in model.vector_layers])


def embedding_outputs(table, word_ids, k=NUM_NEIGHBOURS):
    """Vectors and cosine nearest neighbours of ``word_ids`` in ``table`` ``[V, D]``."""
    vocabulary_size = table.shape[0]
    valid = (word_ids >= 0) & (word_ids < vocabulary_size)
    word_ids = tf.where(valid, word_ids, tf.ones_like(word_ids))  # out of range -> [UNK]
    vectors = tf.gather(table, word_ids)
    similarities = tf.matmul(tf.math.l2_normalize(vectors, -1),
                             tf.math.l2_normalize(table, -1), transpose_b=True)
    # Cosines lie in [-1, 1]: 4 below keeps the word itself, padding and [UNK] out of the top k.
    specials = tf.constant([1.0, 1.0] + [0.0] * (vocabulary_size - 2))
    excluded = tf.one_hot(word_ids, vocabulary_size) + specials
    top = tf.math.top_k(similarities - 4.0 * excluded, k=min(k, vocabulary_size - 3))
    return {"embeddings": vectors, "neighbours": top.indices, "similarities": top.values}


class _EmbeddingTask(Task):
    """Serving and int8 checks shared by the embedding tasks."""

    data_names = ("stdlib_docstrings",)

    def export_model(self, model):
        return model

    def serving_fn(self, model):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.int32, name="word_ids")])
        def serve(word_ids):
            return embedding_outputs(vector_table(model), word_ids)

        return serve

    def serving_example(self, model, n=4, seed=0):
        size = vocabulary_size_of(model)
        rng = np.random.default_rng(seed)
        ids = rng.integers(2, size, n).astype(np.int32)
        ids[0] = 1  # [UNK] is valid input
        if n > 1:
            ids[1] = size + 7  # out of range: served as [UNK]
        return {"word_ids": ids}

    def test_examples(self, model, entry, n=32):
        size = vocabulary_size_of(model)
        return {"word_ids": np.arange(2, 2 + min(n, size - 2), dtype=np.int32)}, None

    def representative_examples(self, model, entry, n=100, seed=0):
        size = vocabulary_size_of(model)
        return [{"word_ids": np.array([2 + i % (size - 2)], np.int32)} for i in range(n)]

    def int8_agreement(self, reference, quantized):
        a, b = np.asarray(reference["embeddings"]), np.asarray(quantized["embeddings"])
        cos = np.sum(a * b, -1) / np.maximum(
            np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1), 1e-12)
        return float(np.mean(cos))

    def int8_check(self, reference, quantized):
        cosine = self.int8_agreement(reference, quantized)
        same = float(np.mean(np.asarray(reference["neighbours"])[:, 0]
                             == np.asarray(quantized["neighbours"])[:, 0]))
        return cosine >= 0.98, (f"mean cosine(float, int8 embedding) {cosine:.4f} (>= 0.98); "
                                f"nearest neighbour agreement {same:.2f} (reported)")

    def parity_check(self, reference, actual):
        # Neighbour ids may swap where two similarities tie to float precision: compare the
        # vectors and similarities, and the ids where the similarities are well separated.
        for key in ("embeddings", "similarities"):
            np.testing.assert_allclose(np.asarray(actual[key]), np.asarray(reference[key]),
                                       atol=1e-4, rtol=0, err_msg=key)
        sims = np.asarray(reference["similarities"])
        gaps = np.diff(sims, axis=-1)
        separated = np.concatenate([-gaps[:, :1], -gaps], -1) > 1e-4
        separated &= np.concatenate([-gaps, -gaps[:, -1:]], -1) > 1e-4
        ref_ids, ids = np.asarray(reference["neighbours"]), np.asarray(actual["neighbours"])
        assert (ref_ids[separated] == ids[separated]).all(), (ref_ids, ids)


class WordEmbeddingTask(_EmbeddingTask):
    """word2vec with negative sampling or NCE (``Word2Vec``, skip-gram or CBOW): examples
    ``(target or context, candidates[, noise_log_kq]) -> [1, 0, ..., 0]`` from the corpus windows
    (``word2vec.training_examples``), binary cross-entropy on the logits. Embedded data:
    ``"stdlib_docstrings"``."""

    name = "word_embedding"

    def _examples(self, model, split, n=None, seed=0):
        from keras_zoo.models.sequence import word2vec

        config = model.get_config()
        size = config["vocabulary_size"]
        per_word = 2 * config["window"] if config["mode"] == "skipgram" else 1
        docs = _documents_for(size, split, n, per_word)
        return word2vec.training_examples(docs, size, config["mode"], config["window"],
                                          config["num_negative"], seed=seed, max_examples=n,
                                          objective=config.get("objective",
                                                               "negative_sampling"))

    def battery_data(self, model, entry, n=32, seed=0):
        return self._examples(model, "train", n, seed)

    def dataset(self, model, entry, split="train", batch_size=32, seed=0, n=None):
        x, y = self._examples(model, split, n, seed={"train": 0, "validation": 1,
                                                     "test": 2}[split])
        return array_dataset(x, y, split, batch_size, seed)

    def compile(self, model, entry, learning_rate=1e-2, optimizer=None):
        import keras

        model.compile(optimizer=optimizer or keras.optimizers.Adam(learning_rate),
                      loss=keras.losses.BinaryCrossentropy(from_logits=True),
                      metrics=[keras.metrics.BinaryAccuracy(threshold=0.0, name="accuracy")])


class CooccurrenceEmbeddingTask(_EmbeddingTask):
    """GloVe: pairs ``{"i", "j"}`` of co-occurring words -> their count ``X_ij`` (1/d
    weighted within the model's ``window``, ``glove.cooccurrence``), trained with the weighted
    least squares ``GloVeLoss(model.x_max, model.alpha)``. Embedded data:
    ``"stdlib_docstrings"``."""

    name = "cooccurrence_embedding"

    def _pairs(self, model, split, n=None, seed=0):
        from keras_zoo.models.sequence import glove

        size = vocabulary_size_of(model)
        docs = _documents_for(size, split, None if n is None else 4 * n, 2 * model.window)
        rows, cols, counts = glove.cooccurrence(docs, size, model.window)
        order = np.random.default_rng(seed).permutation(len(counts))[:n]
        return {"i": rows[order], "j": cols[order]}, counts[order]

    def battery_data(self, model, entry, n=32, seed=0):
        return self._pairs(model, "train", n, seed)

    def dataset(self, model, entry, split="train", batch_size=32, seed=0, n=None):
        x, y = self._pairs(model, split, n, seed)
        return array_dataset(x, y, split, batch_size, seed)

    def compile(self, model, entry, learning_rate=5e-2, optimizer=None):
        import keras

        from keras_zoo.models.sequence.glove import GloVeLoss

        model.compile(optimizer=optimizer or keras.optimizers.Adam(learning_rate),
                      loss=GloVeLoss(model.x_max, model.alpha))

"""GloVe (Pennington, Socher & Manning, GloVe: Global Vectors for Word Representation, EMNLP
2014): weighted least squares on the log co-occurrence counts,

    J = sum_{ij, X_ij > 0} f(X_ij) (w_i . w~_j + b_i + b~_j - log X_ij)^2,
    f(x) = (x / x_max)^alpha if x < x_max else 1     (x_max = 100, alpha = 3/4),

with co-occurrences weighted 1/d by the distance d of the two words (section 4.2); the word
vectors are ``W + W~`` (section 4.2). Queries: ``word2vec.nearest`` and ``word2vec.analogy``.
"""

from __future__ import annotations

import keras
import numpy as np

from keras_zoo.models.sequence._common import check_int


def cooccurrence(token_ids, vocabulary_size, window=5):
    """The symmetric co-occurrence counts with 1/d weighting, as ``(rows, cols, counts)`` of
    its nonzero entries (sorted, deterministic). Ids 0 (pad) and 1 ([UNK]) are skipped."""
    check_int("cooccurrence", "window", window)
    counts = {}
    for doc in token_ids:
        doc = [t for t in doc if t > 1]
        for i, wi in enumerate(doc):
            for d in range(1, window + 1):
                if i + d >= len(doc):
                    break
                wj = doc[i + d]
                for key in ((wi, wj), (wj, wi)):
                    counts[key] = counts.get(key, 0.0) + 1.0 / d
    keys = sorted(counts)
    rows = np.array([k[0] for k in keys], np.int32)
    cols = np.array([k[1] for k in keys], np.int32)
    return rows, cols, np.array([counts[k] for k in keys], np.float32)


def weighting(x, x_max=100.0, alpha=0.75):
    """GloVe's f(x): (x / x_max)^alpha below x_max, 1 above (eq. 9)."""
    x = np.asarray(x, np.float64)
    return np.where(x < x_max, (x / x_max) ** alpha, 1.0).astype(np.float32)


def training_arrays(rows, cols, counts, x_max=100.0, alpha=0.75):
    """``(inputs, log X, f(X))`` for ``GloVe.fit(inputs, log_x, sample_weight=f)`` with mean
    squared error: the weighted least squares of eq. 8."""
    return ({"i": rows, "j": cols}, np.log(counts).astype(np.float32),
            weighting(counts, x_max, alpha))


@keras.saving.register_keras_serializable(package="keras_zoo")
class GloVe(keras.Model):
    """Inputs ``{"i": [B], "j": [B]}`` word ids; output ``w_i . w~_j + b_i + b~_j`` ``[B]``.

    Args:
        vocabulary_size: number of token ids.
        embedding_dim: vector width (300 in the paper).
    """

    def __init__(self, vocabulary_size, embedding_dim=50, name=None, **kwargs):
        check_int("GloVe", "vocabulary_size", vocabulary_size, minimum=2)
        check_int("GloVe", "embedding_dim", embedding_dim)
        init = keras.initializers.RandomUniform(-0.5 / embedding_dim, 0.5 / embedding_dim)
        i = keras.Input((), dtype="int32", name="i")
        j = keras.Input((), dtype="int32", name="j")
        w = keras.layers.Embedding(vocabulary_size, embedding_dim, embeddings_initializer=init,
                                   name="word_vectors")(i)
        w_tilde = keras.layers.Embedding(vocabulary_size, embedding_dim,
                                         embeddings_initializer=init,
                                         name="context_vectors")(j)
        b = keras.layers.Embedding(vocabulary_size, 1, embeddings_initializer="zeros",
                                   name="word_bias")(i)
        b_tilde = keras.layers.Embedding(vocabulary_size, 1, embeddings_initializer="zeros",
                                         name="context_bias")(j)
        dot = keras.layers.Dot(axes=1, name="dot")([w, w_tilde])
        prediction = keras.layers.Add(name="prediction")([dot, b, b_tilde])
        prediction = keras.layers.Reshape((), name="log_count")(prediction)
        super().__init__({"i": i, "j": j}, prediction, name=name or "glove", **kwargs)
        self._config = {"vocabulary_size": vocabulary_size, "embedding_dim": embedding_dim}

    def get_config(self):
        return {**self._config, "name": self.name}

    def word_vectors(self):
        """``W + W~`` (the paper's choice for the final vectors)."""
        return (np.asarray(self.get_layer("word_vectors").embeddings)
                + np.asarray(self.get_layer("context_vectors").embeddings))

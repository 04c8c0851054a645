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

from keras_zoo.models.registry import register
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


def _check_weighting(owner, x_max, alpha):
    if not isinstance(x_max, (int, float)) or isinstance(x_max, bool) or x_max <= 0:
        raise ValueError(f"{owner}: x_max must be a positive number, got {x_max!r}.")
    if not isinstance(alpha, (int, float)) or isinstance(alpha, bool) or alpha <= 0:
        raise ValueError(f"{owner}: alpha must be a positive number, got {alpha!r}.")


@keras.saving.register_keras_serializable(package="keras_zoo")
class GloVeLoss(keras.losses.Loss):
    """Eq. 8 per pair: ``f(X_ij) (prediction - log X_ij)^2``, with ``y_true`` the raw
    co-occurrence count ``X_ij`` (> 0) and f ``weighting``; averaged over the batch (the
    paper's sum divided by the batch size). A zero count contributes nothing.

    Args:
        x_max: the count above which f is 1 (100 in the paper).
        alpha: f's exponent (3/4 in the paper).
    """

    def __init__(self, x_max=100.0, alpha=0.75, name="glove_loss", **kwargs):
        super().__init__(name=name, **kwargs)
        _check_weighting("GloVeLoss", x_max, alpha)
        self.x_max, self.alpha = float(x_max), float(alpha)

    def call(self, y_true, y_pred):
        ops = keras.ops
        x = ops.reshape(ops.cast(y_true, y_pred.dtype), ops.shape(y_pred))
        f = ops.where(x < self.x_max, ops.power(x / self.x_max, self.alpha), 1.0)
        log_x = ops.log(ops.maximum(x, 1e-12))
        return f * ops.square(y_pred - log_x)

    def get_config(self):
        return {**super().get_config(), "x_max": self.x_max, "alpha": self.alpha}


@keras.saving.register_keras_serializable(package="keras_zoo")
class GloVe(keras.Model):
    """Inputs ``{"i": [B], "j": [B]}`` word ids; output ``w_i . w~_j + b_i + b~_j`` ``[B]``.
    Train with ``GloVeLoss(model.x_max, model.alpha)`` on the counts ``X_ij``.

    Args:
        vocabulary_size: number of token ids.
        embedding_dim: vector width (300 in the paper).
        x_max: the weighting function's cut-off (100 in the paper).
        alpha: the weighting function's exponent (3/4 in the paper).
        window: the co-occurrence context radius (10 words each side in the paper).
    """

    def __init__(self, vocabulary_size, embedding_dim=50, x_max=100.0, alpha=0.75, window=10,
                 name=None, **kwargs):
        check_int("GloVe", "vocabulary_size", vocabulary_size, minimum=2)
        check_int("GloVe", "embedding_dim", embedding_dim)
        check_int("GloVe", "window", window)
        _check_weighting("GloVe", x_max, alpha)
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
        self.x_max, self.alpha, self.window = float(x_max), float(alpha), window
        self._config = {"vocabulary_size": vocabulary_size, "embedding_dim": embedding_dim,
                        "x_max": self.x_max, "alpha": self.alpha, "window": window}

    def get_config(self):
        return {**self._config, "name": self.name}

    #: The embedding layers whose sum is the served word vector (section 4.2: W + W~).
    vector_layers = ("word_vectors", "context_vectors")

    def word_vectors(self):
        """``W + W~`` (the paper's choice for the final vectors)."""
        return sum(np.asarray(self.get_layer(n).embeddings) for n in self.vector_layers)


register("glove", task="cooccurrence_embedding", family="word_embedding",
         tiny={"vocabulary_size": 200, "embedding_dim": 8, "x_max": 10.0, "alpha": 0.75,
               "window": 2},
         canonical={"vocabulary_size": 400000, "embedding_dim": 300, "x_max": 100.0,
                    "alpha": 0.75, "window": 10},
         # Counted, not built (0.96 GB): W, W~ (V x D each) and the two biases.
         params=2 * 400000 * (300 + 1),
         data="stdlib_docstrings", recipe="glove",
         paper="Pennington, Socher & Manning, GloVe: Global Vectors for Word Representation, "
               "EMNLP 2014",
         notes="Canonical: 300-d, x_max=100, alpha=3/4, window 10, the 400k-word vocabulary "
               "of the released vectors. Serves word ids -> W + W~ and nearest neighbours.")(GloVe)

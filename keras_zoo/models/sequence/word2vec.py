"""word2vec (Mikolov et al., Efficient Estimation of Word Representations in Vector Space, 2013;
Distributed Representations of Words and Phrases and their Compositionality, NeurIPS 2013):
CBOW and skip-gram, trained with negative sampling, and the nearest-neighbour and analogy
queries on the learned vectors (shared with GloVe).

Negative sampling maximises ``log s(u_o . v_c) + sum_{k} log s(-u_k . v_c)`` with k noise words
drawn from the unigram distribution to the 3/4 power: a binary cross-entropy on the logits
``[u_o . v_c, u_1 . v_c, ..., u_k . v_c]`` with labels ``[1, 0, ..., 0]``.

Noise-contrastive estimation (Gutmann & Hyvarinen 2010; Mnih & Teh 2012; the 2013 paper's
section 2.2, of which negative sampling is the simplification) classifies data from noise with
the posterior ``P(D = 1 | w, c) = s(u_w . v_c - log(k q(w)))``, q the noise distribution: the
same binary cross-entropy on the logits shifted by ``-log(k q(w))`` (an input,
``noise_log_kq``, computed from the corpus's noise distribution with the examples). With the
shift the scores approximate log-probabilities (self-normalised); without it they do not.
"""

from __future__ import annotations

import keras
import numpy as np

from keras_zoo.models.registry import register
from keras_zoo.models.sequence._common import check_choice, check_int

MODES = ("skipgram", "cbow")
OBJECTIVES = ("negative_sampling", "nce")


def noise_distribution(token_ids, vocabulary_size, power=0.75):
    """The unigram distribution raised to ``power`` (0.75 in the paper), padding excluded."""
    counts = np.bincount(np.concatenate([np.asarray(t).ravel() for t in token_ids]),
                         minlength=vocabulary_size).astype(np.float64)
    counts[:1] = 0
    p = counts ** power
    return p / p.sum()


def training_examples(token_ids, vocabulary_size, mode="skipgram", window=2, num_negative=5,
                      seed=0, max_examples=None, objective="negative_sampling"):
    """Examples for ``Word2Vec.fit``: ``(inputs, labels [N, 1 + k])``.

    skip-gram: one example per (centre, context) pair, ``inputs = {"target": [N], "candidates":
    [N, 1 + k]}``; CBOW: one per position, ``inputs = {"context": [N, 2 window] (0-padded at
    the edges), "candidates": [N, 1 + k]}`` (the centre word first, then k noise words).

    Args:
        token_ids: a list of int sequences (documents), 0 = padding/absent.
        vocabulary_size, mode, window, num_negative, seed: as named.
        max_examples: keep the first N examples.
        objective: ``"nce"`` adds ``inputs["noise_log_kq"]`` ``[N, 1 + k]``: ``log(k q(w))``
            of every candidate under the noise distribution q.
    """
    check_choice("training_examples", "mode", mode, MODES)
    check_choice("training_examples", "objective", objective, OBJECTIVES)
    check_int("training_examples", "window", window)
    check_int("training_examples", "num_negative", num_negative)
    rng = np.random.default_rng(seed)
    noise = noise_distribution(token_ids, vocabulary_size)
    centres, others = [], []
    for doc in token_ids:
        doc = [t for t in doc if t > 1]  # no padding, no [UNK]
        for i, centre in enumerate(doc):
            context = doc[max(0, i - window):i] + doc[i + 1:i + 1 + window]
            if not context:
                continue
            if mode == "skipgram":
                centres.extend([centre] * len(context))
                others.extend(context)
            else:
                centres.append(centre)
                others.append(context + [0] * (2 * window - len(context)))
    n = len(centres) if max_examples is None else min(len(centres), max_examples)
    centres = np.asarray(centres[:n], np.int32)
    negatives = rng.choice(vocabulary_size, size=(n, num_negative), p=noise).astype(np.int32)
    labels = np.zeros((n, 1 + num_negative), np.float32)
    labels[:, 0] = 1.0
    if mode == "skipgram":
        positives = np.asarray(others[:n], np.int32)
        inputs = {"target": centres,
                  "candidates": np.concatenate([positives[:, None], negatives], 1)}
    else:
        inputs = {"context": np.asarray(others[:n], np.int32),
                  "candidates": np.concatenate([centres[:, None], negatives], 1)}
    if objective == "nce":
        # A candidate the noise never draws (padding) gets a finite shift: it has no loss term
        # that matters (it is never a candidate) but must not make inf.
        q = np.maximum(noise[inputs["candidates"]], 1e-12)
        inputs["noise_log_kq"] = np.log(num_negative * q).astype(np.float32)
    return inputs, labels


@keras.saving.register_keras_serializable(package="keras_zoo")
class Word2Vec(keras.Model):
    """Skip-gram or CBOW with negative sampling or noise-contrastive estimation.

    skip-gram inputs ``{"target": [B], "candidates": [B, 1 + k]}``; CBOW inputs ``{"context":
    [B, 2 window], "candidates": [B, 1 + k]}`` (the CBOW input vector is the mean of the
    non-padding context vectors). Output: logits ``[B, 1 + k]`` (train with binary
    cross-entropy from logits). ``word_vectors()`` returns the input ("v") vectors.

    Args:
        vocabulary_size: number of token ids.
        embedding_dim: vector width (300 in the paper).
        mode: ``"skipgram"`` or ``"cbow"``.
        window: CBOW's context radius (its input is ``2 window`` ids).
        num_negative: k noise words per example (5-20 for small data in the paper).
        objective: ``"negative_sampling"`` (logits ``u . v``) or ``"nce"`` (an extra input
            ``noise_log_kq`` ``[B, 1 + k]``; logits ``u . v - log(k q(w))``).
    """

    def __init__(self, vocabulary_size, embedding_dim=100, mode="skipgram", window=2,
                 num_negative=5, objective="negative_sampling", name=None, **kwargs):
        check_int("Word2Vec", "vocabulary_size", vocabulary_size, minimum=2)
        check_int("Word2Vec", "embedding_dim", embedding_dim)
        check_choice("Word2Vec", "mode", mode, MODES)
        check_int("Word2Vec", "window", window)
        check_int("Word2Vec", "num_negative", num_negative)
        check_choice("Word2Vec", "objective", objective, OBJECTIVES)
        v = keras.layers.Embedding(vocabulary_size, embedding_dim, name="word_vectors",
                                   embeddings_initializer=keras.initializers.RandomUniform(
                                       -0.5 / embedding_dim, 0.5 / embedding_dim))
        u = keras.layers.Embedding(vocabulary_size, embedding_dim, name="context_vectors",
                                   embeddings_initializer="zeros")
        candidates = keras.Input((1 + num_negative,), dtype="int32", name="candidates")
        if mode == "skipgram":
            source = keras.Input((), dtype="int32", name="target")
            centre = v(source)  # [B, D]
        else:
            source = keras.Input((2 * window,), dtype="int32", name="context")
            vectors = v(source)
            weights = keras.ops.cast(keras.ops.expand_dims(keras.ops.not_equal(source, 0), -1),
                                     vectors.dtype)
            centre = keras.ops.sum(vectors * weights, axis=1) / keras.ops.maximum(
                keras.ops.sum(weights, axis=1), 1.0)
        logits = keras.layers.Dot(axes=(2, 1), name="logits")(
            [u(candidates), centre])
        inputs = {"target" if mode == "skipgram" else "context": source,
                  "candidates": candidates}
        if objective == "nce":
            inputs["noise_log_kq"] = keras.Input((1 + num_negative,), name="noise_log_kq")
            logits = keras.layers.Subtract(name="nce_logits")([logits, inputs["noise_log_kq"]])
        super().__init__(inputs, logits, name=name or f"word2vec_{mode}", **kwargs)
        self._config = {"vocabulary_size": vocabulary_size, "embedding_dim": embedding_dim,
                        "mode": mode, "window": window, "num_negative": num_negative,
                        "objective": objective}

    def get_config(self):
        return {**self._config, "name": self.name}

    #: The embedding layer served as the word vectors (the input vectors v).
    vector_layers = ("word_vectors",)

    def word_vectors(self):
        return np.asarray(self.get_layer("word_vectors").embeddings)


_PAPER = ("Mikolov et al., Distributed Representations of Words and Phrases and their "
          "Compositionality, NeurIPS 2013")


def _configs(mode):
    # canonical: 300-d, 5 noise words, window 5, the 692K-word vocabulary of the paper's News
    # corpus (section 3); counted, not built (1.7 GB): v and u, V x D each.
    return dict(tiny={"vocabulary_size": 200, "embedding_dim": 8, "mode": mode, "window": 2,
                      "num_negative": 3},
                canonical={"vocabulary_size": 692000, "embedding_dim": 300, "mode": mode,
                           "window": 5, "num_negative": 5})


_ENTRY = dict(task="word_embedding", family="word_embedding", params=2 * 692000 * 300,
              data="stdlib_docstrings", recipe="word2vec", paper=_PAPER,
              notes="Serves word ids -> input vectors v and their nearest neighbours (cosine).")
register("word2vec_skipgram", **_configs("skipgram"), **_ENTRY)(Word2Vec)
register("word2vec_cbow", **_configs("cbow"), **_ENTRY)(Word2Vec)
register("word2vec_skipgram_nce",
         tiny={**_configs("skipgram")["tiny"], "objective": "nce"},
         canonical={**_configs("skipgram")["canonical"], "objective": "nce"},
         **{**_ENTRY, "notes": "Noise-contrastive estimation: logits u.v - log(k q(w)). "
            + _ENTRY["notes"]})(Word2Vec)


def _unit(x):
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def nearest(vectors, vocabulary, query, k=5):
    """The ``k`` words with the highest cosine similarity to ``query`` (a word or a vector),
    excluding the query word itself and the specials; a list of ``(word, similarity)``."""
    index = {w: i for i, w in enumerate(vocabulary)}
    exclude = {0, 1}
    if isinstance(query, str):
        if query not in index:
            raise ValueError(f"nearest: {query!r} is not in the vocabulary.")
        exclude.add(index[query])
        query = vectors[index[query]]
    sims = _unit(np.asarray(vectors)) @ _unit(np.asarray(query, np.float64))
    order = [i for i in np.argsort(-sims) if i not in exclude][:k]
    return [(vocabulary[i], float(sims[i])) for i in order]


def analogy(vectors, vocabulary, a, b, c, k=1):
    """``a`` is to ``b`` as ``c`` is to ? (3CosAdd: the nearest to ``b - a + c``, excluding
    a, b and c), e.g. ``analogy(V, vocab, "man", "king", "woman") -> [("queen", s)]``."""
    index = {w: i for i, w in enumerate(vocabulary)}
    for word in (a, b, c):
        if word not in index:
            raise ValueError(f"analogy: {word!r} is not in the vocabulary.")
    unit = _unit(np.asarray(vectors, np.float64))
    target = unit[index[b]] - unit[index[a]] + unit[index[c]]
    sims = unit @ _unit(target)
    exclude = {0, 1, index[a], index[b], index[c]}
    order = [i for i in np.argsort(-sims) if i not in exclude][:k]
    return [(vocabulary[i], float(sims[i])) for i in order]

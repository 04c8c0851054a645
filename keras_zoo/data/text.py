"""An embedded text corpus (the standard library's docstrings), vocabularies, and TFDS text.

The corpus ships with Python: the docstrings of a fixed list of standard-library modules and of
their public classes and functions, collected in sorted order, so the same Python version always
gives the same text (another version may differ slightly; ``corpus_fingerprint()`` says which).
Documents are split deterministically: every ``VALIDATION_EVERY``-th docstring is validation.

    train = keras_zoo.data.text.corpus("train")          # list of str, one per docstring
    vocab = char_vocabulary(train)                        # ["", "[UNK]", " ", "a", ...]
    x, y = next_token_arrays(train, vocab, 64)            # character LM windows

Tokenisation is plain TensorFlow (``keras.layers.TextVectorization``: ``tf.strings`` ops and a
hash table), so a SavedModel that tokenises inside its graph needs neither keras_zoo nor
tensorflow-text to run. Token 0 is padding, token 1 is ``[UNK]`` (out-of-vocabulary).
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import inspect
import re
import sys

import numpy as np

#: Modules whose docstrings make the corpus; cheap to import, present on every CPython.
MODULES = (
    "abc", "argparse", "base64", "bisect", "calendar", "collections", "contextlib", "copy",
    "csv", "dataclasses", "datetime", "decimal", "difflib", "enum", "fractions", "functools",
    "gettext", "glob", "gzip", "heapq", "hmac", "html", "inspect", "ipaddress", "itertools",
    "json", "logging", "mailbox", "math", "operator", "optparse", "os", "pathlib", "pickle",
    "pprint", "queue", "random", "re", "sched", "secrets", "shlex", "shutil", "socket",
    "statistics", "string", "subprocess", "tarfile", "tempfile", "textwrap", "threading",
    "timeit", "tokenize", "traceback", "typing", "unittest", "urllib.parse", "uuid", "warnings",
    "weakref", "zipfile",
)
SPLITS = ("train", "validation")
VALIDATION_EVERY = 10
PAD_TOKEN, OOV_TOKEN = "", "[UNK]"


def _clean(doc):
    doc = inspect.cleandoc(doc)
    return re.sub(r"\s+", " ", doc).strip()


#: Labels of ``labelled_corpus``: what a docstring documents.
KINDS = ("module", "class", "function")


@functools.lru_cache(maxsize=1)
def _labelled_documents():
    docs = []
    for name in MODULES:
        module = importlib.import_module(name)
        if module.__doc__:
            docs.append((_clean(module.__doc__), 0))
        for attr in sorted(vars(module)):
            obj = getattr(module, attr)
            if attr.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            if (inspect.isclass(obj) or inspect.isfunction(obj)) and obj.__doc__:
                text = _clean(obj.__doc__)
                if len(text) >= 40:
                    docs.append((text, 1 if inspect.isclass(obj) else 2))
    return tuple(docs)


def _documents():
    return tuple(d for d, _ in _labelled_documents())


def labelled_corpus(split="train"):
    """``(texts, labels)``: each docstring with the kind of object it documents (``KINDS``:
    0 module, 1 class, 2 function), the embedded text-classification task; same split as
    ``corpus``."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}.")
    pairs = [p for i, p in enumerate(_labelled_documents())
             if (i % VALIDATION_EVERY == VALIDATION_EVERY - 1) == (split == "validation")]
    return [t for t, _ in pairs], np.array([k for _, k in pairs], np.int32)


def corpus(split="train", min_chars=0):
    """The docstrings of one split, as a list of strings.

    Args:
        split: ``"train"`` or ``"validation"`` (every 10th docstring).
        min_chars: leave out documents shorter than this.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}.")
    docs = _documents()
    keep = [i % VALIDATION_EVERY == VALIDATION_EVERY - 1 for i in range(len(docs))]
    if split == "train":
        keep = [not k for k in keep]
    return [d for d, k in zip(docs, keep, strict=True) if k and len(d) >= min_chars]


def corpus_fingerprint():
    """Python version and SHA-256 of the corpus: which text a trained model has seen."""
    digest = hashlib.sha256("\n".join(_documents()).encode()).hexdigest()[:16]
    return f"python{sys.version_info.major}.{sys.version_info.minor}:{digest}"


def char_vocabulary(texts, max_tokens=None, lowercase=False):
    """Characters by decreasing frequency (ties by code point), after ``PAD`` and ``[UNK]``.

    Args:
        texts: the training documents.
        max_tokens: keep at most this many ids in all (specials included).
        lowercase: count lower-cased text.
    """
    counts = {}
    for t in texts:
        for c in (t.lower() if lowercase else t):
            counts[c] = counts.get(c, 0) + 1
    return _ranked(counts, max_tokens)


def standardize(text):
    """The word tokeniser's normalisation: lower case, punctuation removed (as
    ``TextVectorization(standardize="lower_and_strip_punctuation")``)."""
    return re.sub(r"[!\"#$%&()*+,\-./:;<=>?@\[\\\]^_`{|}~']", "", text.lower())


def word_vocabulary(texts, max_tokens=None, min_count=1):
    """Words (lower case, punctuation stripped, split on whitespace) by decreasing frequency."""
    counts = {}
    for t in texts:
        for w in standardize(t).split():
            counts[w] = counts.get(w, 0) + 1
    counts = {w: c for w, c in counts.items() if c >= min_count}
    return _ranked(counts, max_tokens)


def _ranked(counts, max_tokens):
    if max_tokens is not None and (not isinstance(max_tokens, int) or max_tokens < 3):
        raise ValueError(f"max_tokens must be an int >= 3 or None, got {max_tokens!r}.")
    ranked = sorted(counts, key=lambda k: (-counts[k], k))
    if max_tokens is not None:
        ranked = ranked[:max_tokens - 2]
    return [PAD_TOKEN, OOV_TOKEN] + ranked


def vectorizer(vocabulary, level="char", sequence_length=None):
    """A ``keras.layers.TextVectorization`` over a vocabulary from this module (id 0 = pad,
    id 1 = ``[UNK]``). Inputs longer than ``sequence_length`` are **truncated** (the tail is
    dropped); shorter ones, and empty strings, are padded with 0.

    Args:
        vocabulary: ``char_vocabulary(...)`` or ``word_vocabulary(...)`` output.
        level: ``"char"`` (every character a token, no normalisation) or ``"word"``.
        sequence_length: pad/truncate to this length, or ``None`` (ragged to dense, batch max).
    """
    import keras

    if level not in ("char", "word"):
        raise ValueError(f"level must be 'char' or 'word', got {level!r}.")
    if list(vocabulary[:2]) != [PAD_TOKEN, OOV_TOKEN]:
        raise ValueError("vocabulary must start with ['', '[UNK]'] (pad and out-of-vocabulary).")
    return keras.layers.TextVectorization(
        vocabulary=list(vocabulary[2:]),
        standardize=None if level == "char" else "lower_and_strip_punctuation",
        split="character" if level == "char" else "whitespace",
        output_sequence_length=sequence_length)


def encode(texts, vocabulary, level="char"):
    """Python-side tokenisation, identical to ``vectorizer`` (a list of int lists)."""
    index = {t: i for i, t in enumerate(vocabulary)}
    out = []
    for t in texts:
        tokens = list(t) if level == "char" else standardize(t).split()
        out.append([index.get(tok, 1) for tok in tokens])
    return out


def next_token_arrays(texts, vocabulary, sequence_length, level="char", stride=None,
                      max_windows=None):
    """Language-model windows: ``x = ids[i : i+T]``, ``y = ids[i+1 : i+T+1]`` over the
    concatenated documents (a newline-free stream, one space between documents).

    Returns int32 ``(x [N, T], y [N, T])``.
    """
    if not isinstance(sequence_length, int) or sequence_length < 1:
        raise ValueError(f"sequence_length must be a positive int, got {sequence_length!r}.")
    stream = np.array([i for ids in encode([" ".join(texts)], vocabulary, level) for i in ids],
                      np.int32)
    stride = stride or sequence_length
    starts = np.arange(0, len(stream) - sequence_length - 1, stride)
    if max_windows is not None:
        starts = starts[:max_windows]
    x = np.stack([stream[s:s + sequence_length] for s in starts])
    y = np.stack([stream[s + 1:s + sequence_length + 1] for s in starts])
    return x, y


def unigram_perplexity(train_texts, eval_texts, vocabulary, level="char"):
    """Perplexity of the add-one unigram model fitted on ``train_texts``: the LM baseline."""
    counts = np.ones(len(vocabulary))
    for ids in encode(train_texts, vocabulary, level):
        np.add.at(counts, ids, 1)
    counts[0] = 0  # padding is never predicted
    with np.errstate(divide="ignore"):
        logp = np.log(counts / counts.sum())
    ids = np.concatenate([np.asarray(i, np.int64) for i in encode(eval_texts, vocabulary, level)])
    return float(np.exp(-logp[ids].mean()))


def tfds_text_classification(name="imdb_reviews", split="train", batch_size=32, data_dir=None,
                             text_key="text", label_key="label"):
    """A TFDS text-classification dataset as ``(text: tf.string, label: int)`` batches.

    Nothing is downloaded here (``download=False``): the data must already be prepared in
    ``data_dir``; tests run it under ``tfds.testing.mock_data``.
    """
    import tensorflow_datasets as tfds

    ds = tfds.load(name, split=split, data_dir=data_dir, download=False)
    return ds.map(lambda ex: (ex[text_key], ex[label_key])).batch(batch_size)

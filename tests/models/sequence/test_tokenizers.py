"""The WordPiece tokeniser in plain TF ops (keras_zoo.data.subword): it agrees with keras-hub's
WordPieceTokenizer, maps unknown words to [UNK], truncates as documented, survives empty
strings, and its vocabulary round-trips through .keras (and the SavedModel, in the battery)."""

import functools
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_zoo
from keras_zoo.data import subword, text

#: A hand-made vocabulary: the greedy longest match is checkable by eye.
VOCABULARY = list(subword.SPECIAL_TOKENS) + [
    "un", "##aff", "##able", "aff", "##a", "##b", "a", "b", "the", "cat", ",", ".", "!",
    "##s", "run", "##ning"]


def ids_of(tokens):
    return [VOCABULARY.index(t) for t in tokens]


@functools.lru_cache(maxsize=None)
def tokenizer_of(sequence_length, max_chars_per_word=24):
    # One instance per configuration: each traces its graph once (seconds on a busy CPU).
    return subword.WordPieceTokenizer(VOCABULARY, sequence_length,
                                      max_chars_per_word=max_chars_per_word)


def tokenize(texts, sequence_length=12, **kwargs):
    return np.asarray(tokenizer_of(sequence_length, **kwargs)(tf.constant(texts, tf.string)))


def test_greedy_longest_match_from_the_left():
    out = tokenize(["Unaffable cats, running!"])[0]
    expected = ids_of(["[CLS]", "un", "##aff", "##able", "cat", "##s", ",", "run", "##ning",
                       "!", "[SEP]"])
    assert out.tolist() == expected + [0]


def test_out_of_vocabulary_words_are_one_unk():
    # "dog" has no pieces; "cab" fails at "##c"; "\u00fc" is an unknown character.
    out = tokenize(["the dog cab \u00fcber a"])[0]
    assert out.tolist()[:7] == ids_of(["[CLS]", "the", "[UNK]", "[UNK]", "[UNK]", "a", "[SEP]"])
    too_long = tokenize(["a" + "b" * 30, "a" + "b" * 23])
    assert too_long[0].tolist()[:3] == ids_of(["[CLS]", "[UNK]", "[SEP]"])  # 31 > 24 chars
    assert too_long[1].tolist()[:3] == ids_of(["[CLS]", "a", "##b"])  # 24 chars: matched


def test_over_long_input_is_truncated_and_closed_with_sep():
    out = tokenize(["the cat " * 20], sequence_length=6)
    assert out.shape == (1, 6)
    assert out[0].tolist() == ids_of(["[CLS]", "the", "cat", "the", "cat", "[SEP]"])


def test_empty_and_blank_strings_do_not_crash():
    out = tokenize(["", "   ", "the"], sequence_length=5)
    cls_sep = ids_of(["[CLS]", "[SEP]"]) + [0, 0, 0]
    assert out[0].tolist() == cls_sep and out[1].tolist() == cls_sep
    assert tokenize([], sequence_length=5).shape == (0, 5)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="vocabulary must start with"):
        subword.WordPieceTokenizer(["[PAD]", "[UNK]"], 8)
    with pytest.raises(ValueError, match="sequence_length"):
        subword.WordPieceTokenizer(VOCABULARY, 1)
    with pytest.raises(ValueError, match="vocabulary_size"):
        subword.learn_wordpiece_vocabulary(["a b"], 3)


@pytest.fixture(scope="module")
def corpus_vocabulary():
    return list(subword.corpus_wordpiece_vocabulary(1000))


def test_learned_vocabulary_and_keras_hub_agree(corpus_vocabulary):
    """Our plain-TF tokeniser equals keras-hub's (tensorflow-text) on the held-out corpus."""
    keras_hub = pytest.importorskip("keras_hub")
    vocabulary = corpus_vocabulary
    assert tuple(vocabulary[:5]) == subword.SPECIAL_TOKENS
    assert 500 < len(vocabulary) <= 1000
    assert any(t.startswith("##") for t in vocabulary) and "the" in vocabulary
    reference = keras_hub.tokenizers.WordPieceTokenizer(
        vocabulary=["[PAD]"] + vocabulary[1:], lowercase=True, oov_token="[UNK]")
    ours = subword.WordPieceTokenizer(vocabulary, sequence_length=512)
    docs = [d for d in text.labelled_corpus("validation")[0][:20]
            if max(len(w) for w in d.split()) <= 20]  # ours: longer words are [UNK]
    assert len(docs) >= 10
    got = np.asarray(ours(tf.constant(docs)))
    for doc, row in zip(docs, got, strict=True):
        expected = [int(i) for i in np.asarray(reference([doc]))[0]][:510]
        assert row[1:1 + len(expected)].tolist() == expected, doc
    unk = np.mean(got[got > 0] == subword.UNK_ID)
    assert unk < 0.02  # the learned vocabulary covers the held-out text


def test_vocabulary_round_trips_through_keras(tmp_path, corpus_vocabulary):
    """Through .keras (the vocabulary is in the config); the SavedModel's table is checked in
    a fresh process by the conformance battery (bert_wordpiece_classifier, savedmodel)."""
    keras.utils.set_random_seed(0)
    entry = keras_zoo.models.info("bert_wordpiece_classifier")
    model = entry.build("tiny")
    assert model.vocabulary == corpus_vocabulary
    texts = tf.constant(["Return a new dict.", "", "zzqx \u4e2d\u6587 class Foo"])
    ids = np.asarray(model.tokenizer(texts))
    path = os.fspath(tmp_path / "m.keras")
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert loaded.vocabulary == model.vocabulary
    np.testing.assert_array_equal(np.asarray(loaded.tokenizer(texts)), ids)

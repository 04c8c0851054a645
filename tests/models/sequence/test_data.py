"""The embedded sequence data: synthetic tasks and the standard-library text corpus."""

import numpy as np
import pytest
import tensorflow as tf

from keras_zoo.data import sequences, text


def test_reversal_and_seq2seq_arrays():
    src, tgt = sequences.reversal(50, length=10, seed=3)
    np.testing.assert_array_equal(tgt, src[:, ::-1])
    assert src.min() >= sequences.FIRST_SYMBOL
    enc, dec_in, dec_out = sequences.seq2seq_arrays(src, tgt)
    assert (dec_in[:, 0] == sequences.START).all() and (dec_out[:, -1] == sequences.END).all()
    np.testing.assert_array_equal(dec_in[:, 1:], dec_out[:, :-1])
    again, _ = sequences.reversal(50, length=10, seed=3)
    np.testing.assert_array_equal(src, again)


def test_addition_is_arithmetic():
    src, tgt = sequences.addition(100, digits=3, seed=1)
    for a_plus_b, total in zip(sequences.decode_chars(src, sequences.ADDITION_CHARS),
                               sequences.decode_chars(tgt, sequences.ADDITION_CHARS), strict=True):
        a, b = a_plus_b.split("+")
        assert int(a) + int(b) == int(total) and len(total) == 4


def test_copy_with_delay():
    x, y = sequences.copy_with_delay(20, length=9, delay=4)
    np.testing.assert_array_equal(y[:, 4:], x[:, :5])
    assert (y[:, :4] == sequences.PAD).all()
    with pytest.raises(ValueError, match="delay"):
        sequences.copy_with_delay(2, length=4, delay=4)


def test_balanced_parentheses_labels_and_balance():
    x, y = sequences.balanced_parentheses(400, length=12)
    assert y.mean() == 0.5
    for row, label in zip(x, y, strict=True):
        depth, ok = 0, True
        for t in row:
            depth += 1 if t == sequences.OPEN else -1
            ok &= depth >= 0
        assert label == (ok and depth == 0)
    # Counting alone does not decide: some unbalanced words have as many "(" as ")".
    equal_counts = (x == sequences.OPEN).sum(1) == (x == sequences.CLOSE).sum(1)
    assert (equal_counts & (y == 0)).sum() > 20
    with pytest.raises(ValueError, match="length"):
        sequences.balanced_parentheses(4, length=7)


def test_corpus_is_deterministic_with_a_disjoint_split():
    train, validation = text.corpus("train"), text.corpus("validation")
    assert len(train) > 400 and len(validation) > 40
    assert len(set(train) & set(validation)) < 5  # only docstrings repeated across modules
    assert text.corpus("train") == train
    assert text.corpus_fingerprint().startswith("python3.")
    with pytest.raises(ValueError, match="split"):
        text.corpus("test")


def test_vectorizer_matches_python_encoding_and_handles_bad_input():
    vocabulary = text.char_vocabulary(text.corpus("train"), max_tokens=30)
    layer = text.vectorizer(vocabulary, "char", sequence_length=8)
    samples = ["def f", "", "\u00e9\u00e9x", "a" * 50]
    ids = layer(tf.constant(samples)).numpy()
    assert ids.shape == (4, 8)
    expected = text.encode(samples, vocabulary, "char")
    for row, exp in zip(ids, expected, strict=True):
        exp = (exp + [0] * 8)[:8]  # documented: truncated to sequence_length, padded with 0
        np.testing.assert_array_equal(row, exp)
    assert (ids[1] == 0).all()  # empty string: all padding, no crash
    assert ids[2, 0] == 1 and ids[2, 1] == 1  # OOV -> [UNK] = 1


def test_word_vocabulary_and_unigram_baseline():
    train = text.corpus("train")
    vocabulary = text.word_vocabulary(train, max_tokens=100)
    assert vocabulary[:2] == ["", "[UNK]"] and len(vocabulary) == 100
    assert vocabulary[2] == "the"
    ppl = text.unigram_perplexity(train, text.corpus("validation"),
                                  text.char_vocabulary(train))
    assert 10 < ppl < 60


def test_tfds_text_loader_on_mock_data():
    import tensorflow_datasets as tfds

    with tfds.testing.mock_data(num_examples=10):
        ds = text.tfds_text_classification("imdb_reviews", "train", batch_size=4)
        texts, labels = next(iter(ds))
    assert texts.dtype == tf.string and texts.shape[0] == 4
    assert labels.shape == (4,)

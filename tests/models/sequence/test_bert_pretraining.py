"""BERT pre-training data (sentence pairs, truncation, 80/10/10 masking), the transfer of the
pre-trained encoder into the classifier, and (slow) pre-training then fine-tuning."""

from __future__ import annotations

import numpy as np
import pytest

import keras_zoo
from keras_zoo.data import sentence_pairs, subword, text


def test_pack_pair_truncates_the_longer_segment_first():
    a, b = list(range(10, 20)), list(range(30, 33))
    tokens, segments, mask = sentence_pairs.pack_pair(a, b, 12, cls_id=2, sep_id=3)
    # 12 - 3 specials = 9 tokens: A (the longer) loses its last 4.
    assert tokens.tolist() == [2, 10, 11, 12, 13, 14, 15, 3, 30, 31, 32, 3]
    assert segments.tolist() == [0] * 8 + [1] * 4
    assert mask.tolist() == [1] * 12
    # Both long: they end equal (A first on a tie), and neither is emptied.
    tokens, segments, _ = sentence_pairs.pack_pair(list(range(10, 30)), list(range(40, 55)), 11,
                                                   cls_id=2, sep_id=3)
    assert tokens.tolist() == [2, 10, 11, 12, 13, 3, 40, 41, 42, 43, 3]
    assert segments.tolist() == [0] * 6 + [1] * 5
    # A short pair is padded, not truncated.
    tokens, segments, mask = sentence_pairs.pack_pair([7], [8, 9], 8, cls_id=2, sep_id=3)
    assert tokens.tolist() == [2, 7, 3, 8, 9, 3, 0, 0] and mask.tolist() == [1] * 6 + [0] * 2
    with pytest.raises(ValueError, match="sequence_length"):
        sentence_pairs.pack_pair([1], [2], 4, 2, 3)


def test_next_sentence_pairs_are_half_true_and_true_ones_are_consecutive():
    texts = text.corpus("train")
    pairs = sentence_pairs.next_sentence_pairs(texts, seed=0)
    labels = np.array([p[2] for p in pairs])
    assert 0.45 < labels.mean() < 0.55
    consecutive = {(s[i], s[i + 1]) for t in texts
                   for s in [sentence_pairs.sentences(t)] for i in range(len(s) - 1)}
    assert all((a, b) in consecutive for a, b, y in pairs if y == 1)
    assert sum((a, b) in consecutive for a, b, y in pairs if y == 0) < 0.01 * len(pairs)
    assert sentence_pairs.next_sentence_pairs(texts, seed=0) == pairs


def test_masking_is_80_10_10_over_real_tokens_only():
    rng = np.random.default_rng(0)
    ids = rng.integers(5, 100, (400, 40)).astype(np.int32)
    ids[:, 30:] = 0  # padding
    ids[:, 0] = 2
    masked, positions, labels, weights = sentence_pairs.mask_tokens(
        ids, mask_id=4, vocabulary_size=100, num_predictions=8, seed=1, first_maskable=5)
    chosen = weights > 0
    # 15% of the 29 real tokens, rounded: 4 per sequence; never padding or [CLS].
    assert (chosen.sum(1) == 4).all()
    rows = np.repeat(np.arange(len(ids))[:, None], 8, 1)[chosen]
    at = positions[chosen]
    assert ((at >= 1) & (at < 30)).all()
    np.testing.assert_array_equal(labels[chosen], ids[rows, at])
    assert (labels[~chosen] == 0).all()
    new = masked[rows, at]
    fraction_mask = np.mean(new == 4)
    fraction_kept = np.mean(new == ids[rows, at])
    assert abs(fraction_mask - 0.8) < 0.03, fraction_mask
    # Kept: 10%, plus the random replacements that drew the same token (1/95 of 10%).
    assert abs(fraction_kept - 0.1) < 0.03, fraction_kept
    assert abs(1 - fraction_mask - fraction_kept - 0.1) < 0.03
    # Nothing else changed.
    untouched = np.ones_like(ids, bool)
    untouched[rows, at] = False
    np.testing.assert_array_equal(masked[untouched], ids[untouched])


def test_python_wordpiece_equals_the_in_graph_tokenizer():
    """~3 s: the in-graph tokenizer traces once."""
    import tensorflow as tf

    vocabulary = list(subword.corpus_wordpiece_vocabulary(1000))
    texts = text.corpus("validation")[:40] + ["", "zyxxq Ünïcode — “quotes” 東京 x" * 3]
    tokenizer = subword.WordPieceTokenizer(vocabulary, 256)
    reference = np.asarray(tokenizer(tf.constant(np.array(texts, dtype=str))))
    ours = sentence_pairs.wordpiece_ids(vocabulary, texts)
    for row, ids in zip(reference, ours, strict=True):
        row = row[1:].tolist()
        assert row[:row.index(subword.SEP_ID)] == ids[:254]


def test_pretraining_arrays_are_packed_masked_pairs():
    vocabulary = list(subword.corpus_wordpiece_vocabulary(1000))
    x, y = sentence_pairs.pretraining_arrays(text.corpus("train"), vocabulary, 24, 4, n=64)
    assert x["token_ids"].shape == (64, 24) and x["mask_positions"].shape == (64, 4)
    assert (x["token_ids"][:, 0] == subword.CLS_ID).all()
    # Two [SEP]s per row (masking never touches specials) and segment 1 after the first.
    seps = (x["token_ids"] == subword.SEP_ID).sum(1)
    assert (seps == 2).all()
    assert set(np.unique(y["nsp"])) == {0, 1}
    used = y["mlm"] > 0
    assert used.any(1).all()


def test_pretrained_encoder_transfers_into_the_classifier(tmp_path):
    from keras_zoo import transfer

    config = dict(keras_zoo.models.info("bert_pretraining").tiny)
    pretrainer = keras_zoo.models.get("bert_pretraining", preset="tiny")
    path = tmp_path / "pretrained.keras"
    pretrainer.save(path)
    classifier_config = {k: v for k, v in config.items() if k != "num_predictions"}
    classifier = keras_zoo.models.get("bert_wordpiece_classifier", **classifier_config)
    factor = transfer.prepare(classifier, "bert_wordpiece_classifier", str(path),
                              config=classifier_config)
    assert factor == 1.0
    for name in ("token_embedding", "segment_embedding", "transformer_layer_0_attention",
                 "pooled_dense"):
        for mine, theirs in zip(classifier.get_layer(name).get_weights(),
                                pretrainer.get_layer(name).get_weights(), strict=True):
            np.testing.assert_array_equal(mine, theirs)
    # The head is new.
    assert classifier.get_layer("predictions").get_weights()[0].shape == (16, 3)


#: Pre-training and fine-tuning size: the tiny config (width 16) barely beats the unigram
#: prior on the masked tokens.
_SIZE = {"num_layers": 2, "hidden_dim": 64, "num_heads": 4, "intermediate_dim": 128}


@pytest.mark.slow
def test_pretraining_learns_and_fine_tuning_beats_scratch(tmp_path):
    """~30 min on 2 idle cores."""
    import training
    from keras_zoo.tasks import get_task

    pre = training.train("bert_pretraining", out=str(tmp_path / "pre"), verbose=0, **_SIZE)
    task = get_task("masked_language_model")
    _, y = task._arrays(pre.model, None, "train")
    _, y_test = task._arrays(pre.model, None, "test")
    # The unigram prior: always the most frequent masked token of the training split.
    top = np.bincount(y["mlm"][y["mlm"] > 0]).argmax()
    unigram = float(np.mean(y_test["mlm"][y_test["mlm"] > 0] == top))
    print("pre", pre.metrics, "unigram", unigram)
    assert pre.metrics["mlm_accuracy"] > max(3 * unigram, 100 / len(pre.model.vocabulary))
    scratch = training.train("bert_wordpiece_classifier", out=str(tmp_path / "scratch"),
                             verbose=0, **_SIZE)
    tuned = training.train("bert_wordpiece_classifier", out=str(tmp_path / "tuned"), verbose=0,
                           from_checkpoint=str(tmp_path / "pre" / "model.keras"), **_SIZE)
    print("scratch", scratch.metrics, "tuned", tuned.metrics)
    assert tuned.metrics["accuracy"] > scratch.metrics["accuracy"], (scratch.metrics,
                                                                     tuned.metrics)

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


def test_each_copy_draws_its_own_next_sentence_pairs_and_masks():
    """BERT's data preparation (create_pretraining_data.py) redraws the random next sentences
    and the masks for every one of its dupe_factor copies; one draw repeated was memorised."""
    vocabulary = list(subword.corpus_wordpiece_vocabulary(1000))
    texts = text.corpus("train")
    one, labels_one = sentence_pairs.pretraining_arrays(texts, vocabulary, 24, 4, n=64)
    x, y = sentence_pairs.pretraining_arrays(texts, vocabulary, 24, 4, n=64, dupe_factor=3)
    assert x["token_ids"].shape == (192, 24) and y["nsp"].shape == (192,)
    # The first copy's pairs are the single draw's; the others differ in is_next and B.
    np.testing.assert_array_equal(y["nsp"][:64], labels_one["nsp"])
    np.testing.assert_array_equal(x["segment_ids"][:64], one["segment_ids"])
    assert (y["nsp"][:64] != y["nsp"][64:128]).mean() > 0.25
    assert (y["nsp"][64:128] != y["nsp"][128:]).mean() > 0.25
    # Each copy has its own masks.
    assert not np.array_equal(x["mask_positions"][:64], x["mask_positions"][64:128])
    with pytest.raises(ValueError, match="dupe_factor"):
        sentence_pairs.pretraining_arrays(texts, vocabulary, 24, 4, n=8, dupe_factor=0)


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


@pytest.mark.slow
def test_training_entry_point_fine_tunes_the_pretrained_checkpoint(tmp_path):
    """~80 s under load (most of it tokenising the corpus for each run).

    ``training.train("bert_wordpiece_classifier", from_checkpoint=...)``, as
    ``keras-zoo train ... --from``: the encoder starts from the pre-trained model (with the
    encoder frozen it ends equal to it) and only the new head learns; fine-tuning trains at a
    tenth of the recipe's rate."""
    import training

    config = {k: v for k, v in keras_zoo.models.info("bert_pretraining").tiny.items()
              if k != "num_predictions"}
    pretrainer = keras_zoo.models.get("bert_pretraining", preset="tiny")
    path = str(tmp_path / "pretrained.keras")
    pretrainer.save(path)
    frozen = training.train("bert_wordpiece_classifier", out=str(tmp_path / "frozen"),
                            epochs=1, verbose=0, from_checkpoint=path, freeze="backbone",
                            **config)
    for name in ("token_embedding", "transformer_layer_0_attention", "pooled_dense"):
        for mine, theirs in zip(frozen.model.get_layer(name).get_weights(),
                                pretrainer.get_layer(name).get_weights(), strict=True):
            np.testing.assert_array_equal(mine, theirs)
    fresh = keras_zoo.models.get("bert_wordpiece_classifier", preset="tiny", **config)
    assert not np.array_equal(frozen.model.get_layer("predictions").get_weights()[0],
                              fresh.get_layer("predictions").get_weights()[0])
    tuned = training.train("bert_wordpiece_classifier", out=str(tmp_path / "tuned"), epochs=1,
                           verbose=0, from_checkpoint=path, fine_tune=True, **config)
    assert tuned.recipe.learning_rate == pytest.approx(frozen.recipe.learning_rate / 10)
    assert all(layer.trainable for layer in tuned.model.layers if layer.weights)


#: Pre-training and fine-tuning size: the tiny config (width 16) barely beats the unigram
#: prior on the masked tokens.
_SIZE = {"num_layers": 2, "hidden_dim": 64, "num_heads": 4, "intermediate_dim": 128}
#: The label budget: fine-tuning and training from scratch see the same 100 labelled training
#: documents (a seeded draw); the other 491 of the training split are held out for the
#: comparison. The 65-document test split could not separate the two (0.692 against 0.785,
#: 95 % interval about +-0.10), and few labels are where pre-training should matter most.
_BUDGET = 100
#: Label draws: the comparison is repeated on this many seeded draws of the budget (each with
#: its own weight initialisation and shuffling, the same for both arms of a draw). One draw
#: could not separate the two: on seed 0 alone, +0.031 (interval -0.012 to +0.071).
_DRAWS = 10
#: The classifiers of the comparison (fine-tuned and from scratch alike) read the mean of the
#: last layer's tokens: the pre-trained [CLS] pooler holds no label information here (see
#: BertClassifier's ``pooling``).
_POOLING = "mean"


def _train_on_budget(checkpoint, x, y, seed=0, epochs=30, batch_size=16):
    """The held-out documents (indices into ``x``) and their correctness after training
    bert_wordpiece_classifier by its recipe on the ``_BUDGET`` documents of draw ``seed``,
    from ``checkpoint`` (fine-tuned at the transfer learning rate, as ``keras-zoo train --from
    CHECKPOINT --fine-tune``) or from scratch (None). ``x, y``: the tokenised training split."""
    import dataclasses

    import keras

    from keras_zoo import transfer
    from keras_zoo.tasks import get_task
    from keras_zoo.tasks.base import array_dataset
    from training.recipes import get_recipe

    entry = keras_zoo.models.info("bert_wordpiece_classifier")
    task = get_task(entry.task)
    recipe = get_recipe(entry.recipe)
    keras.utils.set_random_seed(seed)
    config = {**recipe.config, **_SIZE, "pooling": _POOLING}
    model = entry.build(recipe.preset, **config)
    if checkpoint is not None:
        factor = transfer.prepare(model, entry.name, checkpoint, fine_tune=True,
                                  config=entry.config(recipe.preset, **config))
        recipe = dataclasses.replace(recipe, learning_rate=recipe.learning_rate * factor)
    order = np.random.default_rng(seed).permutation(len(y))
    budget, held_out = order[:_BUDGET], order[_BUDGET:]
    ds = array_dataset(x[budget], y[budget], "train", batch_size, seed)
    task.compile(model, entry, optimizer=recipe.make_optimizer(int(ds.cardinality()), epochs))
    model.fit(ds, epochs=epochs, verbose=0)
    predicted = np.asarray(model.predict(x[held_out], verbose=0)).argmax(-1)
    return held_out, predicted == y[held_out]


def _draws_and_documents_interval(difference, rounds=2000, seed=0):
    """The 95 % percentile-bootstrap interval of the mean of ``difference`` [draws, documents]
    (NaN where a document was in the draw's budget), resampling the draws and the documents
    both: the spread between training runs and the documents' own difficulty both count."""
    rng = np.random.default_rng(seed)
    draws, documents = difference.shape
    boot = []
    while len(boot) < rounds:
        picked = difference[rng.integers(0, draws, draws)][:, rng.integers(0, documents,
                                                                            documents)]
        scored = ~np.isnan(picked)
        if scored.any():  # (only a tiny matrix can pick no scored document)
            boot.append(picked[scored].mean())
    low, high = np.percentile(boot, [2.5, 97.5])
    return float(low), float(high)


def test_draws_and_documents_interval_resamples_both():
    # Every draw +1 on its documents: the interval is the point.
    assert _draws_and_documents_interval(np.ones((3, 5)), rounds=50) == (1.0, 1.0)
    # Draws that disagree widen it; the documents' spread alone is narrower.
    difference = np.array([[1.0, 1.0, np.nan, 1.0], [0.0, np.nan, 0.0, 0.0]])
    low, high = _draws_and_documents_interval(difference, rounds=500)
    assert low == 0.0 and high == 1.0
    one = np.where(np.arange(40) % 2, 1.0, 0.0)[None]
    low, high = _draws_and_documents_interval(one, rounds=500)
    assert 0.3 < low < 0.5 < high < 0.7


@pytest.mark.slow
def test_pretraining_learns_and_fine_tuning_beats_scratch(tmp_path):
    """~15 min under load ~15 on 2 cores (pre-training ~5 min, then 20 classifier trainings).

    The comparison: on each of ``_DRAWS`` seeded draws of ``_BUDGET`` labelled documents, one
    classifier from scratch (the recipe: Adam 3e-3, cosine) and one fine-tuned from the
    pre-trained checkpoint (the same recipe at a tenth of the rate, as ``--fine-tune``), both
    scored on the draw's 491 held-out documents. The difference is paired per document within
    a draw; its interval resamples the draws and the documents (a bad run counts whole).

    Measured (this test, draws 0 to 9): pre-training's masked-LM test accuracy 0.244 (unigram
    prior 0.037); held-out accuracy, mean over the draws, scratch 0.597, fine-tuned 0.678,
    difference +0.080 (95 % interval over draws and documents +0.038 to +0.125; a t interval
    over the ten per-draw differences +0.033 to +0.127). Per draw: +0.029, +0.132, +0.090,
    +0.004, +0.224, +0.118, +0.079, +0.020, +0.061, +0.045 (fine-tuned ahead in all ten;
    scratch 0.440 to 0.682, fine-tuned 0.652 to 0.711: much of the gain is that fine-tuning
    never falls to scratch's worst draws, e.g. 0.440 against the majority class's 0.578).

    The fine-tuning schedule was chosen on the 65-document validation split, never on the
    held-out documents: over draws 0-4 (an earlier run of this pre-training, with the same
    masked-LM figures) plain fine-tuning gained +0.095 there over scratch, 10 epochs with the
    encoder frozen (the head at 3e-3) then 20 of everything at 3e-4 +0.086, so plain
    fine-tuning stays. A longer pre-training
    (25 epochs, stopped at 8) reached a lower validation masked-LM loss (4.10 against 4.29) but
    a lower test masked-LM accuracy (0.207 against 0.244), so the recipe stays too.

    Before (one draw, seed 0): with mean pooling scratch 0.682, fine-tuned 0.713 (+0.031,
    interval -0.012 to +0.071); pre-training's masked-LM test accuracy 0.229 (unigram prior
    0.037). With the [CLS] pooler: scratch 0.695; fine-tuned 0.593 after the recipe's
    pre-training (10 copies, each its own next-sentence draw and masks, early stopping on the
    validation masked-LM loss), 0.613 fine-tuned at the full 3e-3; before (20 epochs over 5
    copies of one draw) 0.629; a frozen pre-trained encoder with a new head 0.556 (the
    majority class 0.578); pre-trained with dropout 0.1 for 12 epochs (masked-LM validation
    0.122) 0.556 against scratch 0.629 at dropout 0.1. On the first 100 documents instead of
    a random draw: scratch 0.580, fine-tuned at 3e-3 0.403, at 3e-4 0.552 against scratch at
    3e-4 0.503 (+0.049, interval -0.012 to +0.108)."""
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

    entry = keras_zoo.models.info("bert_wordpiece_classifier")
    classifier = entry.build("tiny", **_SIZE, pooling=_POOLING)
    x, labels = get_task(entry.task)._arrays(classifier, entry, "train")
    checkpoint = str(tmp_path / "pre" / "model.keras")
    difference = np.full((_DRAWS, len(labels)), np.nan)
    accuracies = []
    for seed in range(_DRAWS):
        held_out, scratch = _train_on_budget(None, x, labels, seed)
        again, tuned = _train_on_budget(checkpoint, x, labels, seed)
        np.testing.assert_array_equal(held_out, again)
        difference[seed, held_out] = tuned.astype(float) - scratch
        accuracies.append((scratch.mean(), tuned.mean()))
        print(f"draw {seed}: scratch {scratch.mean():.3f}, fine-tuned {tuned.mean():.3f}")
    scratch_mean, tuned_mean = np.mean(accuracies, axis=0)
    per_draw = np.nanmean(difference, axis=1)
    low, high = _draws_and_documents_interval(difference)
    print(f"held-out accuracy after {_BUDGET} labels, mean over {_DRAWS} draws: scratch "
          f"{scratch_mean:.3f}, fine-tuned {tuned_mean:.3f}, difference "
          f"{np.nanmean(difference):+.3f} (95 % interval over draws and documents {low:+.3f} "
          f"to {high:+.3f}); per draw {np.round(per_draw, 3).tolist()}")
    assert low > 0, (scratch_mean, tuned_mean, low, high)


def test_mean_pooling_reads_the_mean_of_the_real_tokens():
    import keras

    model = keras_zoo.models.get("bert_classifier", preset="tiny", pooling="mean")
    assert "pooled_dense" not in [layer.name for layer in model.layers]
    tokens = np.array([[2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0],
                       [1, 2, 3, 4, 1, 2, 3, 4, 1, 0, 0, 0]], np.int32)
    last = keras.Model(model.input, model.get_layer("transformer_layer_0_mlp_norm").output)
    sequence = np.asarray(last(tokens))
    real = (tokens != 0)[..., None]
    mean = (sequence * real).sum(1) / real.sum(1)
    kernel, bias = model.get_layer("predictions").get_weights()
    logits = mean @ kernel + bias
    expected = np.exp(logits - logits.max(-1, keepdims=True))
    expected /= expected.sum(-1, keepdims=True)
    np.testing.assert_allclose(np.asarray(model(tokens)), expected, atol=1e-5)
    assert model.get_config()["pooling"] == "mean"
    with pytest.raises(ValueError, match="pooling"):
        keras_zoo.models.get("bert_classifier", preset="tiny", pooling="max")

"""The Transformer's padding masks (encoder self-attention, decoder cross-attention, loss) on
variable-length pairs, and (slow) training with the paper's warm-up schedule and label
smoothing to exact-match >= 0.99 on variable-length reversal."""

from __future__ import annotations

import time

import keras
import numpy as np
import pytest

import keras_zoo
from keras_zoo.data import sequences
from keras_zoo.models.sequence.transformer import Transformer, transformer_optimizer
from keras_zoo.tasks import get_task
from keras_zoo.tasks.seq2seq import SmoothedSparseCrossentropy, exact_match

_SIZE = dict(vocabulary_size=13, num_layers=1, d_model=16, d_ff=32, num_heads=2, dropout=0.0)


def test_padded_batch_equals_unpadded_sequences_on_real_positions():
    keras.utils.set_random_seed(0)
    padded_model = Transformer(source_length=8, target_length=7, **_SIZE)
    rng = np.random.default_rng(0)
    for length, target_length in ((3, 2), (5, 4), (8, 7)):
        # The same weights at the exact lengths (sinusoidal positions: no length-shaped weight).
        exact = Transformer(source_length=length, target_length=target_length, **_SIZE)
        exact.set_weights(padded_model.get_weights())
        source = rng.integers(3, 13, (2, length)).astype(np.int32)
        decoder = np.concatenate([np.full((2, 1), sequences.START), rng.integers(
            3, 13, (2, target_length))], 1).astype(np.int32)
        expected = np.asarray(exact({"encoder_tokens": source, "decoder_tokens": decoder}))
        padded_source = np.zeros((2, 8), np.int32)
        padded_source[:, :length] = source
        padded_decoder = np.zeros((2, 8), np.int32)
        padded_decoder[:, :target_length + 1] = decoder
        got = np.asarray(padded_model({"encoder_tokens": padded_source,
                                       "decoder_tokens": padded_decoder}))
        np.testing.assert_allclose(got[:, :target_length + 1], expected, atol=1e-5)
    # Without the mask the padding would change the outputs: the check can fail.
    source = np.array([[5, 6, 7, 0, 0, 0, 0, 0]], np.int32)
    other = np.array([[5, 6, 7, 0, 0, 0, 0, 0]], np.int32)
    other[0, 3:] = 9  # real tokens where the first has padding
    decoder = np.zeros((1, 8), np.int32)
    decoder[0, 0] = sequences.START
    a = np.asarray(padded_model({"encoder_tokens": source, "decoder_tokens": decoder}))
    b = np.asarray(padded_model({"encoder_tokens": other, "decoder_tokens": decoder}))
    assert np.abs(a - b).max() > 1e-3


def test_loss_and_accuracy_skip_padded_targets():
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(2, 5, 7)).astype(np.float32)
    labels = np.array([[3, 4, 2, 0, 0], [5, 2, 0, 0, 0]], np.int32)
    loss = float(SmoothedSparseCrossentropy(0.1, ignore_class=0)(labels, logits))
    log_p = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    target = np.full((2, 5, 7), 0.1 / 7)
    target[np.arange(2)[:, None], np.arange(5)[None, :], labels] += 0.9
    per_step = -(target * log_p).sum(-1)
    real = labels != 0
    assert loss == pytest.approx(per_step[real].mean(), rel=1e-5)
    # The seq2seq task's compiled loss is that one.
    model = Transformer(source_length=4, target_length=4, **_SIZE)
    get_task("seq2seq").compile(model, None, label_smoothing=0.1)
    assert float(model.loss(labels, logits)) == pytest.approx(loss, rel=1e-6)
    model = Transformer(source_length=4, target_length=4, **_SIZE)
    get_task("seq2seq").compile(model, None)
    plain = model.loss(labels, logits)
    assert float(plain) == pytest.approx(float(-log_p[real, labels[real]].mean()), rel=1e-5)
    from keras_zoo.tasks.masked_language_model import UnpaddedAccuracy

    metric = UnpaddedAccuracy()
    predicted = np.eye(7)[np.array([[3, 4, 2, 1, 1], [6, 2, 1, 1, 1]])]
    metric.update_state(labels, predicted)
    assert float(metric.result()) == pytest.approx(4 / 5)


def test_variable_reversal_pairs_end_after_the_real_tokens():
    source, target = sequences.variable_reversal(200, max_length=6, num_symbols=5, seed=0)
    lengths = (source != 0).sum(1)
    assert lengths.min() == 1 and lengths.max() == 6
    for s, t, k in zip(source, target, lengths, strict=True):
        assert (s[k:] == 0).all() and (s[:k] >= 3).all()
        np.testing.assert_array_equal(t[:k], s[:k][::-1])
        assert (t[k:] == 0).all()
    enc, dec_in, dec_out = sequences.seq2seq_arrays(source, target)
    assert (dec_in[:, 0] == sequences.START).all()
    rows = np.arange(len(source))
    assert (dec_out[rows, lengths] == sequences.END).all()
    assert ((dec_out == sequences.END).sum(1) == 1).all()
    # With the end marker the source carries <end> after its real tokens, one column more.
    marked, marked_target = sequences.variable_reversal(200, max_length=6, num_symbols=5,
                                                        seed=0, end_marker=True)
    expected = np.concatenate([source, np.zeros((200, 1), np.int32)], 1)
    expected[rows, lengths] = sequences.END
    np.testing.assert_array_equal(marked, expected)
    np.testing.assert_array_equal(marked_target[:, :6], target)
    assert (marked_target[:, 6] == 0).all()
    # Fixed-length pairs are unchanged: END last.
    _, _, fixed = sequences.seq2seq_arrays(*sequences.reversal(4, 5))
    assert (fixed[:, -1] == sequences.END).all()


def test_exact_match_stops_at_end():
    targets = np.array([[5, 4, sequences.END, 0], [3, sequences.END, 0, 0]])
    decoded = np.array([[5, 4, sequences.END, 7], [3, sequences.END, 9, 9]])
    assert exact_match(None, None, targets, decode=lambda m, x: decoded) == 1.0
    decoded[1, 0] = 4
    assert exact_match(None, None, targets, decode=lambda m, x: decoded) == 0.5


def test_transformer_entry_trains_on_variable_lengths_with_smoothing_and_warmup():
    entry = keras_zoo.models.info("transformer")
    assert entry.data == "variable_reversal"
    from training.recipes import get_recipe

    recipe = get_recipe(entry.recipe)
    assert recipe.compile_options["label_smoothing"] == 0.1
    optimizer = recipe.make_optimizer(10, model=keras_zoo.models.get("transformer",
                                                                     preset="tiny"))
    schedule = optimizer._learning_rate  # the schedule object (Keras has no public getter)
    warmup = recipe.optimizer_options["warmup_steps"]
    rates = [float(schedule(s)) for s in (0, warmup - 1, 4 * warmup - 1)]
    # Linear rise to the peak at warmup_steps, then ~ step^-0.5 (eq. 3).
    assert rates[0] < rates[1] and rates[2] == pytest.approx(rates[1] / 2, rel=1e-3)


@pytest.mark.slow
def test_masked_transformer_variable_reversal_exact_match():
    keras.utils.set_random_seed(0)
    entry = keras_zoo.models.info("transformer")
    # Source and target 11 long: sources of 1 to 10 tokens and their <end>.
    model = Transformer(13, 11, 11, num_layers=2, d_model=64, d_ff=128, num_heads=4,
                        dropout=0.0)
    task = get_task("seq2seq")
    task.compile(model, entry, optimizer=transformer_optimizer(64, warmup_steps=400),
                 label_smoothing=0.1)
    start = time.time()
    model.fit(task.dataset(model, entry, "train", batch_size=64, n=8000), epochs=30, verbose=0)
    seconds = time.time() - start
    x, y = task._arrays(model, entry, "test", 1000)
    score = exact_match(model, x["encoder_tokens"], y)
    print(f"masked transformer: variable-length reversal exact match {score:.4f} on 1000 test "
          f"sequences, trained {seconds:.0f}s")
    assert score >= 0.99

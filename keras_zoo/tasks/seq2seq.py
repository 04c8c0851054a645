"""Sequence to sequence: source tokens in, target tokens out (greedy decoding in the graph)."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from keras_zoo.data.sequences import END
from keras_zoo.tasks.base import Task, array_dataset


class Seq2SeqTask(Task):
    """Models with inputs ``encoder_tokens`` ``[B, S]`` and ``decoder_tokens`` ``[B, T + 1]``
    returning logits ``[B, T + 1, V]``, and attributes ``source_length``, ``target_length``,
    ``vocabulary_size``. Embedded data: ``"reversal"``, ``"variable_reversal"`` (lengths 1 to
    ``source_length - 1``, then ``<end>``, right-padded) or ``"addition"`` (keras_zoo.data.sequences). The loss and
    the accuracy skip padded targets (id 0). Serving: ``source`` int32 ``[B, S]`` -> greedy ``tokens``
    ``[B, T + 1]`` (ending with ``<end>`` = 2) and their probabilities ``scores``.
    """

    name = "seq2seq"
    data_names = ("reversal", "variable_reversal", "addition")
    # The served greedy decoder is a whole decoding loop per example, and verify's TFLite rows
    # run one example at a time: 10,000 examples took 4 CPU minutes (59 wall under load).
    verify_size = 1_000

    def _arrays(self, model, entry, split, n=None, data=None):
        from keras_zoo.data import sequences

        data = data or (entry.data if entry else "reversal")
        seed = {"train": 0, "validation": 1, "test": 2}[split]
        n = n or 5000
        if data == "reversal":
            if model.source_length != model.target_length:
                raise ValueError("reversal needs source_length == target_length.")
            num_symbols = model.vocabulary_size - sequences.FIRST_SYMBOL
            src, tgt = sequences.reversal(n, model.source_length, num_symbols, seed)
        elif data == "variable_reversal":
            if model.source_length != model.target_length:
                raise ValueError("variable_reversal needs source_length == target_length.")
            if model.source_length < 2:
                raise ValueError("variable_reversal needs source_length >= 2 (a token and "
                                 "<end>).")
            src, tgt = sequences.variable_reversal(
                n, model.source_length - 1, model.vocabulary_size - sequences.FIRST_SYMBOL, seed,
                end_marker=True)
        elif data == "addition":
            digits = (model.source_length - 1) // 2
            src, tgt = sequences.addition(n, digits, seed)
        else:
            raise ValueError(f"{self.name}: data must be one of {self.data_names}, got {data!r}.")
        enc, dec_in, dec_out = sequences.seq2seq_arrays(src, tgt)
        return {"encoder_tokens": enc, "decoder_tokens": dec_in}, dec_out

    def battery_data(self, model, entry, n=32, seed=0):
        return self._arrays(model, entry, "train", n)

    def dataset(self, model, entry, split="train", batch_size=64, seed=0, data=None, n=None):
        x, y = self._arrays(model, entry, split, n, data)
        return array_dataset(x, y, split, batch_size, seed)

    def compile(self, model, entry, learning_rate=3e-3, optimizer=None, label_smoothing=0.0):
        from keras_zoo.tasks.masked_language_model import UnpaddedAccuracy

        if label_smoothing:
            loss = SmoothedSparseCrossentropy(label_smoothing, ignore_class=0)
        else:
            loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0)
        model.compile(optimizer=optimizer or keras.optimizers.Adam(learning_rate), loss=loss,
                      metrics=[UnpaddedAccuracy()])

    def serving_fn(self, model):
        from keras_zoo.models.sequence.seq2seq import greedy_decode

        @tf.function(input_signature=[
            tf.TensorSpec([None, model.source_length], tf.int32, name="source")])
        def serve(source):
            tokens, scores = greedy_decode(model, source)
            return {"tokens": tokens, "scores": scores}

        return serve

    def serving_example(self, model, n=4, seed=0):
        from keras_zoo.data import sequences

        rng = np.random.default_rng(seed)
        return {"source": rng.integers(sequences.FIRST_SYMBOL, model.vocabulary_size,
                                       (n, model.source_length)).astype(np.int32)}

    def test_examples(self, model, entry, n=64):
        x, y = self._arrays(model, entry, "test", n)
        return {"source": x["encoder_tokens"]}, y

    def representative_examples(self, model, entry, n=100, seed=0):
        x, _ = self._arrays(model, entry, "train", n)
        return [{"source": x["encoder_tokens"][i:i + 1]} for i in range(n)]

    def evaluation_metrics(self, model, entry, split="test", data=None, seed=0):
        """``exact_match``: the fraction of held-out sources decoded greedily without an error
        up to ``<end>`` (500 examples)."""
        x, y = self._arrays(model, entry, split, 500, data)
        return {"exact_match": exact_match(model, x["encoder_tokens"], y)}

    def int8_agreement(self, reference, quantized):
        return float(np.mean(np.asarray(reference["tokens"]) == np.asarray(quantized["tokens"])))

    def int8_check(self, reference, quantized):
        # Compare the steps the float model is sure of; a flip there is a quantisation error.
        confident = np.asarray(reference["scores"]) >= 0.5
        same = np.asarray(reference["tokens"]) == np.asarray(quantized["tokens"])
        agreement = float(same[confident].mean()) if confident.any() else 1.0
        return agreement >= 0.9, (f"token agreement {agreement:.3f} on {int(confident.sum())} "
                                  "confident steps (>= 0.9)")

    def parity_tolerance(self):
        return 1e-4

    def parity_check(self, reference, actual):
        """Greedy decoding feeds each argmax back in: where an untrained model's distribution is
        near-uniform, a 1e-7 kernel difference can flip a near-tie and the two sequences part
        from there. Each example must agree (tokens equal, scores within tolerance) up to its
        first differing token; a divergence is accepted only at a step both models were unsure
        of (chosen probability < 0.5), and at least half the examples must agree entirely."""
        tokens, other = np.asarray(reference["tokens"]), np.asarray(actual["tokens"])
        scores, other_scores = np.asarray(reference["scores"]), np.asarray(actual["scores"])
        assert tokens.shape == other.shape, (tokens.shape, other.shape)
        whole = 0
        for i in range(len(tokens)):
            differ = np.flatnonzero(tokens[i] != other[i])
            k = differ[0] if differ.size else tokens.shape[1]
            np.testing.assert_allclose(other_scores[i, :k], scores[i, :k],
                                       atol=self.parity_tolerance(), rtol=0)
            if differ.size:
                assert scores[i, k] < 0.5 and other_scores[i, k] < 0.5, (
                    f"example {i} diverges at step {k} where a model was confident: "
                    f"{scores[i, k]:.3f} vs {other_scores[i, k]:.3f}")
            else:
                whole += 1
        assert whole >= len(tokens) / 2, f"only {whole} of {len(tokens)} sequences agree"


def exact_match(model, encoder_tokens, targets, decode=None):
    """Fraction of sequences decoded exactly (targets ``[B, T + 1]`` end with ``<end>``)."""
    from keras_zoo.models.sequence.seq2seq import greedy_decode

    tokens = decode(model, encoder_tokens) if decode else greedy_decode(model, encoder_tokens)[0]
    tokens, targets = np.asarray(tokens), np.asarray(targets)
    # Up to and including the target's <end>: what follows it is padding, not output.
    steps = np.arange(targets.shape[1])[None, :]
    until_end = steps <= np.argmax(targets == END, axis=1)[:, None]
    return float(np.mean(np.all((tokens == targets) | ~until_end, axis=1)))


@keras.saving.register_keras_serializable(package="keras_zoo")
class SmoothedSparseCrossentropy(keras.losses.Loss):
    """Cross-entropy with label smoothing eps on integer labels (Szegedy et al. 2016; Vaswani
    et al. 2017 use eps = 0.1): the target is (1 - eps) one-hot + eps / V.

    Args:
        label_smoothing: eps in [0, 1).
        ignore_class: a label that gets no loss (padding, 0, in the seq2seq task), the mean
            then being over the other labels; None: every label counts.
    """

    def __init__(self, label_smoothing=0.1, ignore_class=None, name="smoothed_crossentropy",
                 **kwargs):
        super().__init__(name=name, **kwargs)
        if not 0.0 <= float(label_smoothing) < 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1), got {label_smoothing!r}.")
        self.label_smoothing = float(label_smoothing)
        self.ignore_class = None if ignore_class is None else int(ignore_class)

    def call(self, y_true, y_pred):
        depth = keras.ops.shape(y_pred)[-1]
        y_true = keras.ops.cast(y_true, "int32")
        one_hot = keras.ops.one_hot(y_true, depth)
        loss = keras.losses.categorical_crossentropy(
            one_hot, y_pred, from_logits=True, label_smoothing=self.label_smoothing)
        if self.ignore_class is None:
            return loss
        real = keras.ops.cast(keras.ops.not_equal(y_true, self.ignore_class), loss.dtype)
        # Rescaled so that the reduction's mean over all positions is the mean over real ones.
        return loss * real * keras.ops.cast(keras.ops.size(real), loss.dtype) / keras.ops.maximum(
            keras.ops.sum(real), 1.0)

    def get_config(self):
        return {**super().get_config(), "label_smoothing": self.label_smoothing,
                "ignore_class": self.ignore_class}

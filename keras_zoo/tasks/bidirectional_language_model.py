"""Bidirectional language modelling (ELMo's biLM): each word predicts its successor (forward
LM) and its predecessor (backward LM); served as contextual representations."""

from __future__ import annotations

import functools

import numpy as np
import tensorflow as tf

from keras_zoo.tasks.base import Task, array_dataset


@functools.lru_cache(maxsize=4)
def corpus_words(split):
    """The split's words (``text.standardize``, whitespace split), one stream."""
    from keras_zoo.data import text

    split = "validation" if split == "test" else split
    return tuple(w for d in text.corpus(split) for w in text.standardize(d).split())


@functools.lru_cache(maxsize=4)
def word_vocabulary(size):
    """The softmax's words: ``text.word_vocabulary(corpus("train"), max_tokens=size)``."""
    from keras_zoo.data import text

    return tuple(text.word_vocabulary(text.corpus("train"), max_tokens=size))


def bilm_arrays(model, split, n=None):
    """``(char ids [N, T, C], {"forward": next word ids, "backward": previous word ids})``
    over consecutive ``T``-word windows of the split; targets past the window's ends are the
    padding id 0 (the loss still counts them: the model learns to predict "no word")."""
    from keras_zoo.models.sequence.elmo import char_ids

    _, t, max_chars = model.input_shape
    size = model.output["forward"].shape[-1]
    words = corpus_words(split)
    count = (len(words) - 1) // t if n is None else min(n, (len(words) - 1) // t)
    sentences = [list(words[i * t:(i + 1) * t]) for i in range(count)]
    index = {w: i for i, w in enumerate(word_vocabulary(size))}
    ids = np.array([[index.get(w, 1) for w in s] for s in sentences], np.int32)
    pad = np.zeros((len(ids), 1), np.int32)
    targets = {"forward": np.concatenate([ids[:, 1:], pad], 1),
               "backward": np.concatenate([pad, ids[:, :-1]], 1)}
    return char_ids(sentences, max_chars, t), targets


class BidirectionalLanguageModelTask(Task):
    """``ELMoBiLM``: input ``chars`` int32 ``[B, T, max_chars]`` (``elmo.char_ids``: ``<bow>``,
    UTF-8 bytes + 3, ``<eow>``, 0-padded; words over ``max_chars - 2`` bytes are truncated);
    outputs forward and backward word logits. Embedded data: ``"stdlib_docstrings"``.

    Serving takes the same character ids (an integer signature: it converts to TFLite with
    builtin ops) and returns ``layers`` ``[B, L + 1, T, 2 p]``, the biLM representations a
    downstream task mixes with its own ``ScalarMix`` (eq. 1), and the two LMs' predictions
    ``next_word`` / ``previous_word`` ``[B, T]`` (ids in ``word_vocabulary``).
    """

    name = "bidirectional_language_model"
    data_names = ("stdlib_docstrings",)

    def battery_data(self, model, entry, n=32, seed=0):
        return bilm_arrays(model, "train", n)

    def dataset(self, model, entry, split="train", batch_size=32, seed=0, n=None):
        x, y = bilm_arrays(model, split, n)
        return array_dataset(x, y, split, batch_size, seed)

    def compile(self, model, entry, learning_rate=1e-2, optimizer=None):
        import keras

        def loss():
            return keras.losses.SparseCategoricalCrossentropy(from_logits=True)

        def accuracy():
            return keras.metrics.SparseCategoricalAccuracy(name="accuracy")

        model.compile(optimizer=optimizer or keras.optimizers.Adam(learning_rate),
                      loss={"forward": loss(), "backward": loss()},
                      metrics={"forward": [accuracy()], "backward": [accuracy()]})

    def export_model(self, model):
        import keras

        layers = keras.ops.stack(model.layer_outputs(), axis=1)
        return keras.Model(model.input, {**model.output, "layers": layers},
                           name=f"{model.name}_serving")

    def serving_fn(self, model):
        _, t, c = model.input_shape

        @tf.function(input_signature=[tf.TensorSpec([None, t, c], tf.int32, name="chars")])
        def serve(chars):
            out = model(chars, training=False)
            return {"layers": out["layers"],
                    "next_word": tf.argmax(out["forward"], -1, output_type=tf.int32),
                    "previous_word": tf.argmax(out["backward"], -1, output_type=tf.int32)}

        return serve

    def _chars(self, model, split, n):
        x, _ = bilm_arrays(model, split, n)
        return x

    def serving_example(self, model, n=4, seed=0):
        from keras_zoo.models.sequence.elmo import char_ids

        x = self._chars(model, "validation", max(n, 1))[:n].copy()
        _, t, c = model.input_shape
        # Bad input the signature must survive: an empty sentence, a word longer than
        # max_chars (truncated) and non-ASCII bytes.
        x[0] = 0
        if n > 1:
            x[1] = char_ids([["\u00e9t\u00e9", "x" * (3 * c)] + ["a"] * (t - 2)], c, t)[0]
        return {"chars": x}

    def test_examples(self, model, entry, n=32):
        return {"chars": self._chars(model, "validation", n)}, None

    def representative_examples(self, model, entry, n=100, seed=0):
        x = self._chars(model, "train", n)
        return [{"chars": x[i:i + 1]} for i in range(len(x))]

    def int8_agreement(self, reference, quantized):
        a, b = np.asarray(reference["layers"]), np.asarray(quantized["layers"])
        return float(1.0 - np.mean(np.abs(a - b)) / max(float(np.mean(np.abs(a))), 1e-6))

    def int8_check(self, reference, quantized):
        a, b = np.asarray(reference["layers"]), np.asarray(quantized["layers"])
        relative = float(np.mean(np.abs(a - b)) / max(float(np.mean(np.abs(a))), 1e-6))
        return relative <= 0.1, (f"mean |d layers| / mean |layers| {relative:.4f} (<= 0.1)")

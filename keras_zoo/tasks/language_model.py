"""Language modelling: next-token prediction; serving takes raw text."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from keras_zoo.tasks.base import Task, array_dataset
from keras_zoo.tasks.sequence_common import sequence_length, string_array, tokenize


def lm_loss():
    import keras

    # Padding (id 0) never appears inside the training stream; the serving graph masks it.
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True)


class LanguageModelTask(Task):
    """Token ids ``[B, T]`` in, next-token logits ``[B, T, V]`` out (model input ``tokens``).

    Embedded data: ``"stdlib_docstrings"`` (keras_zoo.data.text), windows of the concatenated
    training split. Serving takes raw strings (``text``), tokenised in-graph by the model's saved
    vocabulary; texts longer than ``sequence_length`` tokens are truncated (the first tokens are
    kept); OOV characters become ``[UNK]``; an empty string is valid (no context).
    Outputs: the next-token distribution after the text, its argmax, and the text's log
    likelihood under the model (sum over its tokens after the first).
    """

    name = "language_model"
    data_names = ("stdlib_docstrings",)

    def _windows(self, model, split, n=None, stride=None):
        from keras_zoo.data import text

        level = getattr(model, "level", "char")
        return text.next_token_arrays(text.corpus(split), model.vocabulary,
                                      sequence_length(model), level=level, stride=stride,
                                      max_windows=n)

    def battery_data(self, model, entry, n=32, seed=0):
        return self._windows(model, "train", n)

    def dataset(self, model, entry, split="train", batch_size=32, seed=0, n=None, stride=None):
        x, y = self._windows(model, "validation" if split == "test" else split, n, stride)
        return array_dataset(x, y, split, batch_size, seed)

    def compile(self, model, entry, learning_rate=1e-3, optimizer=None):
        import keras

        model.compile(optimizer=optimizer or keras.optimizers.Adam(learning_rate),
                      loss=lm_loss(),
                      metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")])

    def serving_fn(self, model):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="text")])
        def serve(text):
            tokens = tokenize(model, text)
            return next_token_outputs(model, tokens)

        return serve

    def serving_example(self, model, n=4, seed=0):
        from keras_zoo.data import text

        docs = text.corpus("validation")
        rng = np.random.default_rng(seed)
        picked = [docs[i][:int(rng.integers(1, 40))] for i in rng.choice(len(docs), n)]
        picked[0] = ""  # bad input the signature must survive
        if n > 1:
            picked[1] = "\u00e9\u4e2d\u2603 " + picked[1]  # characters outside the vocabulary
        if n > 2:
            picked[2] = docs[0] * 3  # longer than sequence_length: truncated
        return {"text": string_array(picked)}

    def representative_examples(self, model, entry, n=100, seed=0):
        return [self.serving_example(model, 1, seed + i) for i in range(n)]

    def parity_tolerance(self):
        return 1e-3  # log-likelihoods sum T log-probabilities


def next_token_outputs(model, tokens):
    """Serving outputs of a causal LM on end-padded ``tokens`` (0 = padding)."""
    logits = model(tokens, training=False)
    lengths = tf.reduce_sum(tf.cast(tokens > 0, tf.int32), axis=1)
    # An empty text has no context: the prediction after the (padding) first position.
    last = tf.maximum(lengths - 1, 0)
    last_logits = tf.gather(logits, last, axis=1, batch_dims=1)
    log_probs = tf.nn.log_softmax(logits, axis=-1)
    target_log_probs = tf.gather(log_probs[:, :-1], tokens[:, 1:], axis=2, batch_dims=2)
    valid = tf.cast(tokens[:, 1:] > 0, log_probs.dtype)
    probabilities = tf.nn.softmax(last_logits, axis=-1)
    return {"next_token_probabilities": probabilities,
            "next_token": tf.argmax(probabilities, axis=-1, output_type=tf.int32),
            "log_likelihood": tf.reduce_sum(target_log_probs * valid, axis=1),
            "length": lengths}

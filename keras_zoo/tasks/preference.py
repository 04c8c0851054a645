"""RLHF's two learned stages as tasks: a reward model fitted on preference pairs
(``preference``) and a policy fitted by PPO against it (``rlhf``). Embedded data
``"vowel_preferences"`` (keras_zoo.data.preferences): prompts of random letters, completions
preferred for their fraction of vowels."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from keras_zoo.tasks.base import Task

_SEEDS = {"train": 0, "validation": 1, "test": 2}
_SPLIT_SIZES = {"train": 4096, "validation": 512, "test": 512}


def _length(model):
    return int(model.inputs[0].shape[1])


def _batched(x, split, batch_size, seed):
    ds = tf.data.Dataset.from_tensor_slices(x)
    if split == "train":
        ds = ds.shuffle(len(tf.nest.flatten(x)[0]), seed=seed)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def _tokens_signature(length):
    return [tf.TensorSpec([None, length], tf.int32, name="tokens")]


class PreferenceTask(Task):
    """A reward model (``RewardModel``): ``fit`` takes ``{"chosen", "rejected"}`` pairs (no
    labels: the order is the label); its ``network`` is served, int32 text ``tokens``
    ``[B, T]`` -> scalar ``reward`` ``[B]``. Learned: the
    Bradley-Terry loss falls. Held out: ``pair_accuracy``, the fraction of test pairs ranked
    as the preference ranks them."""

    name = "preference"
    data_names = ("vowel_preferences",)

    def _pairs(self, model, split, n=None, temperature=None):
        from keras_zoo.data import preferences

        prompt, completion = preferences.split_lengths(_length(model))
        chosen, rejected = preferences.preference_pairs(
            n or _SPLIT_SIZES[split], prompt, completion, temperature=temperature,
            seed=_SEEDS[split])
        return {"chosen": chosen, "rejected": rejected}

    def battery_data(self, model, entry, n=32, seed=0):
        return self._pairs(model.network, "train", n), None

    def dataset(self, model, entry, split="train", batch_size=64, seed=0, n=None,
                temperature=None):
        """Pairs of ``split``; ``temperature``: Bradley-Terry label noise on the training
        pairs (None: the higher score always wins)."""
        return _batched(self._pairs(model.network, split, n,
                                    temperature if split == "train" else None),
                        split, batch_size, seed)

    def compile(self, model, entry, learning_rate=1e-2, optimizer=None):
        import keras

        # The tiny reward model moves in the battery's 8 steps at 1e-2 (measured: 3e-3 barely).
        model.compile(optimizer=optimizer or keras.optimizers.Adam(learning_rate))

    def evaluation_metrics(self, model, entry, split="test", data=None, seed=0):
        pairs = self._pairs(model.network, split)
        return {"pair_accuracy": model.pair_accuracy(pairs["chosen"], pairs["rejected"])}

    def export_model(self, model):
        return model.network

    def serving_fn(self, model):
        @tf.function(input_signature=_tokens_signature(_length(model)))
        def serve(tokens):
            return {"reward": model(tokens, training=False)}

        return serve

    def serving_example(self, model, n=4, seed=0):
        pairs = self._pairs(model, "validation", max(n, 1))
        return {"tokens": pairs["chosen"][:n]}

    def test_examples(self, model, entry, n=64):
        return {"tokens": self._pairs(model, "test", n)["chosen"]}, None

    def representative_examples(self, model, entry, n=100, seed=0):
        pairs = self._pairs(model, "train", n)
        texts = np.concatenate([pairs["chosen"], pairs["rejected"]])[:n]
        return [{"tokens": texts[i:i + 1]} for i in range(len(texts))]

    def int8_agreement(self, reference, quantized):
        a, b = np.asarray(reference["reward"]), np.asarray(quantized["reward"])
        return float(1.0 - np.mean(np.abs(a - b)) / max(float(np.ptp(a)), 1e-6))

    def int8_check(self, reference, quantized):
        a, b = np.asarray(reference["reward"]), np.asarray(quantized["reward"])
        error, spread = float(np.mean(np.abs(a - b))), float(np.ptp(a))
        return error <= 0.1 * max(spread, 1e-3), (
            f"mean |d reward| {error:.4f} (<= 10% of the rewards' range {spread:.4f})")


class RLHFTask(Task):
    """PPO against a reward model (``RLHFPPO``): ``fit`` takes texts ``[B, T]`` whose first
    ``prompt_length`` tokens are the prompts. Learned: the logged ``objective`` (reward minus
    the KL penalty) rises. Serving: the policy, int32 ``tokens`` ``[B, T]`` ->
    ``next_token_probabilities`` ``[B, T, V]`` and the text's ``log_likelihood`` (the sum over
    its tokens after the first; padding skipped)."""

    name = "rlhf"
    data_names = ("vowel_preferences",)
    learned_key = "objective"

    def _texts(self, model, split, n=None):
        from keras_zoo.data import preferences

        prompt, completion = preferences.split_lengths(_length(model))
        return preferences.demonstrations(n or _SPLIT_SIZES[split], prompt, completion,
                                          seed=_SEEDS[split])

    def battery_data(self, model, entry, n=32, seed=0):
        return self._texts(model.policy, "train", n), None

    def dataset(self, model, entry, split="train", batch_size=64, seed=0, n=None):
        return _batched(self._texts(model.policy, split, n), split, batch_size, seed)

    def compile(self, model, entry, learning_rate=1e-2, optimizer=None):
        import keras

        model.compile(optimizer=optimizer or keras.optimizers.Adam(learning_rate))

    def learned(self, history):
        values = [float(v) for v in history.history[self.learned_key]]
        if not np.all(np.isfinite(values)):
            return False, f"objective is not finite: {values}"
        return values[-1] > values[0], f"objective {values[0]:.4f} -> {values[-1]:.4f}"

    def export_model(self, model):
        return model.policy

    def serving_fn(self, model):
        @tf.function(input_signature=_tokens_signature(_length(model)))
        def serve(tokens):
            logits = model(tokens, training=False)
            log_p = tf.nn.log_softmax(logits[:, :-1], axis=-1)
            picked = tf.gather(log_p, tokens[:, 1:], axis=2, batch_dims=2)
            real = tf.cast(tokens[:, 1:] > 0, picked.dtype)
            return {"next_token_probabilities": tf.nn.softmax(logits, axis=-1),
                    "log_likelihood": tf.reduce_sum(picked * real, axis=1)}

        return serve

    def serving_example(self, model, n=4, seed=0):
        return {"tokens": self._texts(model, "validation", max(n, 1))[:n]}

    def test_examples(self, model, entry, n=64):
        return {"tokens": self._texts(model, "test", n)}, None

    def representative_examples(self, model, entry, n=100, seed=0):
        texts = self._texts(model, "train", n)
        return [{"tokens": texts[i:i + 1]} for i in range(len(texts))]

    def parity_tolerance(self):
        return 1e-3  # log-likelihoods sum T log-probabilities

    def int8_agreement(self, reference, quantized):
        p = np.asarray(reference["next_token_probabilities"])
        q = np.asarray(quantized["next_token_probabilities"])
        return float(1.0 - np.mean(np.abs(p - q)))

    def int8_check(self, reference, quantized):
        p = np.asarray(reference["next_token_probabilities"])
        q = np.asarray(quantized["next_token_probabilities"])
        mean_diff = float(np.mean(np.abs(p - q)))
        return mean_diff <= 0.05, f"mean |dp| {mean_diff:.4f} (<= 0.05)"

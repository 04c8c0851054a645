"""RLHF at toy scale: a reward model trained on pairwise preferences and PPO fine-tuning of a
character LM against it with a KL penalty to the frozen initial model (Ziegler et al.,
Fine-Tuning Language Models from Human Preferences, 2019; Ouyang et al., Training language
models to follow instructions with human feedback (InstructGPT), NeurIPS 2022, section 3.5).

The three stages, each a plain ``fit``:

1. Supervised fine-tune: ``char_policy_network`` (a GRU character LM) compiled with next-token
   cross-entropy and fitted on demonstrations.
2. ``RewardModel``: text -> scalar ``r``; its ``train_step`` minimises the Bradley-Terry
   (pairwise) loss ``-log sigmoid(r(chosen) - r(rejected))`` (InstructGPT eq. 1, one pair per
   prompt instead of all K-choose-2 pairs of K ranked completions).
3. ``RLHFPPO``: its ``train_step`` samples completions of the batch's prompts from the policy,
   scores them with the frozen reward model, and maximises (InstructGPT eq. 2, without the
   pre-training mix) ``r(x, y) - beta * log(pi(y|x) / pi_ref(y|x))`` by PPO's clipped surrogate
   (Schulman et al. 2017, eq. 7) over ``ppo_epochs`` steps on each rollout. Departure: the
   advantage is the KL-penalised reward minus the batch's mean (whitened), not a learned value
   function's estimate: every reward arrives at the sequence's end and the batch of rollouts
   of one policy is its own baseline.

``keras_zoo.data.preferences`` makes the data: a checkable preference (the fraction of vowels
of a completion) instead of human labels.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from keras_zoo.models.composite import NetworksConfig
from keras_zoo.models.registry import register
from keras_zoo.models.replicas import minimize
from keras_zoo.models.sequence._common import check_int

_ZIEGLER = "Ziegler et al., Fine-Tuning Language Models from Human Preferences, arXiv 2019"
_INSTRUCTGPT = ("Ouyang et al., Training language models to follow instructions with human "
                "feedback, NeurIPS 2022")


def _text_input(owner, vocabulary_size, sequence_length, units, embedding_dim):
    """Checks a text network's sizes; returns its int32 ``tokens`` input ``[B, T]``."""
    for arg, value in (("vocabulary_size", vocabulary_size),
                       ("sequence_length", sequence_length), ("units", units),
                       ("embedding_dim", embedding_dim)):
        check_int(owner, arg, value)
    return keras.Input((sequence_length,), dtype="int32", name="tokens")


def char_policy_network(vocabulary_size, sequence_length, units=64, embedding_dim=32,
                        name="policy"):
    """A character LM: int32 tokens ``[B, T]`` -> next-token logits ``[B, T, V]`` (an embedding,
    one GRU unrolled over the T fixed steps (TFLite builtins only), a softmax layer).

    Args:
        vocabulary_size: V.
        sequence_length: T, the prompt plus the completion.
        units: the GRU width.
        embedding_dim: the token embedding width.
        name: model name.
    """
    tokens = _text_input("char_policy_network", vocabulary_size, sequence_length, units, embedding_dim)
    x = keras.layers.Embedding(vocabulary_size, embedding_dim, name=f"{name}_embedding")(tokens)
    x = keras.layers.GRU(units, return_sequences=True, unroll=True, name=f"{name}_gru")(x)
    logits = keras.layers.Dense(vocabulary_size, name=f"{name}_logits")(x)
    return keras.Model(tokens, logits, name=name)


def bradley_terry_loss(chosen_rewards, rejected_rewards):
    """``mean(-log sigmoid(r_chosen - r_rejected))`` over the pairs (the negative
    log-likelihood of the preferences under the Bradley-Terry model); ``ValueError`` when the
    two have different numbers of rewards (a pair needs both texts)."""
    chosen_rewards = tf.convert_to_tensor(chosen_rewards)
    rejected_rewards = tf.convert_to_tensor(rejected_rewards)
    a, b = chosen_rewards.shape[0], rejected_rewards.shape[0]
    if a is not None and b is not None and a != b:
        raise ValueError(f"bradley_terry_loss: {a} chosen rewards but {b} rejected: each "
                         "preference pair needs one of each.")
    return tf.reduce_mean(tf.nn.softplus(rejected_rewards - chosen_rewards))


def reward_network(vocabulary_size, sequence_length, units=32, embedding_dim=16,
                   name="reward_network"):
    """A reward model's network (InstructGPT section 3.5 "Reward modeling"): int32 text
    ``[B, T]`` -> scalar reward ``[B]``: a token embedding, a width-3 convolution (character
    n-grams), the mean over the real (non-padding) positions, and a linear head.

    Args:
        vocabulary_size: token ids (0 is padding).
        sequence_length: T.
        units: the convolution's width.
        embedding_dim: the token embedding width.
        name: model name.
    """
    tokens = _text_input("reward_network", vocabulary_size, sequence_length, units, embedding_dim)
    real = keras.ops.cast(keras.ops.not_equal(tokens, 0), "float32")[..., None]
    x = keras.layers.Embedding(vocabulary_size, embedding_dim, name="embedding")(tokens)
    features = keras.layers.Conv1D(units, 3, padding="same", activation="relu",
                                   name="ngrams")(x) * real
    pooled = keras.ops.sum(features, axis=1) / keras.ops.maximum(
        keras.ops.sum(real, axis=1), 1.0)
    reward = keras.ops.squeeze(keras.layers.Dense(1, name="reward")(pooled), axis=-1)
    return keras.Model(tokens, reward, name=name)


@keras.saving.register_keras_serializable(package="keras_zoo")
class RewardModel(NetworksConfig, keras.Model):
    """A reward model trained on preference pairs by plain ``fit``.

    ``fit`` takes ``{"chosen": [B, T], "rejected": [B, T]}`` (the preferred text and the other
    one of each pair) and minimises ``bradley_terry_loss``; it logs ``loss`` and ``accuracy``
    (the fraction of pairs ranked right). ``call`` maps such a dict to ``{"chosen",
    "rejected"}`` rewards, and a text ``[B, T]`` to its reward ``[B]``; ``network`` (text ->
    reward) is what is served and what PPO scores with. Unequal pair counts raise
    ``ValueError``.

    Args:
        network: ``reward_network``'s model.
    """

    networks = ("network",)

    def __init__(self, network, name=None, **kwargs):
        super().__init__(name=name or "reward_model", **kwargs)
        if not isinstance(network, keras.Model):
            raise TypeError(f"RewardModel: network must be a keras.Model, got "
                            f"{type(network).__name__}.")
        self.network = network
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.accuracy_tracker = keras.metrics.Mean(name="accuracy")
        self.built = True

    @property
    def metrics(self):
        return [self.loss_tracker, self.accuracy_tracker]

    def call(self, inputs, training=False):
        if not isinstance(inputs, dict):
            return self.network(inputs, training=training)
        if set(inputs) != {"chosen", "rejected"}:
            raise ValueError("RewardModel takes texts [B, T] or a dict {'chosen': [B, T], "
                             f"'rejected': [B, T]}}, got keys {sorted(inputs)}.")
        chosen, rejected = inputs["chosen"], inputs["rejected"]
        a, b = chosen.shape[0], rejected.shape[0]
        if a is not None and b is not None and a != b:
            raise ValueError(f"RewardModel: {a} chosen texts but {b} rejected.")
        return {"chosen": self.network(chosen, training=training),
                "rejected": self.network(rejected, training=training)}

    def _pair_rewards(self, data, training):
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        if not isinstance(x, dict):
            raise ValueError("RewardModel.fit takes a dict {'chosen': [B, T], 'rejected': "
                             f"[B, T]}}, got {type(x).__name__}.")
        rewards = self(x, training=training)
        return rewards["chosen"], rewards["rejected"]

    def _update(self, loss, chosen, rejected):
        self.loss_tracker.update_state(loss)
        self.accuracy_tracker.update_state(tf.cast(chosen > rejected, tf.float32))
        return {m.name: m.result() for m in self.metrics}

    def train_step(self, data):
        with tf.GradientTape() as tape:
            chosen, rejected = self._pair_rewards(data, training=True)
            loss = bradley_terry_loss(chosen, rejected)
        minimize(self.optimizer, tape, loss, self.trainable_variables)
        return self._update(loss, chosen, rejected)

    def test_step(self, data):
        chosen, rejected = self._pair_rewards(data, training=False)
        return self._update(bradley_terry_loss(chosen, rejected), chosen, rejected)

    def pair_accuracy(self, chosen, rejected, batch_size=256):
        """The fraction of pairs whose chosen text gets the higher reward (numpy in)."""
        if len(chosen) != len(rejected):
            raise ValueError(f"pair_accuracy: {len(chosen)} chosen texts but "
                             f"{len(rejected)} rejected.")
        a = self.network.predict(np.asarray(chosen), batch_size=batch_size, verbose=0)
        b = self.network.predict(np.asarray(rejected), batch_size=batch_size, verbose=0)
        return float(np.mean(a > b))



def PreferenceRewardModel(vocabulary_size, sequence_length, units=32, embedding_dim=16,
                          name="reward_model"):
    """``RewardModel`` over a fresh ``reward_network``.

    Args:
        vocabulary_size, sequence_length, units, embedding_dim: ``reward_network``'s.
        name: model name.
    """
    return RewardModel(reward_network(vocabulary_size, sequence_length, units, embedding_dim,
                                      name=f"{name}_network"), name=name)


def _kl(log_p, log_q):
    """``sum_t KL(p_t || q_t)`` per text from log-probabilities ``[B, L, V]``."""
    return tf.reduce_sum(tf.exp(log_p) * (log_p - log_q), axis=[1, 2])


def _letter_log_softmax(logits, first_symbol):
    """Log-softmax with the ids below ``first_symbol`` (padding, start) excluded."""
    vocabulary = tf.shape(logits)[-1]
    forbidden = tf.cast(tf.range(vocabulary) < first_symbol, logits.dtype) * -1e9
    return tf.nn.log_softmax(logits + forbidden, axis=-1)


@keras.saving.register_keras_serializable(package="keras_zoo")
class RLHFPPO(NetworksConfig, keras.Model):
    """PPO fine-tuning of ``policy`` against ``reward_model`` with a KL penalty to
    ``reference`` (the frozen initial policy), trained by plain ``fit``.

    ``fit`` takes texts ``[B, T]``: their first ``prompt_length`` tokens are the prompts (the
    rest is ignored; completions are sampled). Each step: sample ``T - prompt_length`` tokens
    per prompt (Gumbel-max on the policy's logits at ``temperature``; ids below
    ``first_symbol`` are never sampled), reward ``R = r(x, y) - beta * sum_t log(pi_old(y_t) /
    pi_ref(y_t))``, advantage ``A = (R - mean R) / std R``, then ``ppo_epochs`` steps of
    ``-mean_t min(rho_t A, clip(rho_t, 1 - clip, 1 + clip) A)`` with ``rho_t = pi(y_t) /
    pi_old(y_t)``. Logs ``loss``, ``reward`` (the reward model's mean on the rollouts), ``kl``
    (the exact KL from the reference summed over the completion's steps, nats) and
    ``objective`` (``reward - beta * kl``). ``call`` is the policy's logits; the policy is what
    is served.

    Args:
        policy: the character LM being tuned (tokens ``[B, T]`` -> logits ``[B, T, V]``).
        reference: the frozen initial policy (same architecture; kept frozen).
        reward_model: the frozen reward network (tokens ``[B, T]`` -> ``[B]``;
            ``RewardModel.network``).
        prompt_length: the leading tokens of each text that are the prompt.
        beta: the KL penalty's weight.
        clip: PPO's epsilon.
        ppo_epochs: optimisation steps per rollout.
        temperature: the sampling temperature (1: the policy's own distribution).
        first_symbol: the lowest token id a completion may contain.
        seed: the sampling seed (a ``SeedGenerator``'s).
    """

    networks = ("policy", "reference", "reward_model")

    def __init__(self, policy, reference, reward_model, prompt_length, beta=0.1, clip=0.2,
                 ppo_epochs=2, temperature=1.0, first_symbol=2, seed=None, name=None,
                 **kwargs):
        super().__init__(name=name or "rlhf_ppo", **kwargs)
        for arg, net in (("policy", policy), ("reference", reference),
                         ("reward_model", reward_model)):
            if not isinstance(net, keras.Model):
                raise TypeError(f"RLHFPPO: {arg} must be a keras.Model, got "
                                f"{type(net).__name__}.")
        length = int(policy.inputs[0].shape[1])
        for arg, net in (("reference", reference), ("reward_model", reward_model)):
            if int(net.inputs[0].shape[1]) != length:
                raise ValueError(f"RLHFPPO: {arg} reads {net.inputs[0].shape[1]} tokens, the "
                                 f"policy {length}.")
        check_int("RLHFPPO", "prompt_length", prompt_length)
        check_int("RLHFPPO", "ppo_epochs", ppo_epochs)
        check_int("RLHFPPO", "first_symbol", first_symbol, minimum=0)
        if prompt_length >= length:
            raise ValueError(f"RLHFPPO: prompt_length={prompt_length} leaves no completion in "
                             f"the policy's {length} tokens.")
        for arg, value in (("beta", beta), ("clip", clip), ("temperature", temperature)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"RLHFPPO: {arg} must be a number >= 0, got {value!r}.")
        if temperature == 0:
            raise ValueError("RLHFPPO: temperature must be > 0.")
        self.policy, self.reference, self.reward_model = policy, reference, reward_model
        self.reference.trainable = False
        self.reward_model.trainable = False
        self.sequence_length, self.prompt_length = length, prompt_length
        self.beta, self.clip, self.ppo_epochs = float(beta), float(clip), ppo_epochs
        self.temperature, self.first_symbol, self.seed = float(temperature), first_symbol, seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.trackers = [keras.metrics.Mean(name=n) for n in ("loss", "reward", "kl",
                                                               "objective")]
        self.built = True

    @property
    def metrics(self):
        return self.trackers

    def call(self, tokens, training=False):
        return self.policy(tokens, training=training)

    def generate(self, prompts):
        """Sampled texts ``[B, T]`` (int32): ``prompts`` ``[B, prompt_length]`` and a
        completion drawn from the policy (the training step's sampler)."""
        prompts = tf.convert_to_tensor(prompts, tf.int32)
        if prompts.shape[-1] != self.prompt_length:
            raise ValueError(f"{self.name}: prompts must have {self.prompt_length} tokens, got "
                             f"shape {tuple(prompts.shape)}.")
        return self._rollout(prompts)

    def _rollout(self, prompts):
        length, start = self.sequence_length, self.prompt_length
        batch = tf.shape(prompts)[0]
        vocabulary = self.policy.outputs[0].shape[-1]
        # All the step's noise drawn at once: Gumbel-max sampling, one seed draw per rollout.
        uniform = keras.random.uniform((batch, length, vocabulary), minval=1e-6, maxval=1.0,
                                       seed=self.seed_generator)
        gumbel = -tf.math.log(-tf.math.log(uniform))
        tokens = tf.concat([prompts, tf.zeros([batch, length - start], tf.int32)], axis=1)

        def step(t, tokens):
            logits = tf.gather(self.policy(tokens, training=False), t - 1, axis=1)
            log_p = _letter_log_softmax(logits / self.temperature, self.first_symbol)
            sample = tf.argmax(log_p + tf.gather(gumbel, t, axis=1), axis=-1,
                               output_type=tf.int32)
            return t + 1, tokens + sample[:, None] * tf.one_hot(t, length, dtype=tf.int32)

        _, tokens = tf.while_loop(lambda t, _: t < length, step, (tf.constant(start), tokens))
        return tf.stop_gradient(tokens)

    def _completion_log_probs(self, network, tokens):
        """``(log pi(y_t) [B, L], log pi(. | y_<t) [B, L, V])`` over the completion's steps."""
        log_p = _letter_log_softmax(network(tokens, training=False)[:, self.prompt_length - 1:-1],
                                    self.first_symbol)
        picked = tf.gather(log_p, tokens[:, self.prompt_length:], axis=2, batch_dims=2)
        return picked, log_p

    def train_step(self, data):
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        tokens = self._rollout(tf.cast(x[:, :self.prompt_length], tf.int32))
        reward = tf.stop_gradient(self.reward_model(tokens, training=False))
        old, old_all = tf.nest.map_structure(
            tf.stop_gradient, self._completion_log_probs(self.policy, tokens))
        ref, ref_all = tf.nest.map_structure(
            tf.stop_gradient, self._completion_log_probs(self.reference, tokens))
        shaped = reward - self.beta * tf.reduce_sum(old - ref, axis=-1)
        mean, variance = tf.nn.moments(shaped, axes=[0])
        advantage = ((shaped - mean) / tf.sqrt(variance + 1e-8))[:, None]
        for _ in range(self.ppo_epochs):
            with tf.GradientTape() as tape:
                ratio = tf.exp(self._completion_log_probs(self.policy, tokens)[0] - old)
                clipped = tf.clip_by_value(ratio, 1.0 - self.clip, 1.0 + self.clip)
                loss = -tf.reduce_mean(tf.minimum(ratio * advantage, clipped * advantage))
            minimize(self.optimizer, tape, loss, self.policy.trainable_variables)
        # The KL logged is that of the policy that sampled the rollouts (before its update).
        return self._update(loss, reward, _kl(old_all, ref_all))

    def test_step(self, data):
        """Rollouts and their figures without an update (``loss``: minus the objective)."""
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        tokens = self._rollout(tf.cast(x[:, :self.prompt_length], tf.int32))
        reward = self.reward_model(tokens, training=False)
        kl = self.exact_kl(tokens)
        return self._update(-tf.reduce_mean(reward - self.beta * kl), reward, kl)

    def _update(self, loss, reward, kl):
        for tracker, value in zip(self.trackers, (loss, tf.reduce_mean(reward),
                                                  tf.reduce_mean(kl),
                                                  tf.reduce_mean(reward - self.beta * kl)),
                                  strict=True):
            tracker.update_state(value)
        return {m.name: m.result() for m in self.metrics}

    def exact_kl(self, tokens):
        """``sum_t KL(pi(. | y_<t) || pi_ref(. | y_<t))`` over the completion's steps of
        ``tokens`` ``[B, T]``, per text ``[B]`` (nats)."""
        tokens = tf.convert_to_tensor(tokens, tf.int32)
        return _kl(self._completion_log_probs(self.policy, tokens)[1],
                   self._completion_log_probs(self.reference, tokens)[1])

    def get_config(self):
        return {"name": self.name, "prompt_length": self.prompt_length, "beta": self.beta,
                "clip": self.clip, "ppo_epochs": self.ppo_epochs,
                "temperature": self.temperature, "first_symbol": self.first_symbol,
                "seed": self.seed, **super().get_config()}


def RLHF(vocabulary_size=10, prompt_length=5, completion_length=8, units=64, embedding_dim=32,
         reward_units=32, beta=0.1, clip=0.2, ppo_epochs=2, seed=None, name="rlhf_ppo"):
    """``RLHFPPO`` over fresh networks: a policy, its copy as the frozen reference, and a
    reward model (the pipeline passes its fine-tuned policy and trained reward model to
    ``RLHFPPO`` directly).

    Args:
        vocabulary_size: token ids (0 padding, 1 start, letters from 2).
        prompt_length: the prompt's tokens (with the start token).
        completion_length: the sampled tokens.
        units, embedding_dim: the policy's GRU and embedding widths.
        reward_units: the reward model's width (its embedding is half of it).
        beta, clip, ppo_epochs: ``RLHFPPO``'s.
        seed: the sampling seed.
        name: model name.
    """
    check_int("RLHF", "completion_length", completion_length)
    length = prompt_length + completion_length
    policy = char_policy_network(vocabulary_size, length, units, embedding_dim, name="policy")
    reference = char_policy_network(vocabulary_size, length, units, embedding_dim,
                                    name="reference")
    reference.set_weights(policy.get_weights())
    reward_model = reward_network(vocabulary_size, length, reward_units,
                                  max(reward_units // 2, 1), name="reward_network")
    return RLHFPPO(policy, reference, reward_model, prompt_length, beta=beta, clip=clip,
                   ppo_epochs=ppo_epochs, seed=seed, name=name)


_PREFERENCE_VOCABULARY = 10  # preferences.VOCABULARY_SIZE: padding, start, 8 letters

register("rlhf_reward_model", task="preference", family="rlhf",
         tiny={"vocabulary_size": _PREFERENCE_VOCABULARY, "sequence_length": 10, "units": 8,
               "embedding_dim": 4},
         canonical={"vocabulary_size": _PREFERENCE_VOCABULARY, "sequence_length": 13,
                    "units": 32, "embedding_dim": 16},
         data="vowel_preferences", recipe="rlhf_reward_model", paper=_INSTRUCTGPT,
         notes="Bradley-Terry pairwise loss -log sigmoid(r_chosen - r_rejected) on synthetic "
               "pairs preferring completions with more vowels.")(PreferenceRewardModel)

register("rlhf_ppo", task="rlhf", family="rlhf",
         tiny={"vocabulary_size": _PREFERENCE_VOCABULARY, "prompt_length": 2,
               "completion_length": 4, "units": 8, "embedding_dim": 4, "reward_units": 4,
               "ppo_epochs": 1, "seed": 0},
         canonical={"vocabulary_size": _PREFERENCE_VOCABULARY, "prompt_length": 5,
                    "completion_length": 8, "units": 64, "embedding_dim": 32,
                    "reward_units": 32},
         data="vowel_preferences", recipe="rlhf_ppo", paper=f"{_ZIEGLER}; {_INSTRUCTGPT}",
         notes="PPO (clipped surrogate, batch-mean baseline) on a GRU character LM against a "
               "frozen reward model, KL penalty beta to the frozen initial policy; serves the "
               "policy.")(RLHF)

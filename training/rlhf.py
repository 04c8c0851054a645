"""RLHF at toy scale, the three stages of InstructGPT (Ouyang et al. 2022, section 3.5) in one
documented loop, each a plain ``fit`` (keras_zoo/models/sequence/rlhf.py):

1. supervised fine-tune of a GRU character LM on demonstrations (next-token cross-entropy);
2. a reward model on preference pairs (Bradley-Terry loss), its held-out pair accuracy;
3. PPO of the fine-tuned policy against the frozen reward model with a KL penalty to the
   frozen fine-tuned policy; per epoch: the reward model's mean reward on fresh samples of
   held-out prompts, the KL to the reference, and the checkable score (fraction of vowels).

    from training import rlhf
    result = rlhf.pipeline(out="runs/rlhf")      # runs/rlhf/rlhf_curves.png
"""

from __future__ import annotations

import os

import keras
import numpy as np

from keras_zoo.data import preferences
from keras_zoo.models.sequence.rlhf import RLHFPPO, PreferenceRewardModel, char_policy_network


def _evaluate(rl, prompts):
    texts = np.asarray(rl.generate(prompts))
    reward = float(np.mean(rl.reward_model.predict(texts, verbose=0)))
    kl = float(np.mean(rl.exact_kl(texts)))
    return {"reward": reward, "kl": kl,
            "vowel_score": float(np.mean(preferences.vowel_score(texts[:, rl.prompt_length:])))}


class _Curves(keras.callbacks.Callback):
    """The held-out figures before training and after every epoch."""

    def __init__(self, prompts):
        super().__init__()
        self.prompts, self.rows = prompts, []

    def on_train_begin(self, logs=None):
        self.rows.append(_evaluate(self.model, self.prompts))

    def on_epoch_end(self, epoch, logs=None):
        self.rows.append(_evaluate(self.model, self.prompts))


def plot_curves(rows, path, beta):
    """A PNG of the held-out mean reward, vowel score and KL per PPO epoch."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = np.arange(len(rows))
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.2))
    left.plot(epochs, [r["reward"] for r in rows], "o-", label="reward model (left axis)")
    # The true score is a fraction: its own axis, or the reward model's scale flattens it.
    score = left.twinx()
    score.plot(epochs, [r["vowel_score"] for r in rows], "s--", color="C1",
               label="vowel score, true (right axis)")
    score.set_ylim(0.0, 1.0)
    left.set_xlabel("PPO epoch")
    left.set_title("mean reward of sampled completions")
    left.legend(handles=left.get_lines() + score.get_lines(), loc="center right")
    right.plot(epochs, [r["kl"] for r in rows], "o-", color="C3")
    right.set_xlabel("PPO epoch")
    right.set_title(f"KL(policy || initial) per completion, nats (beta={beta})")
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=80)
    plt.close(fig)
    return path


def pipeline(out=None, prompt_letters=4, completion_length=8, units=64, embedding_dim=32,
             reward_units=32, demonstrations=4096, pairs=4096, sft_epochs=5, reward_epochs=10,
             prompts=2048, ppo_fit_epochs=8, beta=0.1, ppo_epochs=2, learning_rate=1e-3,
             batch_size=64, seed=0, verbose=0):
    """Runs the three stages; returns ``{"sft_accuracy", "pair_accuracy", "curves", "model"}``
    (curves: one dict of held-out ``reward``, ``kl``, ``vowel_score`` per PPO epoch, the first
    before PPO; model: the trained ``RLHFPPO``) and writes ``out/rlhf_curves.png`` when ``out``
    is given.

    Args:
        out: a directory for the curves' PNG, or None.
        prompt_letters, completion_length: the texts' shape (a start token, the prompt's
            letters, the completion).
        units, embedding_dim: the policy's widths; reward_units: the reward model's.
        demonstrations, pairs, prompts: training examples of the three stages.
        sft_epochs, reward_epochs, ppo_fit_epochs: epochs of the three fits.
        beta, ppo_epochs: ``RLHFPPO``'s KL weight and optimisation steps per rollout.
        learning_rate: PPO's Adam learning rate (the first two stages use 3e-3).
        batch_size: every stage's batch.
        seed: seeds the weights, the data and the sampling.
        verbose: ``fit``'s.
    """
    keras.utils.set_random_seed(seed)
    length = 1 + prompt_letters + completion_length
    vocabulary = preferences.VOCABULARY_SIZE
    # 1. Supervised fine-tune: next-token prediction; the last position has no target.
    policy = char_policy_network(vocabulary, length, units, embedding_dim, name="policy")
    texts = preferences.demonstrations(demonstrations, prompt_letters, completion_length,
                                       seed=seed)
    targets = np.concatenate([texts[:, 1:], np.zeros_like(texts[:, :1])], 1)
    policy.compile(keras.optimizers.Adam(3e-3),
                   keras.losses.SparseCategoricalCrossentropy(from_logits=True,
                                                              ignore_class=preferences.PAD),
                   metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")])
    sft = policy.fit(texts, targets, batch_size=batch_size, epochs=sft_epochs, verbose=verbose)
    # 2. Reward model on preference pairs.
    reward_model = PreferenceRewardModel(vocabulary, length, reward_units,
                                         max(reward_units // 2, 1))
    reward_model.compile(keras.optimizers.Adam(3e-3))
    chosen, rejected = preferences.preference_pairs(pairs, prompt_letters, completion_length,
                                                    seed=seed + 1)
    reward_model.fit({"chosen": chosen, "rejected": rejected}, batch_size=batch_size,
                     epochs=reward_epochs, verbose=verbose)
    held_chosen, held_rejected = preferences.preference_pairs(
        1024, prompt_letters, completion_length, seed=seed + 2)
    pair_accuracy = reward_model.pair_accuracy(held_chosen, held_rejected)
    # 3. PPO from the fine-tuned policy; its copy is the frozen reference.
    reference = char_policy_network(vocabulary, length, units, embedding_dim, name="reference")
    reference.set_weights(policy.get_weights())
    rl = RLHFPPO(policy, reference, reward_model.network, 1 + prompt_letters, beta=beta,
                 ppo_epochs=ppo_epochs, seed=seed)
    rl.compile(keras.optimizers.Adam(learning_rate))
    train_prompts = preferences.demonstrations(prompts, prompt_letters, completion_length,
                                               seed=seed + 3)
    held_prompts = preferences.prompts(512, prompt_letters, seed=seed + 4)
    curves = _Curves(held_prompts)
    rl.fit(train_prompts, batch_size=batch_size, epochs=ppo_fit_epochs, callbacks=[curves],
           verbose=verbose)
    if out:
        os.makedirs(out, exist_ok=True)
        plot_curves(curves.rows, os.path.join(out, "rlhf_curves.png"), beta)
    return {"sft_accuracy": float(sft.history["accuracy"][-1]), "pair_accuracy": pair_accuracy,
            "curves": curves.rows, "model": rl}

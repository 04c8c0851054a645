"""Recipes for RLHF's reward model and PPO stage (keras_zoo/models/sequence/rlhf.py). The whole
pipeline (supervised fine-tune, reward model, PPO from the two) is ``training.rlhf.pipeline``."""

from training.recipes import Recipe

RECIPES = [
    Recipe(
        name="rlhf_reward_model",
        # `keras-zoo train NAME` end to end on 2 cores, 2026-12-05 (load 0.8-2.1 from
        # other sessions).
        train_minutes={"rlhf_reward_model": 0.13},
        description="The reward model on 4096 synthetic preference pairs (more vowels "
                    "preferred), Bradley-Terry loss, at its canonical config: Adam 3e-3, "
                    "cosine decay; held-out pair accuracy >= 0.9.",
        epochs=10,
        batch_size=64,
        learning_rate=3e-3,
        preset="canonical",
        min_test_metric=("pair_accuracy", 0.9),
    ),
    Recipe(
        name="rlhf_ppo",
        # `keras-zoo train NAME` end to end on 2 cores, 2026-12-05 (load 0.8-2.1 from
        # other sessions).
        train_minutes={"rlhf_ppo": 0.15},
        description="PPO of a fresh policy against a fresh reward model at the tiny config (a "
                    "smoke run of the loop: training.rlhf.pipeline trains the reward model and "
                    "the supervised policy first): Adam 1e-2, constant.",
        epochs=5,
        batch_size=64,
        learning_rate=1e-2,
        schedule=None,
        monitor="val_objective",
        monitor_mode="max",
        preset="tiny",
    ),
]

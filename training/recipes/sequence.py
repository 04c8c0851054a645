"""Recipes for the sequence and language models (keras_zoo/models/sequence)."""

from training.recipes import Recipe

RECIPES = [
    Recipe(
        name="sequence",
        description="Any sequence model on its embedded synthetic task or text at its tiny "
                    "config: Adam 3e-3, cosine decay.",
        epochs=10,
        batch_size=64,
        learning_rate=3e-3,
        preset="tiny",
        early_stopping_patience=5,
    ),
    Recipe(
        name="transformer",
        description="The Transformer on its embedded synthetic task at its tiny config, with the "
                    "paper's optimizer: Adam(0.9, 0.98, 1e-9) on lrate = d_model^-0.5 "
                    "min(step^-0.5, step warmup^-1.5) (section 5.3), warm-up shortened to the "
                    "tiny run.",
        epochs=10,
        batch_size=64,
        optimizer_factory="keras_zoo.models.sequence.transformer:transformer_optimizer",
        optimizer_options={"warmup_steps": 100},
        preset="tiny",
        early_stopping_patience=5,
    ),
]

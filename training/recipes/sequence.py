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
]

"""Recipes for the image classifiers on the embedded digits."""

from training.recipes import Recipe

RECIPES = [
    Recipe(
        name="classification",
        description="Any classifier on the embedded digits at its tiny config: Adam, cosine.",
        epochs=10,
        batch_size=32,
        learning_rate=1e-3,
        preset="tiny",
        early_stopping_patience=5,
    ),
    Recipe(
        name="lenet5",
        description="LeNet-5 on the embedded digits at 32x32: Adam 3e-3 with cosine decay, "
                    "small translations and rotations.",
        epochs=20,
        batch_size=32,
        learning_rate=3e-3,
        data_options={"augment": ("translation", "rotation")},
        preset="canonical",
        min_test_accuracy=0.98,
    ),
]

"""Recipes for the video classifiers on the embedded synthetic clips."""

from training.recipes import Recipe

RECIPES = [
    Recipe(
        name="video",
        description="Any video classifier on the embedded clips (4 classes: square/circle x "
                    "left/right) at its tiny config: Adam 3e-3, cosine, vertical flips and "
                    "shifts applied to whole clips.",
        epochs=15,
        batch_size=32,
        learning_rate=3e-3,
        preset="tiny",
        data_options={"augment": ("flip_vertical", "translation")},
        min_test_accuracy=0.9,
    ),
]

RECIPES.append(
    Recipe(
        name="vivit",
        description="ViViT (tiny) on the embedded clips with the transformer's recipe: "
                    "2x4x4 tubelets (4 x 4 tokens a time step, not 2 x 2), AdamW (weight decay "
                    "0.05) with a 5-epoch linear warm-up then cosine, and 2,048 training clips "
                    "(a transformer needs more data than a CNN: ViViT section 3.4).",
        epochs=30,
        batch_size=32,
        learning_rate=3e-3,
        optimizer="adamw",
        schedule="warmup_cosine",
        warmup_epochs=5,
        weight_decay=0.05,
        preset="tiny",
        config={"tubelet": (2, 4, 4)},
        data_options={"n": 2048},
        min_test_accuracy=0.9,
        # Measured 2026-12-04: `keras-zoo train vivit_b` end to end on 2 idle cores (0.977).
        train_minutes={"vivit_b": 0.67},
    )
)

RECIPES.append(
    Recipe(
        name="next_frame",
        description="Next-frame prediction on embedded moving shapes at the tiny config: Adam, "
                    "MSE; evaluate reports the MSE against copying the last frame.",
        epochs=20,
        batch_size=16,
        learning_rate=2e-3,
        preset="tiny",
    )
)

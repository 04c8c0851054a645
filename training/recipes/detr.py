"""Recipe for DETR (keras_zoo/models/detection/detr.py) on synthetic shapes with boxes."""

from training.recipes import Recipe

RECIPES = [
    Recipe(
        name="detr",
        # `keras-zoo train NAME` end to end on 2 cores, 2026-12-05 (load 1.9-2.4 from other
        # sessions): held-out mAP@0.5 0.719.
        train_minutes={"detr": 3.43},
        description="DETR at a small config (d=64, 2 encoder + 3 decoder layers, 10 queries, "
                    "auxiliary losses) on 2048 synthetic-shape images (1-3 objects, flips): "
                    "AdamW with weight decay 1e-4 as in the paper, but a peak rate of 1e-3 "
                    "(the paper's 1e-4 is for a 41M-parameter model trained 500 epochs), "
                    "cosine decay. The paper also clips gradients at a global norm of 0.1 "
                    "(Recipe.global_clipnorm); not set here, since the slow test's mAP@0.5 "
                    "0.768 was measured without it.",
        epochs=20,
        batch_size=32,
        learning_rate=1e-3,
        optimizer="adamw",
        weight_decay=1e-4,
        preset="tiny",
        config={"hidden_dim": 64, "num_heads": 4, "num_encoder_layers": 2,
                "num_decoder_layers": 3, "mlp_dim": 128, "filters": (32, 64, 64),
                "num_queries": 10},
        data_options={"n": 2048, "augment": ("flip",)},
        monitor="val_loss",
        # COCO mAP@0.5 on the 128 held-out images: 0.768 in the slow test.
        min_test_metric=("map50", 0.5),
    ),
]

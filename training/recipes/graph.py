"""Recipe for the node classifiers (GCN, ChebNet, GraphSAGE) on the embedded stochastic block
model graphs."""

from training.recipes import Recipe

RECIPES = [
    Recipe(
        name="graph",
        description="Node classification on 256 stochastic-block-model graphs of 16 nodes (4 "
                    "classes, noisy class-mean features), tested on 64 other graphs, at the "
                    "tiny config: Adam 1e-2 (Kipf & Welling's rate), cosine, 30 epochs.",
        epochs=30,
        batch_size=32,
        learning_rate=1e-2,
        preset="tiny",
        monitor="val_accuracy",
        min_test_accuracy=0.8,
        # Measured 2026-12-04: `keras-zoo train gcn` end to end on 2 idle cores (0.902).
        train_minutes={"gcn": 0.12},
    ),
]

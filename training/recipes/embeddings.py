"""Recipes for word embeddings (word2vec, GloVe), ELMo's biLM and Nadaraya-Watson regression
(keras_zoo/models/sequence: word2vec.py, glove.py, elmo.py, nadaraya_watson.py)."""

from training.recipes import Recipe

RECIPES = [
    Recipe(
        name="word2vec",
        description="word2vec with negative sampling on the docstring corpus at its tiny "
                    "config: Adam 1e-2 (the paper's SGD 0.025 with linear decay is for "
                    "billions of words), cosine decay, large batches.",
        epochs=3,
        batch_size=512,
        learning_rate=1e-2,
        preset="tiny",
        # Measured 2026-12-04: `keras-zoo train NAME` end to end on 2 idle cores.
        train_minutes={"word2vec_skipgram": 0.12},
    ),
    Recipe(
        name="glove",
        description="GloVe's weighted least squares on the corpus co-occurrences: Adam 5e-2 "
                    "(the paper uses AdaGrad 0.05), cosine decay.",
        epochs=20,
        batch_size=256,
        learning_rate=5e-2,
        preset="tiny",
        # Measured 2026-12-04: `keras-zoo train glove` end to end on 2 idle cores.
        train_minutes={"glove": 0.15},
    ),
    Recipe(
        name="elmo",
        # `keras-zoo train NAME` end to end on 2 cores, 2026-12-05 (load 0.8-2.1 from
        # other sessions).
        train_minutes={"elmo": 0.19},
        description="ELMo's biLM (forward + backward word LMs over a character CNN) on the "
                    "corpus at its tiny config: Adam 3e-3, cosine decay.",
        epochs=5,
        batch_size=64,
        learning_rate=3e-3,
        preset="tiny",
        early_stopping_patience=2,
    ),
    Recipe(
        name="kernel_regression",
        # `keras-zoo train NAME` end to end on 2 cores, 2026-12-05 (load 0.8-2.1 from
        # other sessions).
        train_minutes={"nadaraya_watson": 0.1},
        description="Nadaraya-Watson's kernel width by MSE on the d2l function: Adam 0.1, "
                    "constant.",
        epochs=5,
        batch_size=64,
        learning_rate=1e-1,
        schedule=None,
        preset="tiny",
    ),
]

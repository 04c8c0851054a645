"""Recipe for PixelRNN (Row LSTM) on digits: RMSProp is the paper's optimizer (section 5.2);
Adam 1e-3 as for our PixelCNN trains the tiny config faster on 2 cores."""

from training.recipes import Recipe

RECIPES = [
    Recipe(name="pixelrnn", description="PixelRNN (Row LSTM) on digits: Adam 1e-3, NLL in "
                                        "bits/dim.",
           # `keras-zoo train NAME` end to end on 2 cores, 2026-12-05 (load 0.8-2.1
           # from other sessions).
           train_minutes={"pixelrnn": 0.33},
           epochs=30, batch_size=32, learning_rate=1e-3, schedule=None, preset="tiny",
           # 8x8 digits for both LSTMs (their tiny configs are 3x3 since 2026-12-05, for the
           # battery).
           config={"image_shape": (8, 8, 1)}, monitor="val_loss"),
]

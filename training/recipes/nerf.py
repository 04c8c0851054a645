"""Recipe for NeRF on the synthetic scene (``keras_zoo.data.scenes``): random batches of rays
from the 48 training views, Adam with a decaying rate as the paper (5e-4 -> 5e-5 for its 8x256
networks; 1e-3 with cosine decay for the 4x64 networks that train in minutes on 2 cores)."""

from training.recipes import Recipe

#: Small enough for a CPU: the slow test reaches 23.5 dB on held-out views in 400 steps.
CPU_CONFIG = {"depth": 4, "width": 64, "skips": (2,), "direction_width": 32,
              "position_frequencies": 6, "direction_frequencies": 2, "num_coarse": 32,
              "num_fine": 32, "seed": 0}

RECIPES = [
    Recipe(name="nerf", description="NeRF (4x64, 32+32 samples) on the sphere scene, 32x32 "
                                    "views: Adam 1e-3, cosine, 512 rays per batch.",
           epochs=8, batch_size=512, learning_rate=1e-3, schedule="cosine", preset=None,
           config=CPU_CONFIG, monitor="val_psnr",
           # `keras-zoo train NAME` end to end on 2 cores, 2026-12-05 (load 2.0-2.1 from other
           # sessions): held-out PSNR 25.0 dB.
           train_minutes={"nerf": 1.17}),
]

"""Recipes for the progressive GAN and StyleGAN at their tiny configs on the embedded digits.

Both papers use Adam(0.001, beta_1=0, beta_2=0.99, epsilon=1e-8) for both networks (ProGAN
appendix A.1, StyleGAN appendix C); the tiny runs keep the rate and the betas, with no
schedule. Both grow by ``growth_epochs`` (the model adds its ``ProgressiveGrowing`` callback
to ``fit``; StyleGAN keeps ProGAN's growing): at 8x8, 10 epochs at 4x4, 10 fading the 8x8
level in, 20 at 8x8.
"""

from training.recipes import Recipe

_PAPER_ADAM = {"beta_1": 0.0, "beta_2": 0.99}

RECIPES = [
    Recipe(name="progan", description="ProGAN on 8x8 digits: WGAN-GP (lambda 10) + drift "
                                      "0.001, Adam(1e-3, 0, 0.99), n_critic 1.",
           epochs=40, batch_size=32, learning_rate=1e-3, schedule=None, preset="tiny",
           config={"growth_epochs": (10, 10)}, compile_options=_PAPER_ADAM,
           monitor="val_stat_gap"),
    Recipe(name="stylegan", description="StyleGAN on 8x8 digits: non-saturating loss + R1 "
                                        "(gamma 10), style mixing 0.9, Adam(1e-3, 0, 0.99), "
                                        "grown as ProGAN.",
           epochs=40, batch_size=32, learning_rate=1e-3, schedule=None, preset="tiny",
           config={"growth_epochs": (10, 10)}, compile_options=_PAPER_ADAM,
           monitor="val_stat_gap"),
]

"""Recipes for the generative family (autoencoders, VAE, GANs) at their tiny configs on the
embedded digits and the synthetic shape domains. GANs use the papers' optimizers: Adam with
beta_1 = 0.5 (DCGAN, Pix2pix, CycleGAN), RMSProp (WGAN), Adam(0, 0.9) (WGAN-GP)."""

from training.recipes import Recipe

_GAN_ADAM = {"beta_1": 0.5}

RECIPES = [
    # train_minutes: `keras-zoo train NAME` end to end on 2 idle cores, measured 2026-12-04.
    Recipe(name="autoencoder", description="Autoencoders on digits: Adam 1e-3, constant.",
           epochs=30, batch_size=32, learning_rate=1e-3, schedule=None, preset="tiny",
           train_minutes={"autoencoder": 0.14, "denoising_autoencoder": 0.13}),
    Recipe(name="vae", description="VAE on digits: Adam 1e-3, -ELBO in nats per image.",
           epochs=30, batch_size=32, learning_rate=1e-3, schedule=None, preset="tiny",
           train_minutes={"vae": 0.15}),
    Recipe(name="pixelcnn", description="PixelCNN on digits: Adam 1e-3, NLL in bits/dim.",
    # `keras-zoo train NAME` end to end on 2 cores, 2026-12-05 (load 0.8-2.1 from
    # other sessions).
    train_minutes={"pixelcnn": 0.22},
           epochs=30, batch_size=32, learning_rate=1e-3, schedule=None, preset="tiny"),
    Recipe(name="gan", description="GAN/DCGAN on digits: Adam(2e-4, beta_1=0.5), k=1.",
           epochs=50, batch_size=32, learning_rate=2e-4, schedule=None, preset="tiny",
           compile_options=_GAN_ADAM, monitor="val_stat_gap",
           train_minutes={"gan": 0.2, "dcgan": 0.33}),
    Recipe(name="cgan", description="Conditional DCGAN on 16x16 digits: Adam(4e-4, 0.5) "
                                    "(2e-4 needs twice the epochs on 2 cores).",
           # `keras-zoo train NAME` end to end on 2 cores, 2026-12-05 (load 0.8-2.1
           # from other sessions).
           train_minutes={"cgan": 0.33},
           epochs=30, batch_size=32, learning_rate=4e-4, schedule=None, preset="tiny",
           config={"image_shape": (16, 16, 1), "latent_dim": 32,
                   "generator_filters": (64, 32), "discriminator_filters": (32, 64)},
           compile_options=_GAN_ADAM, monitor="val_stat_gap"),
    Recipe(name="sgan", description="Semi-supervised GAN on digits, 10 % of the training "
                                    "labels kept: Adam(2e-4, 0.5), feature matching.",
           epochs=50, batch_size=32, learning_rate=2e-4, schedule=None, preset="tiny",
           data_options={"labelled_fraction": 0.1}, compile_options=_GAN_ADAM,
           monitor="val_stat_gap"),
    Recipe(name="wgan", description="WGAN / WGAN-GP on digits: RMSProp 5e-5 (WGAN).",
    # `keras-zoo train NAME` end to end on 2 cores, 2026-12-05 (load 0.8-2.1 from
    # other sessions).
    train_minutes={"wgan": 0.31},
           epochs=50, batch_size=32, learning_rate=5e-5, optimizer="rmsprop", schedule=None,
           preset="tiny", monitor="val_stat_gap"),
    Recipe(name="pix2pix", description="Pix2pix on outline -> filled shapes: Adam(2e-4, 0.5).",
           epochs=30, batch_size=16, learning_rate=2e-4, schedule=None, preset="tiny",
           compile_options=_GAN_ADAM, monitor="val_stat_gap"),
    Recipe(name="cyclegan", description="CycleGAN on unpaired red -> blue shapes: "
                                        "Adam(2e-4, 0.5).",
           epochs=30, batch_size=16, learning_rate=2e-4, schedule=None, preset="tiny",
           compile_options=_GAN_ADAM, monitor="val_stat_gap"),
    Recipe(name="stargan", description="StarGAN on red/green/blue shapes: Adam(1e-4, 0.5).",
           epochs=30, batch_size=16, learning_rate=1e-4, schedule=None, preset="tiny",
           compile_options=_GAN_ADAM, monitor="val_stat_gap"),
]

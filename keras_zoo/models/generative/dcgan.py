"""DCGAN (Radford, Metz & Chintala 2016, "Unsupervised Representation Learning with Deep
Convolutional Generative Adversarial Networks"): the GAN objective with all-convolutional
networks, BatchNorm, ReLU/LeakyReLU, Adam(2e-4, beta_1=0.5)."""

from __future__ import annotations

from keras_zoo.blocks.gan import dcgan_discriminator, dcgan_generator
from keras_zoo.models.generative.gan import GAN
from keras_zoo.models.registry import register

PAPER = "Radford et al., Unsupervised Representation Learning with Deep Convolutional GANs, ICLR 2016"


def DCGAN(latent_dim=100, image_shape=(64, 64, 3), generator_filters=(1024, 512, 256, 128),
          discriminator_filters=(128, 256, 512, 1024), discriminator_steps=1, seed=None,
          name="dcgan"):
    """DCGAN at the paper's 64x64 (figure 1) by default.

    Args:
        latent_dim: size of z (100).
        image_shape: ``(H, W, C)``; H and W divisible by ``2 ** len(generator_filters)``.
        generator_filters: channels of the projected 4x4 map and the upsampling stages.
        discriminator_filters: channels of the stride-2 convolutions.
        discriminator_steps: k, discriminator steps per generator step.
        seed: seed of the training noise.
        name: model name.
    """
    return GAN(dcgan_generator(latent_dim, image_shape, generator_filters),
               dcgan_discriminator(image_shape, discriminator_filters),
               discriminator_steps=discriminator_steps, seed=seed, name=name)


register("dcgan", task="generative", family="gan",
         tiny=dict(latent_dim=8, image_shape=(8, 8, 1), generator_filters=(32, 16),
                   discriminator_filters=(16, 32)),
         canonical=dict(latent_dim=100, image_shape=(64, 64, 3)),
         data="digits", recipe="gan", paper=PAPER)(DCGAN)

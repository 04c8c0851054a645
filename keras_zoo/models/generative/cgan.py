"""The conditional GAN (Mirza & Osindero 2014, "Conditional Generative Adversarial Nets"):
both networks see the class label y; G(z | y), D(x | y), the GAN objective otherwise.

Here with DCGAN-style convolutional networks (the paper used MLPs): the label is embedded and
concatenated to z for G, and broadcast to a feature plane concatenated to the image for D.
"""

from __future__ import annotations

from keras_zoo.blocks.gan import dcgan_discriminator, dcgan_generator
from keras_zoo.models.generative.gan import GAN
from keras_zoo.models.registry import register

PAPER = "Mirza & Osindero, Conditional Generative Adversarial Nets, arXiv:1411.1784, 2014"


def ConditionalGAN(latent_dim=100, num_classes=10, image_shape=(32, 32, 1),
                   generator_filters=(512, 256, 128), discriminator_filters=(128, 256, 512),
                   discriminator_steps=1, seed=None, name="cgan"):
    """A class-conditional DCGAN.

    Args:
        latent_dim: size of z.
        num_classes: number of labels y (10 digits).
        image_shape: ``(H, W, C)``; H and W divisible by ``2 ** len(generator_filters)``.
        generator_filters: channels of the projected map and the upsampling stages.
        discriminator_filters: channels of the stride-2 convolutions.
        discriminator_steps: k, discriminator steps per generator step.
        seed: seed of the training noise.
        name: model name.
    """
    return GAN(dcgan_generator(latent_dim, image_shape, generator_filters, num_classes),
               dcgan_discriminator(image_shape, discriminator_filters, num_classes),
               discriminator_steps=discriminator_steps, seed=seed, name=name)


register("cgan", task="generative", family="gan",
         tiny=dict(latent_dim=8, num_classes=10, image_shape=(8, 8, 1),
                   generator_filters=(32, 16), discriminator_filters=(16, 32)),
         canonical=dict(latent_dim=100, num_classes=10, image_shape=(32, 32, 1)),
         data="digits", recipe="cgan", paper=PAPER)(ConditionalGAN)

"""Pix2pix (Isola et al. 2017, "Image-to-Image Translation with Conditional Adversarial
Networks"): a U-Net generator G(x), a conditional PatchGAN discriminator D(x, y), and the
objective G* = arg min_G max_D L_cGAN(G, D) + lambda L_L1(G), lambda = 100 (equation 4);
the discriminator's objective is halved (section 3.3); Adam(2e-4, beta_1=0.5).
"""

from __future__ import annotations

import keras
import tensorflow as tf

from keras_zoo.blocks.gan import patchgan_discriminator, unet_generator
from keras_zoo.models.generative.base import AdversarialModel
from keras_zoo.models.generative.gan import _bce
from keras_zoo.models.registry import register

PAPER = "Isola et al., Image-to-Image Translation with Conditional Adversarial Networks, CVPR 2017"


@keras.saving.register_keras_serializable(package="keras_zoo")
class Pix2PixModel(AdversarialModel):
    """Conditional GAN for paired translation with an L1 term.

    ``fit`` takes ``{"images": source, "targets": target}`` (or ``(source, target)``), both in
    [0, 1].

    Args:
        generator: functional model with an ``images`` input (the source).
        discriminator: functional model with inputs ``source`` and ``images``, patch logits.
        l1_weight: lambda (100).
        discriminator_steps: k (1).
        seed: unused by the loss (Pix2pix's noise is the generator's dropout); kept for config.
        **kwargs: ``keras.Model`` arguments.
    """

    metric_names = ("d_loss", "g_loss", "stat_gap", "l1")

    def __init__(self, generator=None, discriminator=None, l1_weight=100.0,
                 discriminator_steps=1, seed=None, **kwargs):
        super().__init__(generator, discriminator, discriminator_steps, seed, **kwargs)
        if not l1_weight >= 0:
            raise ValueError(f"l1_weight must be >= 0, got {l1_weight!r}.")
        self.l1_weight = float(l1_weight)

    def discriminator_loss(self, real_output, fake_output, real, fake, condition):
        return 0.5 * (_bce(real_output, 1.0) + _bce(fake_output, 0.0)), {}

    def generator_loss(self, fake_output, real, fake, condition):
        l1 = tf.reduce_mean(tf.abs(real - fake))
        return _bce(fake_output, 1.0) + self.l1_weight * l1, {"l1": l1}

    def get_config(self):
        return dict(super().get_config(), l1_weight=self.l1_weight)


def Pix2Pix(image_shape=(256, 256, 3), generator_filters=(64, 128, 256, 512, 512, 512, 512, 512),
            discriminator_filters=(64, 128, 256, 512), out_channels=None, l1_weight=100.0,
            seed=None, name="pix2pix"):
    """Pix2pix at the paper's 256x256 by default (U-Net-256, 70x70 PatchGAN).

    Args:
        image_shape: ``(H, W, C)`` of the source images.
        generator_filters: U-Net encoder channels.
        discriminator_filters: PatchGAN channels.
        out_channels: channels of the target images (default C).
        l1_weight: lambda.
        seed: kept for config.
        name: model name.
    """
    out_shape = tuple(image_shape[:2]) + (out_channels or image_shape[-1],)
    return Pix2PixModel(
        unet_generator(image_shape, generator_filters, out_channels),
        patchgan_discriminator(out_shape, discriminator_filters,
                               condition_channels=image_shape[-1]),
        l1_weight=l1_weight, seed=seed, name=name)


register("pix2pix", task="generative", family="gan",
         tiny=dict(image_shape=(16, 16, 3), generator_filters=(8, 16, 16),
                   discriminator_filters=(8, 16)),
         canonical=dict(image_shape=(256, 256, 3)),
         data="domains/outline_to_filled", recipe="pix2pix", paper=PAPER)(Pix2Pix)

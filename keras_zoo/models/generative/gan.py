"""The generative adversarial network (Goodfellow et al. 2014, "Generative Adversarial Nets").

The discriminator D maximises log D(x) + log(1 - D(G(z))); the generator minimises
log(1 - D(G(z))) ("minimax") or, as the paper recommends in practice (section 3), maximises
log D(G(z)) ("non_saturating"). k discriminator steps per generator step (Algorithm 1) is
``discriminator_steps``.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from keras_zoo.blocks.gan import mlp_discriminator, mlp_generator
from keras_zoo.models.generative.base import AdversarialModel
from keras_zoo.models.registry import register

GENERATOR_LOSSES = ("non_saturating", "minimax")

PAPER = "Goodfellow et al., Generative Adversarial Nets, NeurIPS 2014"


def _bce(logits, target):
    labels = tf.fill(tf.shape(logits), float(target))
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits))


@keras.saving.register_keras_serializable(package="keras_zoo")
class GAN(AdversarialModel):
    """A GAN trained with the paper's binary cross-entropy objective.

    Args:
        generator: functional model, inputs ``latent`` (+ ``labels``), ``tanh`` images.
        discriminator: functional model returning one logit per image.
        discriminator_steps: k of Algorithm 1.
        generator_loss_type: ``"non_saturating"`` (-log D(G(z)), the paper's practical choice)
            or ``"minimax"`` (log(1 - D(G(z)))).
        seed: seed of the training noise.
        **kwargs: ``keras.Model`` arguments.

    Example:
        >>> gan = keras_zoo.models.get("gan", preset="tiny")
        >>> gan.compile()
        >>> gan.fit(images, epochs=1)  # doctest: +SKIP
    """

    def __init__(self, generator=None, discriminator=None, discriminator_steps=1,
                 generator_loss_type="non_saturating", seed=None, **kwargs):
        if generator_loss_type not in GENERATOR_LOSSES:
            raise ValueError(f"generator_loss_type must be one of {GENERATOR_LOSSES}, got "
                             f"{generator_loss_type!r}.")
        super().__init__(generator, discriminator, discriminator_steps, seed, **kwargs)
        self.generator_loss_type = generator_loss_type

    def discriminator_loss(self, real_output, fake_output, real, fake, condition):
        return _bce(real_output, 1.0) + _bce(fake_output, 0.0), {}

    def generator_loss(self, fake_output, real, fake, condition):
        if self.generator_loss_type == "minimax":
            return -_bce(fake_output, 0.0), {}
        return _bce(fake_output, 1.0), {}

    def get_config(self):
        return dict(super().get_config(), generator_loss_type=self.generator_loss_type)


def VanillaGAN(latent_dim=100, image_shape=(28, 28, 1), generator_units=(256, 512, 1024),
               discriminator_units=(1024, 512, 256), discriminator_steps=1,
               generator_loss_type="non_saturating", seed=None, name="gan"):
    """The fully connected GAN of Goodfellow et al. (2014) on MNIST-sized images.

    Args:
        latent_dim: size of z.
        image_shape: ``(H, W, C)`` of the images.
        generator_units: hidden layer sizes of G.
        discriminator_units: hidden layer sizes of D.
        discriminator_steps: k, discriminator steps per generator step (k=1 in the paper's
            experiments).
        generator_loss_type: ``"non_saturating"`` or ``"minimax"``.
        seed: seed of the training noise.
        name: model name.
    """
    return GAN(mlp_generator(latent_dim, image_shape, generator_units),
               mlp_discriminator(image_shape, discriminator_units),
               discriminator_steps=discriminator_steps, generator_loss_type=generator_loss_type,
               seed=seed, name=name)


register("gan", task="generative", family="gan",
         tiny=dict(latent_dim=8, image_shape=(8, 8, 1), generator_units=(32,),
                   discriminator_units=(32,), discriminator_steps=1),
         canonical=dict(latent_dim=100, image_shape=(28, 28, 1)),
         data="digits", recipe="gan", paper=PAPER,
         notes="MLP generator and discriminator; k:1 ratio is discriminator_steps.")(VanillaGAN)

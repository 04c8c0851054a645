"""InfoGAN (Chen et al. 2016, "InfoGAN: Interpretable Representation Learning by Information
Maximizing Generative Adversarial Nets").

The generator's input is (z, c) with c a latent code: here ``num_categories``-way categorical
codes (one-hot) and ``num_continuous`` Uniform(-1, 1) codes (section 6: one 10-way code and two
continuous codes on MNIST). An auxiliary head Q(c | x), sharing the discriminator's body, gives
the variational lower bound L_I(G, Q) of the mutual information I(c; G(z, c)) (equation 5);
both G and Q minimise lambda * L_I on top of the GAN objective (equation 6): lambda = 1 for the
categorical code, ``continuous_weight`` (0.1) for the continuous ones, whose Q is a Gaussian of
fixed unit variance (so its negative log-likelihood is a halved squared error up to a constant).

The generator's served input ``latent`` is the concatenation [z, one-hot c, continuous c].
"""

from __future__ import annotations

import keras
import tensorflow as tf

from keras_zoo.blocks.gan import dcgan_discriminator, dcgan_generator
from keras_zoo.models.generative.gan import GAN, _bce
from keras_zoo.models.registry import register

PAPER = "Chen et al., InfoGAN, NeurIPS 2016"


@keras.saving.register_keras_serializable(package="keras_zoo")
class InfoGANModel(GAN):
    """A GAN with latent codes whose mutual information with the samples is maximised.

    Args:
        generator: functional model; input ``latent`` of size
            noise_dim + num_categories + num_continuous.
        discriminator: functional model with 1 + num_categories + num_continuous outputs:
            the real/fake logit, then Q's categorical logits and continuous means.
        num_categories: size of the categorical code (0 for none).
        num_continuous: number of continuous codes.
        information_weight: lambda of the categorical code (1).
        continuous_weight: lambda of the continuous codes (0.1).
        discriminator_steps: k.
        seed: seed of the training noise.
        **kwargs: ``keras.Model`` arguments.
    """

    metric_names = ("d_loss", "g_loss", "stat_gap", "information")

    def __init__(self, generator=None, discriminator=None, num_categories=10, num_continuous=2,
                 information_weight=1.0, continuous_weight=0.1, discriminator_steps=1,
                 seed=None, **kwargs):
        kwargs.pop("generator_loss_type", None)
        super().__init__(generator, discriminator, discriminator_steps, seed=seed, **kwargs)
        self.num_categories = int(num_categories)
        self.num_continuous = int(num_continuous)
        self.noise_dim = self.latent_dim - self.num_categories - self.num_continuous
        if self.noise_dim < 1:
            raise ValueError(f"latent_dim {self.latent_dim} must exceed num_categories + "
                             f"num_continuous = {self.num_categories + self.num_continuous}.")
        outputs = int(discriminator.outputs[0].shape[-1])
        if outputs != 1 + self.num_categories + self.num_continuous:
            raise ValueError(f"discriminator must have 1 + num_categories + num_continuous = "
                             f"{1 + self.num_categories + self.num_continuous} outputs, got "
                             f"{outputs}.")
        self.information_weight = float(information_weight)
        self.continuous_weight = float(continuous_weight)

    def sample_latent(self, batch, salt=0):
        """[z ~ N(0, I), one-hot c ~ Cat(uniform), c ~ U(-1, 1)]."""
        z = self.step_noise(tf.stack([batch, self.noise_dim]), salt)
        parts = [z]
        if self.num_categories:
            u = self.step_noise(tf.stack([batch, self.num_categories]), salt + 100, "uniform")
            parts.append(tf.one_hot(tf.argmax(u, axis=-1), self.num_categories))
        if self.num_continuous:
            u = self.step_noise(tf.stack([batch, self.num_continuous]), salt + 200, "uniform")
            parts.append(u * 2.0 - 1.0)
        self._codes = tf.concat(parts[1:], axis=-1) if len(parts) > 1 else None
        return tf.concat(parts, axis=-1)

    def information_loss(self, fake_output):
        """L_I: cross-entropy of the categorical code and Gaussian NLL of the continuous."""
        k, codes = self.num_categories, self._codes
        loss = tf.constant(0.0)
        if k:
            loss += self.information_weight * tf.reduce_mean(
                tf.nn.softmax_cross_entropy_with_logits(labels=codes[:, :k],
                                                        logits=fake_output[:, 1:1 + k]))
        if self.num_continuous:
            loss += self.continuous_weight * tf.reduce_mean(
                0.5 * tf.reduce_sum(tf.square(codes[:, k:] - fake_output[:, 1 + k:]), axis=-1))
        return loss

    def discriminator_loss(self, real_output, fake_output, real, fake, condition):
        info = self.information_loss(fake_output)
        gan = _bce(real_output[:, :1], 1.0) + _bce(fake_output[:, :1], 0.0)
        return gan + info, {"information": info}

    def generator_loss(self, fake_output, real, fake, condition):
        return _bce(fake_output[:, :1], 1.0) + self.information_loss(fake_output), {}

    def get_config(self):
        config = super().get_config()
        config.pop("generator_loss_type")
        return dict(config, num_categories=self.num_categories,
                    num_continuous=self.num_continuous,
                    information_weight=self.information_weight,
                    continuous_weight=self.continuous_weight)


def InfoGAN(noise_dim=62, num_categories=10, num_continuous=2, image_shape=(28, 28, 1),
            generator_filters=(128, 64), discriminator_filters=(64, 128),
            information_weight=1.0, continuous_weight=0.1, seed=None, name="infogan"):
    """InfoGAN with the MNIST configuration of the paper (appendix C.1: 62 noise variables,
    one 10-way categorical and two continuous codes).

    Args:
        noise_dim: size of z.
        num_categories: size of the categorical code.
        num_continuous: number of continuous codes.
        image_shape: ``(H, W, C)``.
        generator_filters: DCGAN generator channels.
        discriminator_filters: discriminator channels (Q shares them).
        information_weight: lambda (categorical).
        continuous_weight: lambda (continuous).
        seed: seed of the training noise.
        name: model name.
    """
    latent_dim = noise_dim + num_categories + num_continuous
    return InfoGANModel(
        dcgan_generator(latent_dim, image_shape, generator_filters),
        dcgan_discriminator(image_shape, discriminator_filters,
                            outputs=1 + num_categories + num_continuous),
        num_categories=num_categories, num_continuous=num_continuous,
        information_weight=information_weight, continuous_weight=continuous_weight,
        seed=seed, name=name)


register("infogan", task="generative", family="gan",
         tiny=dict(noise_dim=6, num_categories=10, num_continuous=2, image_shape=(8, 8, 1),
                   generator_filters=(32, 16), discriminator_filters=(16, 32)),
         canonical=dict(image_shape=(28, 28, 1)),
         data="digits", recipe="gan", paper=PAPER)(InfoGAN)

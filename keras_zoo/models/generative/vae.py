"""The variational autoencoder (Kingma & Welling 2014, "Auto-Encoding Variational Bayes").

The encoder gives q(z | x) = N(mu, diag(sigma^2)); z = mu + sigma * eps (the
reparameterisation, ``keras_zoo.layers.Sampling``); the decoder gives Bernoulli logits of
p(x | z). The loss is -ELBO with, as in the notes (000):

    ELBO = E_q[ln p(x | z)] - KL(q(z | x) || N(0, I))
    KL   = 1/2 sum_j (mu_j^2 + sigma_j^2 - 1 - ln sigma_j^2)   (Kingma & Welling, appendix B)

the expectation estimated with one sample per example (section 2.3), averaged over the batch.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from keras_zoo.layers import Sampling
from keras_zoo.models.generative.autoencoder import (
    ReconstructionModel,
    bernoulli_log_likelihood,
    mlp_decoder,
    mlp_encoder,
)
from keras_zoo.models.registry import register

PAPER = "Kingma & Welling, Auto-Encoding Variational Bayes, ICLR 2014"


def gaussian_kl(z_mean, z_log_var):
    """KL(N(mu, diag(exp(log_var))) || N(0, I)) per example."""
    return 0.5 * tf.reduce_sum(tf.square(z_mean) + tf.exp(z_log_var) - 1.0 - z_log_var, axis=-1)


def elbo(images, logits, z_mean, z_log_var):
    """``(elbo, reconstruction log-likelihood, kl)`` per example."""
    reconstruction = bernoulli_log_likelihood(images, logits)
    kl = gaussian_kl(z_mean, z_log_var)
    return reconstruction - kl, reconstruction, kl


@keras.saving.register_keras_serializable(package="keras_zoo")
class VAEModel(ReconstructionModel):
    """A VAE trained on -ELBO; ``encode``, ``decode``, ``sample``.

    ``fit`` and ``evaluate`` take images in [0, 1]; they log ``loss`` (-ELBO, nats per image),
    ``reconstruction`` (-E[ln p(x|z)]) and ``kl``. ``call`` returns the reconstruction of the
    posterior mean (deterministic), or of a sample when ``training``.

    Args:
        encoder: functional model, images -> ``[z_mean, z_log_var]``.
        decoder: functional model, ``latent`` -> per-pixel logits.
        seed: seed of eps.
        **kwargs: ``keras.Model`` arguments.
    """

    metric_names = ("loss", "reconstruction", "kl")

    def __init__(self, encoder=None, decoder=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.sampling = Sampling(seed=seed, name="sampling")
        self._setup(encoder, decoder)

    def encode(self, images):
        """``(z_mean, z_log_var)`` of q(z | x)."""
        z_mean, z_log_var = self.encoder(self._images(images), training=False)
        return z_mean, z_log_var

    def grid_samples(self, n, labels=None, images=None, seed=0):
        return self.sample(n, seed=seed), None

    def sample(self, n=16, seed=None):
        """``n`` images (probabilities in [0, 1], numpy) decoded from z ~ N(0, I)."""
        latent = np.random.default_rng(seed).standard_normal((n, self.latent_dim))
        return keras.ops.convert_to_numpy(self.decode(latent.astype(np.float32)))

    def call(self, inputs, training=False):
        z_mean, z_log_var = self.encoder(self._images(inputs), training=training)
        z = self.sampling([z_mean, z_log_var], training=True) if training else z_mean
        return tf.sigmoid(self.decoder(z, training=training))

    def objective(self, images, training):
        return self.losses_of(images, training)

    def losses_of(self, images, training):
        z_mean, z_log_var = self.encoder(images, training=training)
        # The bound is estimated with a draw in evaluation too; the draw comes from the
        # sampler's seed generator (training=True), saved with a run's backup, so a resumed run
        # repeats both training and validation draws.
        z = self.sampling([z_mean, z_log_var], training=True)
        logits = self.decoder(z, training=training)
        bound, reconstruction, kl = elbo(images, logits, z_mean, z_log_var)
        return {"loss": -tf.reduce_mean(bound), "reconstruction": -tf.reduce_mean(reconstruction),
                "kl": tf.reduce_mean(kl)}


    def get_config(self):
        return dict(super().get_config(), seed=self.seed)


def VAE(image_shape=(28, 28, 1), units=(500,), latent_dim=20, seed=None, name="vae"):
    """The MNIST VAE of Kingma & Welling (section 5: 500 hidden units, ReLU here instead of
    tanh, a 20-dimensional latent, Bernoulli decoder).

    Args:
        image_shape: ``(H, W, C)``, pixels in [0, 1].
        units: encoder hidden sizes (the decoder mirrors them).
        latent_dim: size of z.
        seed: seed of eps.
        name: model name.
    """
    encoder = mlp_encoder(image_shape, units, [("z_mean", latent_dim),
                                               ("z_log_var", latent_dim)])
    decoder = mlp_decoder(latent_dim, image_shape, tuple(reversed(units)))
    return VAEModel(encoder, decoder, seed=seed, name=name)


register("vae", task="generative", family="autoencoder",
         tiny=dict(image_shape=(8, 8, 1), units=(32,), latent_dim=4),
         canonical=dict(image_shape=(28, 28, 1)), data="digits", recipe="vae",
         paper=PAPER)(VAE)

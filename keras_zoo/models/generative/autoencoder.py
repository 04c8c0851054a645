"""Autoencoders: the deep autoencoder (Hinton & Salakhutdinov 2006, "Reducing the
Dimensionality of Data with Neural Networks") and the denoising autoencoder (Vincent et al.
2008, "Extracting and Composing Robust Features with Denoising Autoencoders").

The encoder maps an image to a code, the decoder maps the code back to per-pixel Bernoulli
logits; the loss is the cross-entropy reconstruction error summed over pixels (Vincent et al.,
section 2.2, for inputs in [0, 1]) and averaged over the batch. The denoising autoencoder
corrupts its input during training (masking noise: a random fraction ``corruption_level`` of
pixels is set to 0, Vincent et al. section 2.3; or additive Gaussian noise) and reconstructs the
clean image.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from keras_zoo.blocks.gan import _check_image_shape
from keras_zoo.models.composite import NetworksConfig
from keras_zoo.models.generative.base import ObjectiveModel, validate_images, validate_latent
from keras_zoo.models.registry import register

PAPER_AE = "Hinton & Salakhutdinov, Reducing the Dimensionality of Data with Neural Networks, Science 2006"
PAPER_DAE = ("Vincent et al., Extracting and Composing Robust Features with Denoising "
             "Autoencoders, ICML 2008")
CORRUPTIONS = (None, "masking", "gaussian")


def mlp_encoder(image_shape, units, outputs, name="encoder"):
    """Flatten, Dense+ReLU per ``units``, then one linear Dense per size in ``outputs``."""
    image_shape = _check_image_shape(image_shape)
    images = keras.Input(image_shape, name="images")
    x = keras.layers.Flatten(name=f"{name}_flatten")(images)
    for i, u in enumerate(units):
        x = keras.layers.Dense(u, activation="relu", name=f"{name}_dense{i + 1}")(x)
    heads = [keras.layers.Dense(size, name=f"{name}_{head}")(x) for head, size in outputs]
    return keras.Model(images, heads if len(heads) > 1 else heads[0], name=name)


def mlp_decoder(latent_dim, image_shape, units, name="decoder"):
    """Dense+ReLU per ``units`` from the code, then per-pixel logits reshaped to the image."""
    latent = keras.Input((latent_dim,), name="latent")
    x = latent
    for i, u in enumerate(units):
        x = keras.layers.Dense(u, activation="relu", name=f"{name}_dense{i + 1}")(x)
    x = keras.layers.Dense(int(np.prod(image_shape)), name=f"{name}_logits")(x)
    x = keras.layers.Reshape(tuple(image_shape), name=f"{name}_image")(x)
    return keras.Model(latent, x, name=name)


def bernoulli_log_likelihood(images, logits):
    """sum_i x_i log p_i + (1 - x_i) log(1 - p_i) per example, p = sigmoid(logits)."""
    nll = tf.nn.sigmoid_cross_entropy_with_logits(labels=images, logits=logits)
    return -tf.reduce_sum(tf.reshape(nll, [tf.shape(nll)[0], -1]), axis=-1)


class ReconstructionModel(NetworksConfig, ObjectiveModel):
    """An encoder and a decoder of logits; ``decode``, ``serving_model`` give probabilities."""

    networks = ("encoder", "decoder")

    def _setup(self, encoder, decoder):
        for name, net in (("encoder", encoder), ("decoder", decoder)):
            if not isinstance(net, keras.Model):
                raise TypeError(f"{name} must be a keras.Model, got {type(net).__name__}.")
        self.encoder = encoder
        self.decoder = decoder
        self.image_shape = tuple(encoder.inputs[0].shape[1:])
        self.latent_dim = int(decoder.inputs[0].shape[-1])
        self.conditioning = None
        self._make_trackers()
        self.built = True

    def _images(self, inputs):
        images = inputs["images"] if isinstance(inputs, dict) else inputs
        validate_images(images, self.image_shape, "images")
        return tf.cast(images, "float32")

    def decode(self, latent):
        """Pixel probabilities in [0, 1] for codes ``latent`` [B, latent_dim]."""
        validate_latent(latent, self.latent_dim)
        return tf.sigmoid(self.decoder(latent, training=False))

    def serving_model(self):
        """The decoder with its sigmoid: latent in, images in [0, 1] out."""
        latent = keras.Input((self.latent_dim,), name="latent")
        probabilities = keras.layers.Activation("sigmoid", name="decoder_probabilities")(
            self.decoder(latent))
        return keras.Model(latent, probabilities, name=f"{self.name}_decoder")



@keras.saving.register_keras_serializable(package="keras_zoo")
class AutoEncoderModel(ReconstructionModel):
    """An autoencoder, denoising if ``corruption`` is set.

    ``fit`` takes images in [0, 1] (a tensor or ``{"images": ...}``); ``call`` returns the
    reconstruction probabilities.

    Args:
        encoder: functional model, images -> code.
        decoder: functional model, code (input ``latent``) -> per-pixel logits.
        corruption: None (plain AE), ``"masking"`` or ``"gaussian"`` (denoising AE).
        corruption_level: fraction of pixels zeroed (masking) or noise std (gaussian).
        seed: seed of the corruption.
        **kwargs: ``keras.Model`` arguments.
    """

    metric_names = ("loss",)

    def __init__(self, encoder=None, decoder=None, corruption=None, corruption_level=0.25,
                 seed=None, **kwargs):
        super().__init__(**kwargs)
        if corruption not in CORRUPTIONS:
            raise ValueError(f"corruption must be one of {CORRUPTIONS}, got {corruption!r}.")
        if corruption is not None and not 0 < corruption_level < (1 if corruption ==
                                                                  "masking" else 10):
            raise ValueError(f"corruption_level must be in (0, 1) for masking or positive, got "
                             f"{corruption_level!r}.")
        self.corruption = corruption
        self.corruption_level = float(corruption_level)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self._setup(encoder, decoder)

    def corrupt(self, images):
        """The denoising autoencoder's q_D(x~ | x)."""
        if self.corruption == "masking":
            keep = keras.random.uniform(tf.shape(images), seed=self.seed_generator)
            return images * tf.cast(keep >= self.corruption_level, images.dtype)
        if self.corruption == "gaussian":
            noise = keras.random.normal(tf.shape(images), seed=self.seed_generator)
            return images + self.corruption_level * noise
        return images

    def encode(self, images):
        return self.encoder(self._images(images), training=False)

    def call(self, inputs, training=False):
        images = self._images(inputs)
        if training:
            images = self.corrupt(images)
        return tf.sigmoid(self.decoder(self.encoder(images, training=training),
                                       training=training))

    def objective(self, images, training):
        return {"loss": self.reconstruction_loss(images, training)}

    def reconstruction_loss(self, images, training):
        source = self.corrupt(images) if training else images
        logits = self.decoder(self.encoder(source, training=training), training=training)
        return -tf.reduce_mean(bernoulli_log_likelihood(images, logits))


    def get_config(self):
        return dict(super().get_config(), corruption=self.corruption,
                    corruption_level=self.corruption_level, seed=self.seed)


def AutoEncoder(image_shape=(28, 28, 1), units=(1000, 500, 250), latent_dim=30,
                corruption=None, corruption_level=0.25, seed=None, name="autoencoder"):
    """A fully connected autoencoder; Hinton & Salakhutdinov's MNIST net by default
    (784-1000-500-250-30, mirrored decoder).

    Args:
        image_shape: ``(H, W, C)``.
        units: encoder hidden sizes (the decoder mirrors them).
        latent_dim: size of the code.
        corruption: None, ``"masking"`` or ``"gaussian"`` (a denoising autoencoder).
        corruption_level: masking fraction or noise std.
        seed: seed of the corruption.
        name: model name.
    """
    return AutoEncoderModel(mlp_encoder(image_shape, units, [("code", latent_dim)]),
                            mlp_decoder(latent_dim, image_shape, tuple(reversed(units))),
                            corruption=corruption, corruption_level=corruption_level,
                            seed=seed, name=name)


def DenoisingAutoEncoder(image_shape=(28, 28, 1), units=(500,), latent_dim=500,
                         corruption="masking", corruption_level=0.25, seed=None,
                         name="denoising_autoencoder"):
    """The denoising autoencoder of Vincent et al. (2008): one hidden layer (the code), masking
    noise. See ``AutoEncoder`` for the arguments."""
    return AutoEncoder(image_shape, units[:-1] if len(units) > 1 else (), latent_dim,
                       corruption, corruption_level, seed, name)


register("autoencoder", task="generative", family="autoencoder",
         tiny=dict(image_shape=(8, 8, 1), units=(32,), latent_dim=4),
         canonical=dict(image_shape=(28, 28, 1)), data="digits", recipe="autoencoder",
         paper=PAPER_AE)(AutoEncoder)
register("denoising_autoencoder", task="generative", family="autoencoder",
         tiny=dict(image_shape=(8, 8, 1), units=(32,), latent_dim=16),
         canonical=dict(image_shape=(28, 28, 1)), data="digits", recipe="autoencoder",
         paper=PAPER_DAE)(DenoisingAutoEncoder)

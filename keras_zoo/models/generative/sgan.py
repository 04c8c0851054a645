"""The semi-supervised GAN (Odena 2016, "Semi-Supervised Learning with Generative Adversarial
Networks"; in the K-logit form of Salimans et al. 2016, "Improved Techniques for Training GANs",
section 5): the discriminator is a K-class classifier whose "fake" class has the fixed logit 0,
so that D(x) = Z(x) / (Z(x) + 1) with Z(x) = sum_k exp(l_k(x)).

Discriminator loss: cross-entropy on the labelled real images (label -1 marks an unlabelled
one) plus the unsupervised GAN loss -log D(x) - log(1 - D(G(z))); the generator minimises
-log D(G(z)) or, by default, uses feature matching, ||E f(x) - E f(G(z))||^2 on the
discriminator's last hidden features (Salimans et al., sections 3.1 and 5: it is what makes the
semi-supervised classifier work, and at initialisation D(G(z)) = Z / (Z + 1) is already near
1 with K logits, so -log D(G(z)) gives the generator almost no gradient).
``classify`` gives the class probabilities, the model's point.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from keras_zoo.blocks.gan import dcgan_discriminator, dcgan_generator
from keras_zoo.models.generative.base import to_signed, validate_images
from keras_zoo.models.generative.gan import GAN
from keras_zoo.models.registry import register

PAPER = ("Odena, Semi-Supervised Learning with GANs, 2016; Salimans et al., Improved "
         "Techniques for Training GANs, NeurIPS 2016")


@keras.saving.register_keras_serializable(package="keras_zoo")
class SemiSupervisedGANModel(GAN):
    """A GAN whose discriminator is a K-class classifier.

    ``fit`` takes images with ``labels`` (dict key or ``y``; -1 = unlabelled) or images alone
    (all unlabelled).

    Args:
        generator: functional model with a ``latent`` input.
        discriminator: functional model with K class logits.
        supervised_weight: weight of the supervised cross-entropy (1).
        feature_matching: the generator matches the mean discriminator features of real data
            (True) or minimises -log D(G(z)) (False).
        discriminator_steps: k.
        seed: seed of the training noise.
        **kwargs: ``keras.Model`` arguments.
    """

    metric_names = ("d_loss", "g_loss", "stat_gap", "supervised", "accuracy")
    #: The task feeds it labels as targets of D (not as an input of G).
    semi_supervised = True

    def __init__(self, generator=None, discriminator=None, supervised_weight=1.0,
                 feature_matching=True, discriminator_steps=1, seed=None, **kwargs):
        kwargs.pop("generator_loss_type", None)
        super().__init__(generator, discriminator, discriminator_steps, seed=seed, **kwargs)
        self.supervised_weight = float(supervised_weight)
        self.feature_matching = bool(feature_matching)
        # f(x): the input of the discriminator's last (logit) layer, shared weights.
        self._features = keras.Model(discriminator.inputs,
                                     discriminator.layers[-1].input, name="features")
        self.num_classes_out = int(discriminator.outputs[0].shape[-1])

    def unpack(self, data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        images = x["images"] if isinstance(x, dict) else x
        labels = x.get("labels", y) if isinstance(x, dict) else y
        real = to_signed(tf.cast(images, "float32"))
        if labels is None:
            labels = -tf.ones(tf.shape(real)[:1], tf.int32)
        return real, tf.cast(tf.reshape(labels, [-1]), tf.int32)

    def discriminator_inputs(self, images, condition):
        return images  # labels are targets of D, not inputs

    def generator_inputs(self, batch, condition, salt=0):
        return self.sample_latent(batch, salt)

    def discriminator_loss(self, real_output, fake_output, real, fake, condition):
        labelled = condition >= 0
        count = tf.reduce_sum(tf.cast(labelled, tf.float32))
        ce = tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=tf.maximum(condition, 0), logits=real_output)
        mask = tf.cast(labelled, tf.float32)
        supervised = tf.reduce_sum(ce * mask) / tf.maximum(count, 1.0)
        correct = tf.cast(tf.equal(tf.argmax(real_output, -1, output_type=tf.int32), condition),
                          tf.float32)
        accuracy = tf.reduce_sum(correct * mask) / tf.maximum(count, 1.0)
        lse_real = tf.reduce_logsumexp(real_output, axis=-1)
        lse_fake = tf.reduce_logsumexp(fake_output, axis=-1)
        # -log D(x) = softplus(lse) - lse;  -log(1 - D(G(z))) = softplus(lse)
        unsupervised = (tf.reduce_mean(tf.nn.softplus(lse_real) - lse_real)
                        + tf.reduce_mean(tf.nn.softplus(lse_fake)))
        return (self.supervised_weight * supervised + unsupervised,
                {"supervised": supervised, "accuracy": accuracy})

    def generator_loss(self, fake_output, real, fake, condition):
        if self.feature_matching:
            real_features = tf.reduce_mean(self._features(real, training=True), axis=0)
            fake_features = tf.reduce_mean(self._features(fake, training=True), axis=0)
            return tf.reduce_sum(tf.square(tf.stop_gradient(real_features) - fake_features)), {}
        lse = tf.reduce_logsumexp(fake_output, axis=-1)
        return tf.reduce_mean(tf.nn.softplus(lse) - lse), {}

    def classify(self, images):
        """Class probabilities (numpy) of images in [0, 1]."""
        validate_images(images, self.image_shape, "images")
        logits = self.discriminator(to_signed(tf.cast(images, "float32")), training=False)
        return keras.ops.convert_to_numpy(tf.nn.softmax(logits, axis=-1))

    def get_config(self):
        config = super().get_config()
        config.pop("generator_loss_type")
        return dict(config, supervised_weight=self.supervised_weight,
                    feature_matching=self.feature_matching)


def SemiSupervisedGAN(latent_dim=100, num_classes=10, image_shape=(28, 28, 1),
                      generator_filters=(128, 64), discriminator_filters=(64, 128),
                      supervised_weight=1.0, seed=None, name="sgan"):
    """A semi-supervised DCGAN for MNIST-sized digits.

    Args:
        latent_dim: size of z.
        num_classes: K, the real classes.
        image_shape: ``(H, W, C)``.
        generator_filters: DCGAN generator channels.
        discriminator_filters: classifier channels.
        supervised_weight: weight of the supervised loss.
        seed: seed of the training noise.
        name: model name.
    """
    return SemiSupervisedGANModel(
        dcgan_generator(latent_dim, image_shape, generator_filters),
        dcgan_discriminator(image_shape, discriminator_filters, outputs=num_classes),
        supervised_weight=supervised_weight, seed=seed, name=name)


register("sgan", task="generative", family="gan",
         tiny=dict(latent_dim=8, num_classes=10, image_shape=(8, 8, 1),
                   generator_filters=(32, 16), discriminator_filters=(16, 32)),
         canonical=dict(image_shape=(28, 28, 1)),
         data="digits", recipe="sgan", paper=PAPER)(SemiSupervisedGAN)

"""CycleGAN (Zhu et al. 2017, "Unpaired Image-to-Image Translation using Cycle-Consistent
Adversarial Networks"): G: X -> Y and F: Y -> X with discriminators D_Y and D_X, the
least-squares adversarial loss (section 4), the cycle loss lambda ||F(G(x)) - x||_1 +
lambda ||G(F(y)) - y||_1 with lambda = 10 (equation 3), and the identity loss
0.5 lambda (||G(y) - y||_1 + ||F(x) - x||_1) (section 5.2); Adam(2e-4, beta_1=0.5).
The discriminators' objective is halved (section 4). The paper's history buffer of 50
generated images is left out (the discriminators see the current generators' images).
"""

from __future__ import annotations

import keras
import tensorflow as tf

from keras_zoo.blocks.gan import patchgan_discriminator, resnet_generator
from keras_zoo.models.generative.base import (
    AdversarialModel,
    TrackedModel,
    statistics_gap,
    to_signed,
    to_unit,
    validate_images,
)
from keras_zoo.models.generative.gan import _bce
from keras_zoo.models.registry import register
from keras_zoo.models.replicas import minimize

PAPER = ("Zhu et al., Unpaired Image-to-Image Translation using Cycle-Consistent Adversarial "
         "Networks, ICCV 2017")
ADVERSARIAL_LOSSES = ("least_squares", "cross_entropy")


def _adversarial(output, target, kind):
    if kind == "least_squares":
        return tf.reduce_mean(tf.square(output - target))
    return _bce(output, target)


@keras.saving.register_keras_serializable(package="keras_zoo")
class CycleGANModel(AdversarialModel):
    """Two generators and two discriminators trained with cycle consistency.

    ``fit`` takes ``{"images": x from X, "targets": y from Y}`` (unpaired: the i-th y need not
    correspond to the i-th x), both in [0, 1]. ``call`` translates X -> Y.

    Args:
        generator: G, X -> Y (input ``images``).
        inverse_generator: F, Y -> X.
        discriminator: D_Y, on images of Y.
        inverse_discriminator: D_X, on images of X.
        cycle_weight: lambda (10).
        identity_weight: weight of the identity loss relative to lambda (0.5; 0 disables it).
        adversarial_loss: ``"least_squares"`` (CycleGAN) or ``"cross_entropy"`` (DiscoGAN).
        cycle_distance: ``"l1"`` (CycleGAN) or ``"l2"`` (DiscoGAN).
        seed: kept for config.
        **kwargs: ``keras.Model`` arguments.
    """

    networks = ("generator", "inverse_generator", "discriminator", "inverse_discriminator")
    generator_networks = ("generator", "inverse_generator")
    discriminator_networks = ("discriminator", "inverse_discriminator")
    metric_names = ("d_loss", "g_loss", "stat_gap", "cycle", "identity")

    def __init__(self, generator=None, inverse_generator=None, discriminator=None,
                 inverse_discriminator=None, cycle_weight=10.0, identity_weight=0.5,
                 adversarial_loss="least_squares", cycle_distance="l1", seed=None, **kwargs):
        kwargs.pop("discriminator_steps", None)
        TrackedModel.__init__(self, **kwargs)
        if adversarial_loss not in ADVERSARIAL_LOSSES:
            raise ValueError(f"adversarial_loss must be one of {ADVERSARIAL_LOSSES}, got "
                             f"{adversarial_loss!r}.")
        if cycle_distance not in ("l1", "l2"):
            raise ValueError(f"cycle_distance must be 'l1' or 'l2', got {cycle_distance!r}.")
        self.cycle_weight = float(cycle_weight)
        self.identity_weight = float(identity_weight)
        self.adversarial_loss = adversarial_loss
        self.cycle_distance = cycle_distance
        self._setup({"generator": generator, "inverse_generator": inverse_generator,
                     "discriminator": discriminator,
                     "inverse_discriminator": inverse_discriminator}, 1, seed)

    def _distance(self, a, b):
        if self.cycle_distance == "l1":
            return tf.reduce_mean(tf.abs(a - b))
        return tf.reduce_mean(tf.square(a - b))

    def losses(self, x, y, training):
        """``(g_loss, d_loss, logs)`` for sources x of X and targets y of Y in [-1, 1]."""
        kind = self.adversarial_loss
        fake_y = self.generator(x, training=training)
        fake_x = self.inverse_generator(y, training=training)
        cycle = (self._distance(self.inverse_generator(fake_y, training=training), x)
                 + self._distance(self.generator(fake_x, training=training), y))
        identity = tf.constant(0.0)
        if self.identity_weight:
            identity = (self._distance(self.generator(y, training=training), y)
                        + self._distance(self.inverse_generator(x, training=training), x))
        g_loss = (_adversarial(self.discriminator(fake_y, training=training), 1.0, kind)
                  + _adversarial(self.inverse_discriminator(fake_x, training=training), 1.0, kind)
                  + self.cycle_weight * cycle
                  + self.identity_weight * self.cycle_weight * identity)
        # The discriminators judge generated images as constants (no gradient to G, F).
        d_loss = 0.5 * (
            _adversarial(self.discriminator(y, training=training), 1.0, kind)
            + _adversarial(self.discriminator(tf.stop_gradient(fake_y), training=training),
                           0.0, kind)
            + _adversarial(self.inverse_discriminator(x, training=training), 1.0, kind)
            + _adversarial(self.inverse_discriminator(tf.stop_gradient(fake_x),
                                                      training=training), 0.0, kind))
        logs = {"d_loss": d_loss, "g_loss": g_loss, "cycle": cycle, "identity": identity,
                "stat_gap": statistics_gap(fake_y, y)}
        return g_loss, d_loss, logs

    def train_step(self, data):
        self._check_compiled()
        y, x = self.unpack(data)  # unpack returns (targets, sources) for image conditioning
        with tf.GradientTape(persistent=True) as tape:
            g_loss, d_loss, logs = self.losses(x, y, training=True)
        minimize(self.g_optimizer, tape, g_loss, self.generator_variables)
        minimize(self.d_optimizer, tape, d_loss, self.discriminator_variables)
        del tape
        self._update(logs)
        return self._results()

    def test_step(self, data):
        y, x = self.unpack(data)
        self._update(self.losses(x, y, training=False)[2])
        return self._results()

    def call(self, inputs, training=False):
        """``{"images": G(x), "reconstructed": F(G(x))}`` in [0, 1] for source images x (a
        tensor or ``{"images": x}``)."""
        images = inputs["images"] if isinstance(inputs, dict) else inputs
        validate_images(images, self.source_shape, "images")
        fake = self.generator(to_signed(images), training=training)
        back = self.inverse_generator(fake, training=training)
        return {"images": to_unit(fake), "reconstructed": to_unit(back)}

    def cycle_error(self, images):
        """Mean |F(G(x)) - x| in [0, 1] units over ``images`` (numpy, [0, 1])."""
        out = self(images, training=False)
        return float(keras.ops.mean(keras.ops.abs(out["reconstructed"] - images)))

    def get_config(self):
        config = super().get_config()
        config.pop("discriminator_steps")
        return dict(config, cycle_weight=self.cycle_weight, identity_weight=self.identity_weight,
                    adversarial_loss=self.adversarial_loss, cycle_distance=self.cycle_distance)


def CycleGAN(image_shape=(256, 256, 3), generator_filters=64, num_downsampling=2, num_blocks=9,
             discriminator_filters=(64, 128, 256, 512), cycle_weight=10.0, identity_weight=0.5,
             seed=None, name="cyclegan"):
    """CycleGAN at the paper's 256x256 (ResNet generators with 9 blocks, 70x70 PatchGANs with
    instance norm).

    Args:
        image_shape: ``(H, W, C)`` of both domains.
        generator_filters: channels of the generators' first convolution.
        num_downsampling: stride-2 stages of the generators.
        num_blocks: residual blocks per generator.
        discriminator_filters: PatchGAN channels.
        cycle_weight: lambda.
        identity_weight: identity loss weight relative to lambda.
        seed: kept for config.
        name: model name.
    """
    def generator(n):
        return resnet_generator(image_shape, generator_filters, num_downsampling, num_blocks,
                                name=n)

    def discriminator(n):
        return patchgan_discriminator(image_shape, discriminator_filters,
                                      normalization_kind="instance", name=n)

    return CycleGANModel(generator("generator_g"), generator("generator_f"),
                         discriminator("discriminator_y"), discriminator("discriminator_x"),
                         cycle_weight=cycle_weight, identity_weight=identity_weight, seed=seed,
                         name=name)


register("cyclegan", task="generative", family="gan",
         tiny=dict(image_shape=(16, 16, 3), generator_filters=8, num_downsampling=1,
                   num_blocks=1, discriminator_filters=(8, 16)),
         canonical=dict(image_shape=(256, 256, 3)),
         data="domains/red_to_blue_unpaired", recipe="cyclegan", paper=PAPER)(CycleGAN)

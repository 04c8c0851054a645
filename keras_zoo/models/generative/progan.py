"""Progressive GAN (Karras, Aila, Laine & Lehtinen 2018, "Progressive Growing of GANs for
Improved Quality, Stability, and Variation", ICLR 2018).

Both networks hold every resolution level from 4x4 up to the final size (the model's weights
never change shape, so ``.keras`` files and BackupAndRestore work at any stage); the growth
state (``stage``, ``alpha``) lives in the ``FadeIn`` layers as non-trainable weights:

- Generator (Table 2): pixel-normalised z -> 4x4 "conv" (a dense layer) -> conv 3x3; each level
  upsamples (nearest) and applies two conv 3x3; LeakyReLU(0.2) and pixel norm after every
  conv; toRGB (1x1, linear) at every level. The output is the current stage's image, faded in
  from the previous stage's upsampled image (section 3, figure 2), upsampled to the final size
  (nearest), so that every stage's images share one shape.
- Discriminator: the mirror image: the input is average-pooled to every level, fromRGB (1x1)
  at every level, two conv 3x3 then average pooling per level, the new level faded in over the
  old fromRGB path; minibatch standard deviation (section 3), conv 3x3, conv 4x4, dense.
- Equalised learning rate everywhere (section 4.1), WGAN-GP loss with lambda = 10 plus the
  drift term epsilon_drift * E[D(x)^2], epsilon_drift = 0.001 (appendix A.1); Adam(0.001,
  beta_1=0, beta_2=0.99, epsilon=1e-8); one critic step per generator step.
- Real images are shown at the current stage's resolution, and during a transition as the
  same blend of two resolutions as the generator's output (appendix A.1).

``ProgressiveGrowing`` is the ``fit`` callback of the schedule: alpha advances every batch,
the stage switches at epoch boundaries; a model built with ``growth_epochs`` adds it to every
``fit`` itself (so a plain ``fit``, or the trainer, grows it). The export is the
final-resolution generator (``serving_model``): latent in, image out, with no fade.
"""

from __future__ import annotations

import math

import keras
import tensorflow as tf

from keras_zoo.layers import (
    EqualizedConv2D,
    EqualizedDense,
    FadeIn,
    MinibatchStandardDeviation,
    PixelNormalization,
)
from keras_zoo.models.generative.base import check_positive_int
from keras_zoo.models.generative.wgan_gp import WGANGP
from keras_zoo.models.registry import register

PAPER = ("Karras et al., Progressive Growing of GANs for Improved Quality, Stability, and "
         "Variation, ICLR 2018")

#: Channels per level of the paper's 1024x1024 CelebA-HQ networks (Table 2), 4x4 first.
CELEBA_HQ_FILTERS = (512, 512, 512, 512, 256, 128, 64, 32, 16)

LEAKY = "leaky_relu"  # Keras' default negative slope is the paper's 0.2.


def check_levels(image_shape, filters):
    """``(image_shape, filters, N)``: a square image of side ``4 * 2**N`` and N + 1 levels."""
    if (not isinstance(image_shape, (tuple, list)) or len(image_shape) != 3
            or not all(isinstance(d, int) and d > 0 for d in image_shape)):
        raise ValueError(f"image_shape must be (height, width, channels), got {image_shape!r}.")
    height, width, _ = image_shape
    levels = math.log2(height / 4) if height >= 4 else -1
    if height != width or levels != int(levels) or levels < 0:
        raise ValueError(f"image_shape {tuple(image_shape)}: height and width must be equal "
                         "and a power of two >= 4 (4 * 2**N).")
    filters = tuple(check_positive_int(f, "filters") for f in filters)
    if len(filters) != int(levels) + 1:
        raise ValueError(f"filters must give one channel count per level, 4x4 to {height}x"
                         f"{width}: {int(levels) + 1} values, got {len(filters)}.")
    return tuple(image_shape), filters, int(levels)


def _conv(x, filters, kernel_size, name, pixel_norm=False, padding="same"):
    x = EqualizedConv2D(filters, kernel_size, padding=padding, activation=LEAKY, name=name)(x)
    return PixelNormalization(name=f"{name}_pixel_norm")(x) if pixel_norm else x


def to_rgb_name(name, level):
    return f"{name}_to_rgb{level}"


def progressive_generator(latent_dim, image_shape, filters, name="generator"):
    """ProGAN's generator with every level and the fade-in chain (see the module docstring).

    Args:
        latent_dim: size of z (512).
        image_shape: ``(R, R, C)``, R = 4 * 2**N.
        filters: channels per level, 4x4 first (N + 1 values).
        name: model name, the prefix of layer names.
    """
    image_shape, filters, levels = check_levels(image_shape, filters)
    channels = image_shape[-1]
    latent = keras.Input((check_positive_int(latent_dim, "latent_dim"),), name="latent")
    x = PixelNormalization(name=f"{name}_latent_norm")(latent)
    # The 4x4 "conv" from a 1x1 latent is a dense layer; the official code's gain sqrt(2)/4
    # treats its 4x4 output as 16 positions of one kernel.
    x = EqualizedDense(16 * filters[0], gain=math.sqrt(2.0) / 4.0, activation=LEAKY,
                       name=f"{name}_b0_dense")(x)
    x = keras.layers.Reshape((4, 4, filters[0]), name=f"{name}_b0_reshape")(x)
    x = PixelNormalization(name=f"{name}_b0_dense_pixel_norm")(x)
    x = _conv(x, filters[0], 3, f"{name}_b0_conv", pixel_norm=True)
    image = EqualizedConv2D(channels, 1, gain=1.0, name=to_rgb_name(name, 0))(x)
    for level in range(1, levels + 1):
        x = keras.layers.UpSampling2D(2, name=f"{name}_b{level}_upsample")(x)
        x = _conv(x, filters[level], 3, f"{name}_b{level}_conv1", pixel_norm=True)
        x = _conv(x, filters[level], 3, f"{name}_b{level}_conv2", pixel_norm=True)
        new = EqualizedConv2D(channels, 1, gain=1.0, name=to_rgb_name(name, level))(x)
        old = keras.layers.UpSampling2D(2, name=f"{name}_rgb{level - 1}_upsample")(image)
        image = FadeIn(level, name=f"{name}_fade{level}")([old, new])
    return keras.Model(latent, image, name=name)


def discriminator_head(x, filters, group_size=4, name="discriminator"):
    """The 4x4 end of ProGAN's (and StyleGAN's) discriminator: minibatch stddev, conv 3x3,
    conv 4x4 (valid: a dense layer over the 4x4 map), one linear output."""
    x = MinibatchStandardDeviation(group_size=group_size, name=f"{name}_minibatch_stddev")(x)
    x = _conv(x, filters, 3, f"{name}_b0_conv")
    x = _conv(x, filters, 4, f"{name}_b0_conv_dense", padding="valid")
    x = keras.layers.Flatten(name=f"{name}_flatten")(x)
    return EqualizedDense(1, gain=1.0, name=f"{name}_output")(x)


def progressive_discriminator(image_shape, filters, progressive=True, group_size=4,
                              name="discriminator"):
    """ProGAN's discriminator (critic): the generator's mirror, one level per resolution.

    Args:
        image_shape: ``(R, R, C)``, R = 4 * 2**N.
        filters: channels per level, 4x4 first (the generator's).
        progressive: fromRGB at every level and ``FadeIn`` between levels (ProGAN); ``False``
            gives the fixed-resolution network (fromRGB at R only, StyleGAN's).
        group_size: of the minibatch standard deviation (4).
        name: model name.
    """
    image_shape, filters, levels = check_levels(image_shape, filters)
    images = keras.Input(image_shape, name="images")
    pyramid = {levels: images}
    if progressive:
        for level in range(levels - 1, -1, -1):
            pyramid[level] = keras.layers.AveragePooling2D(
                2, name=f"{name}_downsample_input{level}")(pyramid[level + 1])

    def from_rgb(level):
        return _conv(pyramid[level], filters[level], 1, f"{name}_from_rgb{level}")

    x = from_rgb(levels)
    for level in range(levels, 0, -1):
        x = _conv(x, filters[level], 3, f"{name}_b{level}_conv1")
        x = _conv(x, filters[level - 1], 3, f"{name}_b{level}_conv2")
        x = keras.layers.AveragePooling2D(2, name=f"{name}_b{level}_downsample")(x)
        if progressive:
            x = FadeIn(level, name=f"{name}_fade{level}")([from_rgb(level - 1), x])
    return keras.Model(images, discriminator_head(x, filters[0], group_size, name), name=name)


def _downsample(images):
    return tf.nn.avg_pool2d(images, 2, 2, "VALID")


def _upsample(images):
    return tf.repeat(tf.repeat(images, 2, axis=1), 2, axis=2)


def check_growth_epochs(growth_epochs):
    if growth_epochs is None:
        return None
    if not isinstance(growth_epochs, (tuple, list)) or len(growth_epochs) != 2:
        raise ValueError("growth_epochs must be (fade_epochs, stable_epochs) or None, got "
                         f"{growth_epochs!r}.")
    return tuple(check_positive_int(e, "growth_epochs") for e in growth_epochs)


def fade_layers_of(network):
    return sorted((layer for layer in network.layers if isinstance(layer, FadeIn)),
                  key=lambda layer: layer.level)


class ProgressiveGrowth:
    """The growth of an ``AdversarialModel`` whose generator and discriminator networks hold
    ``FadeIn`` layers (ProGAN, StyleGAN): the shared state, the real images shown at the
    current resolution, the growth schedule of ``fit``, the final-resolution export.

    A model built without ``growth_epochs`` starts fully grown (it trains at its final
    resolution); with it, ``fit`` starts at 4x4 and follows ``ProgressiveGrowing``.
    """

    def _setup_growth(self, growth_epochs):
        self.growth_epochs = check_growth_epochs(growth_epochs)
        self.generator_fades = [f for n in self.generator_networks
                                for f in fade_layers_of(getattr(self, n))]
        self.discriminator_fades = [f for n in self.discriminator_networks
                                    for f in fade_layers_of(getattr(self, n))]
        levels = [f.level for f in self.generator_fades]
        if levels != [f.level for f in self.discriminator_fades] or \
                levels != list(range(1, len(levels) + 1)):
            raise ValueError("generator and discriminator must fade in the same levels 1..N: "
                             f"generator {levels}, discriminator "
                             f"{[f.level for f in self.discriminator_fades]}.")
        self.num_levels = len(levels)
        # Weights loaded later (load_model, checkpoints) overwrite this initial state.
        self.assign_growth(self.num_levels, 1.0)

    @property
    def fade_layers(self):
        return self.generator_fades + self.discriminator_fades

    @property
    def stage(self):
        """The level being grown (0: 4x4 only), read from the networks' state."""
        return int(self.generator_fades[0].stage.numpy()) if self.generator_fades else 0

    @property
    def alpha(self):
        return float(self.generator_fades[0].alpha.numpy()) if self.generator_fades else 1.0

    def assign_growth(self, stage, alpha=1.0):
        """Grows both networks to ``stage`` (0 .. number of levels) with fade-in ``alpha``."""
        if isinstance(stage, bool) or not isinstance(stage, int) or \
                not 0 <= stage <= self.num_levels:
            raise ValueError(f"stage must be an int in [0, {self.num_levels}], got {stage!r}.")
        if not 0.0 <= float(alpha) <= 1.0:
            raise ValueError(f"alpha must be in [0, 1], got {alpha!r}.")
        for layer in self.fade_layers:
            layer.assign_growth(stage, alpha)

    def real_at_growth(self, real):
        """Real images at the current stage, blended between two resolutions during a
        transition exactly as the generator's output is (ProGAN appendix A.1), at the final
        size."""
        pyramid = [real]
        for _ in range(self.num_levels):
            pyramid.append(_downsample(pyramid[-1]))
        image = pyramid[-1]
        for layer in self.generator_fades:
            image = layer([_upsample(image), pyramid[self.num_levels - layer.level]])
        return image

    def fit(self, *args, **kwargs):
        """``keras.Model.fit``, growing the networks by ``growth_epochs`` if set."""
        if self.growth_epochs is not None:
            callbacks = list(kwargs.get("callbacks") or [])
            if not any(isinstance(c, ProgressiveGrowing) for c in callbacks):
                callbacks.append(ProgressiveGrowing(*self.growth_epochs))
            kwargs["callbacks"] = callbacks
        return super().fit(*args, **kwargs)

    def unpack(self, data):
        real, condition = super().unpack(data)
        return self.real_at_growth(real), condition

    def final_image(self, network):
        """The final level's toRGB output of a growing generator ``network`` (no fade)."""
        return network.get_layer(to_rgb_name(network.name, self.num_levels)).output


@keras.saving.register_keras_serializable(package="keras_zoo")
class ProGAN(ProgressiveGrowth, WGANGP):
    """A progressively grown GAN trained with WGAN-GP and the drift term.

    Args:
        generator: ``progressive_generator(...)``.
        discriminator: ``progressive_discriminator(...)`` with the same levels.
        discriminator_steps: critic steps per generator step (1 in the paper).
        gradient_penalty_weight: lambda (10).
        drift_weight: epsilon_drift (0.001), the weight of E[D(x_real)^2].
        growth_epochs: ``(fade_epochs, stable_epochs)``: ``fit`` then grows the networks from
            4x4 by that schedule (it adds a ``ProgressiveGrowing`` callback unless one is
            passed); ``None``: the model starts fully grown and its state changes only by
            ``assign_growth`` or a callback.
        seed: seed of the training noise.
        **kwargs: ``keras.Model`` arguments.

    Example:
        >>> gan = keras_zoo.models.get("progan", preset="tiny", growth_epochs=(1, 1))
        >>> gan.compile()
        >>> gan.fit(images, epochs=5)  # doctest: +SKIP
    """

    metric_names = WGANGP.metric_names + ("drift",)

    def __init__(self, generator=None, discriminator=None, discriminator_steps=1,
                 gradient_penalty_weight=10.0, drift_weight=0.001, growth_epochs=None,
                 seed=None, **kwargs):
        super().__init__(generator, discriminator, discriminator_steps,
                         gradient_penalty_weight, seed=seed, **kwargs)
        if not drift_weight >= 0:
            raise ValueError(f"drift_weight must be >= 0, got {drift_weight!r}.")
        self.drift_weight = float(drift_weight)
        self._setup_growth(growth_epochs)

    def default_optimizers(self, learning_rate=None):
        lr = learning_rate or 1e-3
        return tuple(keras.optimizers.Adam(lr, beta_1=0.0, beta_2=0.99, epsilon=1e-8)
                     for _ in range(2))

    def discriminator_loss(self, real_output, fake_output, real, fake, condition):
        loss, logs = super().discriminator_loss(real_output, fake_output, real, fake, condition)
        drift = tf.reduce_mean(tf.square(real_output))
        return loss + self.drift_weight * drift, dict(logs, drift=drift)

    def serving_model(self):
        """The final-resolution generator, no fade: latent -> image in [0, 1]."""
        image = keras.layers.Rescaling(0.5, offset=0.5, name="to_unit")(
            self.final_image(self.generator))
        return keras.Model(self.generator.inputs, image, name=f"{self.generator.name}_final")

    def get_config(self):
        return dict(super().get_config(), drift_weight=self.drift_weight,
                    growth_epochs=self.growth_epochs)


class ProgressiveGrowing(keras.callbacks.Callback):
    """ProGAN's growth schedule as a ``fit`` callback (section 3, appendix A.1).

    Stage 0 (4x4) trains for ``stable_epochs``; every next level fades in over
    ``fade_epochs`` (alpha rising linearly from 0 to 1, advanced before every batch) and then
    stabilises for ``stable_epochs`` with alpha = 1; after the last level the model stays at
    full resolution. The paper uses 800k images per phase. The state is a function of the
    epoch and batch indices only, so a run resumed by BackupAndRestore continues the schedule.

    Args:
        fade_epochs: epochs of each fade-in phase (>= 1).
        stable_epochs: epochs of each stabilising phase (>= 1).
    """

    def __init__(self, fade_epochs=1, stable_epochs=1):
        super().__init__()
        self.fade_epochs = check_positive_int(fade_epochs, "fade_epochs")
        self.stable_epochs = check_positive_int(stable_epochs, "stable_epochs")
        self._epoch = 0
        self.history = []

    def growth(self, epoch, progress=0.0):
        """``(stage, alpha)`` at ``epoch`` plus ``progress`` (fraction of the epoch done)."""
        levels = self.model.num_levels
        if epoch < self.stable_epochs:
            return 0, 1.0
        period = self.fade_epochs + self.stable_epochs
        stage, within = divmod(epoch - self.stable_epochs, period)
        stage += 1
        if stage > levels:
            return levels, 1.0
        if within < self.fade_epochs:
            return stage, min(1.0, (within + progress) / self.fade_epochs)
        return stage, 1.0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        self.model.assign_growth(*self.growth(epoch))
        self.history.append(self.growth(epoch))

    def on_train_batch_begin(self, batch, logs=None):
        steps = self.params.get("steps") if self.params else None
        if steps:
            self.model.assign_growth(*self.growth(self._epoch, batch / steps))


def ProgressiveGAN(latent_dim=512, image_shape=(1024, 1024, 3), filters=CELEBA_HQ_FILTERS,
                   discriminator_steps=1, gradient_penalty_weight=10.0, drift_weight=0.001,
                   growth_epochs=None, group_size=4, seed=None, name="progan"):
    """ProGAN at the paper's 1024x1024 CelebA-HQ size (Table 2) by default.

    Args:
        latent_dim: size of z (512).
        image_shape: ``(R, R, C)``, R = 4 * 2**N.
        filters: channels per level from 4x4 to R (N + 1 values), shared by G and D.
        discriminator_steps: critic steps per generator step (1).
        gradient_penalty_weight: WGAN-GP's lambda (10).
        drift_weight: epsilon_drift (0.001).
        growth_epochs: ``(fade_epochs, stable_epochs)`` of the growth ``fit`` follows, or
            ``None`` (see ``ProGAN``).
        group_size: minibatch standard deviation group (4).
        seed: seed of the training noise.
        name: model name.
    """
    return ProGAN(progressive_generator(latent_dim, image_shape, filters),
                  progressive_discriminator(image_shape, filters, group_size=group_size,
                                            name="critic"),
                  discriminator_steps=discriminator_steps,
                  gradient_penalty_weight=gradient_penalty_weight, drift_weight=drift_weight,
                  growth_epochs=growth_epochs, seed=seed, name=name)


register("progan", task="generative", family="gan",
         tiny=dict(latent_dim=16, image_shape=(8, 8, 1), filters=(16, 8)),
         canonical=dict(latent_dim=512, image_shape=(1024, 1024, 3)),
         data="digits", recipe="progan", paper=PAPER,
         debts={"fit": "equalised learning rate at the paper's Adam(1e-3): every weight moves "
                       "~1e-3 of its N(0, 1) scale per step, so 8 battery steps leave the "
                       "statistics gap flat (1.006 -> 1.089 over 4 epochs, fully grown 8x8); it "
                       "falls after (4x4, the growth's first stage: 0.998 -> 0.867 in 40 steps, "
                       "test_progan.py checks it; 8x8: 1.006 -> 0.83 in 100 steps)."},
         notes="Growth state (stage, alpha) in the FadeIn layers; ProgressiveGrowing is the "
               "fit callback of the schedule; the export is the final-resolution generator.")(
    ProgressiveGAN)

"""StyleGAN (Karras, Laine & Aila 2019, "A Style-Based Generator Architecture for Generative
Adversarial Networks", CVPR 2019).

- Mapping network f (section 2): z (pixel-normalised) -> 8 fully connected layers of 512 units,
  LeakyReLU(0.2), equalised learning rate with the learning-rate multiplier 0.01 -> w.
- Synthesis network g (figure 1(b)): a learned constant 4x4x512 input; per resolution two 3x3
  convolutions (upsampling before the first, except at 4x4), each followed by per-pixel noise
  with a learned per-channel scale ("B"), a bias, LeakyReLU(0.2) and AdaIN whose scale and bias
  are a learned affine map of w ("A"; the scale is ``1 + A_s(w)``, so it starts around 1, as in
  the official code); toRGB (1x1) per resolution. 2 log2(R) - 2 styles (18 at 1024x1024).
- Style mixing regularisation (section 3.1): in training, with probability 0.9, two latents
  z1, z2 are mapped and the styles switch from w1 to w2 at a crossover layer drawn uniformly in
  [1, L) per batch.
- Truncation trick (section 3.1, appendix B): w' = w_avg + psi (w - w_avg) on the first
  ``cutoff`` layers (8), w_avg a moving average (beta 0.995) of w tracked in training; applied
  at inference and export only.
- Loss (section 4 / appendix C at FFHQ): non-saturating logistic loss with the R1 penalty
  (gamma / 2) E[||grad D(x_real)||^2], gamma = 10; Adam(0.001, beta_1=0, beta_2=0.99, 1e-8).
- Progressive growing as ProGAN's (section 2 and appendix C: the paper keeps it): toRGB at
  every resolution with the fade-in (``FadeIn``), ProGAN's discriminator with fromRGB at every
  resolution (``progan.progressive_discriminator``), real images shown at the current
  resolution, the ``growth_epochs`` schedule of ``fit`` (``progan.ProgressiveGrowth``); style
  mixing draws its crossover among the layers of the resolutions grown so far.

Differences from the paper, all without parameters: bilinear upsampling (``UpSampling2D``)
stands for the paper's nearest upsampling followed by the [1, 2, 1] blur, and average pooling
for the discriminator's blur + downsampling; the 4x4 constant layer has no separate bias (the
constant itself is learned; 512 parameters at 1024).
The paper does not give the constant's initialisation; the official v1 code uses ones, which
makes the first AdaIN normalise a spatially constant map (variance 0: the output is
0 / sqrt(epsilon), exact in float32 but rounding in int8 is then amplified 10^4 times); we draw
it from N(0, 1), as StyleGAN2's code does.
"""

from __future__ import annotations

import math

import keras
import numpy as np
import tensorflow as tf

from keras_zoo.layers import (
    AdaIN,
    ConstantInput,
    EqualizedConv2D,
    EqualizedDense,
    FadeIn,
    NoiseInjection,
    NoiseMap,
    PixelNormalization,
    Truncation,
)
from keras_zoo.layers.truncation import check_cutoff, check_psi
from keras_zoo.models.generative.base import (
    AdversarialModel,
    check_positive_int,
    validate_latent,
)
from keras_zoo.models.generative.progan import (
    CELEBA_HQ_FILTERS,
    LEAKY,
    ProgressiveGrowth,
    check_levels,
    progressive_discriminator,
    to_rgb_name,
)
from keras_zoo.models.registry import register

PAPER = ("Karras et al., A Style-Based Generator Architecture for Generative Adversarial "
         "Networks, CVPR 2019")


def mapping_network(latent_dim=512, w_dim=512, num_layers=8, lr_multiplier=0.01,
                    name="mapping"):
    """StyleGAN's mapping network f: z -> w (section 2).

    Args:
        latent_dim: size of z (512).
        w_dim: size of w and of the hidden layers (512).
        num_layers: fully connected layers (8).
        lr_multiplier: the equalised learning rate's multiplier (0.01: the mapping learns
            100 times more slowly, appendix C).
        name: model name.
    """
    latent = keras.Input((check_positive_int(latent_dim, "latent_dim"),), name="latent")
    x = PixelNormalization(name=f"{name}_latent_norm")(latent)
    for i in range(check_positive_int(num_layers, "num_layers")):
        x = EqualizedDense(check_positive_int(w_dim, "w_dim"), lr_multiplier=lr_multiplier,
                           activation=LEAKY, name=f"{name}_dense{i}")(x)
    return keras.Model(latent, x, name=name)


def num_styles(image_shape):
    """Synthesis layers, one style each: two per resolution from 4x4, 2 log2(R) - 2."""
    return 2 * int(math.log2(image_shape[0])) - 2


def _style(dlatents, index, name):
    """The ``index``-th row of ``[B, L, D]`` per-layer latents, as ``[B, D]``."""
    count = dlatents.shape[1]
    row = keras.layers.Cropping1D((index, count - index - 1), name=f"{name}_style{index}")(
        dlatents)
    return keras.layers.Flatten(name=f"{name}_style{index}_flat")(row)


def _layer_epilogue(x, dlatents, index, name):
    """Noise (B), LeakyReLU, AdaIN with the style A(w) of layer ``index`` (figure 1(b))."""
    channels = x.shape[-1]
    prefix = f"{name}_layer{index}"
    noise = NoiseMap(tuple(x.shape[1:3]), name=f"{prefix}_noise_map")(x)
    x = NoiseInjection(name=f"{prefix}_noise")([x, noise])
    x = keras.layers.LeakyReLU(0.2, name=f"{prefix}_lrelu")(x)
    w = _style(dlatents, index, name)
    scale = EqualizedDense(channels, gain=1.0, name=f"{prefix}_affine_scale")(w)
    scale = keras.layers.Rescaling(1.0, offset=1.0, name=f"{prefix}_scale_around_one")(scale)
    bias = EqualizedDense(channels, gain=1.0, name=f"{prefix}_affine_bias")(w)
    # The official instance norm's epsilon.
    return AdaIN(epsilon=1e-8, name=f"{prefix}_adain")([x, scale, bias])


def synthesis_network(image_shape=(1024, 1024, 3), filters=CELEBA_HQ_FILTERS, w_dim=512,
                      name="synthesis"):
    """StyleGAN's synthesis network g: per-layer styles ``[B, L, w_dim]`` -> image, with a
    toRGB per resolution faded in as ProGAN's generator (the output is the current stage's image
    at the final size, nearest-upsampled).

    Args:
        image_shape: ``(R, R, C)``, R = 4 * 2**N.
        filters: channels per resolution, 4x4 first (N + 1 values).
        w_dim: size of w.
        name: model name.
    """
    image_shape, filters, levels = check_levels(image_shape, filters)
    count = num_styles(image_shape)
    dlatents = keras.Input((count, check_positive_int(w_dim, "w_dim")), name="dlatents")
    x = ConstantInput((4, 4, filters[0]), initializer=keras.initializers.RandomNormal(stddev=1.0),
                      name=f"{name}_const")(dlatents)
    x = _layer_epilogue(x, dlatents, 0, name)
    x = EqualizedConv2D(filters[0], 3, name=f"{name}_layer1_conv")(x)
    x = _layer_epilogue(x, dlatents, 1, name)
    channels = image_shape[-1]
    image = EqualizedConv2D(channels, 1, gain=1.0, name=to_rgb_name(name, 0))(x)
    for level in range(1, levels + 1):
        x = keras.layers.UpSampling2D(2, interpolation="bilinear",
                                      name=f"{name}_b{level}_upsample")(x)
        for index in (2 * level, 2 * level + 1):
            x = EqualizedConv2D(filters[level], 3, name=f"{name}_layer{index}_conv")(x)
            x = _layer_epilogue(x, dlatents, index, name)
        new = EqualizedConv2D(channels, 1, gain=1.0, name=to_rgb_name(name, level))(x)
        old = keras.layers.UpSampling2D(2, name=f"{name}_rgb{level - 1}_upsample")(image)
        image = FadeIn(level, name=f"{name}_fade{level}")([old, new])
    return keras.Model(dlatents, image, name=name)


def broadcast_styles(w, count):
    """``[B, D]`` -> ``[B, count, D]``: the same w for every layer."""
    return tf.tile(w[:, None, :], [1, count, 1])


def mix_styles(dlatents, mixing_dlatents, crossover):
    """Layers ``< crossover`` take their style from ``dlatents``, the others from
    ``mixing_dlatents`` (style mixing, section 3.1); ``crossover >= L`` mixes nothing.

    The notes (004) call the operation that receives w1 and w2 "adaln": it is the paper's
    AdaIN (there is no "AdaLN" in the paper), which is what every layer here uses."""
    index = tf.range(tf.shape(dlatents)[1])[None, :, None]
    return tf.where(index < tf.cast(crossover, index.dtype), dlatents, mixing_dlatents)


@keras.saving.register_keras_serializable(package="keras_zoo")
class StyleGAN(ProgressiveGrowth, AdversarialModel):
    """StyleGAN: mapping network, synthesis network, discriminator, trained by ``fit``.

    Args:
        mapping: ``mapping_network(...)``, input ``latent``.
        synthesis: ``synthesis_network(...)``, input ``dlatents`` ``[B, L, w_dim]``.
        discriminator: returns one logit per image.
        discriminator_steps: D steps per G step (1).
        r1_gamma: gamma of the R1 penalty (10).
        style_mixing_probability: probability that a training batch mixes styles (0.9).
        truncation_psi: default psi of inference and export (0.7, the official default;
            1 disables truncation).
        truncation_cutoff: layers truncated (8); ``None``: all.
        w_avg_beta: decay of the tracked average w (0.995).
        growth_epochs: ``(fade_epochs, stable_epochs)`` of progressive growing in ``fit``;
            ``None``: the model starts fully grown (see ``progan.ProgressiveGrowth``).
        seed: seed of the training noise (latents, mixing draws).
        **kwargs: ``keras.Model`` arguments.

    Example:
        >>> gan = keras_zoo.models.get("stylegan", preset="tiny")
        >>> gan.compile()
        >>> gan.fit(images, epochs=1)  # doctest: +SKIP
        >>> gan.generate(n=4, psi=0.5).shape  # doctest: +SKIP
    """

    networks = ("mapping", "synthesis", "discriminator")
    generator_networks = ("mapping", "synthesis")
    metric_names = ("d_loss", "g_loss", "stat_gap", "r1_penalty")

    def __init__(self, mapping=None, synthesis=None, discriminator=None, discriminator_steps=1,
                 r1_gamma=10.0, style_mixing_probability=0.9, truncation_psi=0.7,
                 truncation_cutoff=8, w_avg_beta=0.995, growth_epochs=None, seed=None,
                 **kwargs):
        super(AdversarialModel, self).__init__(**kwargs)
        if not r1_gamma >= 0:
            raise ValueError(f"r1_gamma must be >= 0, got {r1_gamma!r}.")
        if not 0.0 <= style_mixing_probability <= 1.0:
            raise ValueError("style_mixing_probability must be in [0, 1], got "
                             f"{style_mixing_probability!r}.")
        self.r1_gamma = float(r1_gamma)
        self.style_mixing_probability = float(style_mixing_probability)
        self.truncation = Truncation(truncation_psi, truncation_cutoff, w_avg_beta,
                                     name="truncation")
        self._setup({"mapping": mapping, "synthesis": synthesis,
                     "discriminator": discriminator}, discriminator_steps, seed)
        self._setup_growth(growth_epochs)

    def _describe_inputs(self):
        self.latent_dim = int(self.mapping.inputs[0].shape[-1])
        w_dim = int(self.mapping.outputs[0].shape[-1])
        _, self.num_styles, synthesis_w = self.synthesis.inputs[0].shape
        if synthesis_w != w_dim:
            raise ValueError(f"the synthesis network takes w of size {synthesis_w}, the mapping "
                             f"network gives {w_dim}.")
        self.num_classes, self.conditioning, self.source_shape = None, None, None
        self.image_shape = tuple(self.synthesis.outputs[0].shape[1:])
        self.truncation.build((None, self.num_styles, w_dim))

    def default_optimizers(self, learning_rate=None):
        lr = learning_rate or 1e-3
        return tuple(keras.optimizers.Adam(lr, beta_1=0.0, beta_2=0.99, epsilon=1e-8)
                     for _ in range(2))

    # --- the generator: mapping, mixing, truncation, synthesis ---------------------------------
    def dlatents(self, latent, training=False):
        """Per-layer latents ``[B, L, w_dim]``: w = f(z) repeated for every layer."""
        return broadcast_styles(self.mapping(latent, training=training), self.num_styles)

    def generator(self, inputs, training=False, psi=None, cutoff=None):
        """Images in [-1, 1]. ``inputs``: the latent, or the training loop's dict ``{"latent",
        "mixing_latent", "crossover"}`` (``generator_inputs``). Truncation (``psi``, ``cutoff``,
        the model's defaults if ``None``) applies at inference only; in training the average w
        is tracked instead. The loop's dict mixes styles in training only, and is evaluated
        (``test_step``) untruncated unless ``psi`` is given, as the paper's FIDs are."""
        if isinstance(inputs, dict):
            dlatents = self.dlatents(inputs["latent"], training)
            if "mixing_latent" in inputs and training:
                dlatents = mix_styles(dlatents, self.dlatents(inputs["mixing_latent"], training),
                                      inputs["crossover"])
            psi = 1.0 if psi is None else psi
        else:
            dlatents = self.dlatents(inputs, training)
        dlatents = self.truncation(dlatents, training=training, psi=psi, cutoff=cutoff)
        return self.synthesis(dlatents, training=training)

    def active_styles(self):
        """The layers of the resolutions grown so far (2 per resolution), as the official
        code's ``cur_layers``."""
        if not self.generator_fades:
            return tf.constant(self.num_styles)
        return tf.minimum(2 * (self.generator_fades[0].stage + 1), self.num_styles)

    def mixing_crossover(self, salt):
        """The batch's crossover layer: with probability p uniform in [1, l), l the active
        layers (all L once grown), else L (no mixing)."""
        u = self.step_noise([2], salt, distribution="uniform")
        active = tf.cast(self.active_styles(), tf.float32)
        drawn = 1 + tf.cast(tf.floor(u[1] * (active - 1.0)), tf.int32)
        return tf.where(u[0] < self.style_mixing_probability, drawn, self.num_styles)

    def generator_inputs(self, batch, condition, salt=0):
        return {"latent": self.sample_latent(batch, salt),
                "mixing_latent": self.sample_latent(batch, salt + 100),
                "crossover": self.mixing_crossover(salt + 200)}

    # --- losses ----------------------------------------------------------------------------------
    def r1_penalty(self, real):
        """E[||grad_x D(x)||^2] on real images (Mescheder et al. 2018, the paper's R1)."""
        with tf.GradientTape() as tape:
            tape.watch(real)
            scores = tf.reduce_sum(self.discriminator(real, training=True))
        grads = tape.gradient(scores, real)
        return tf.reduce_mean(tf.reduce_sum(tf.square(grads), axis=[1, 2, 3]))

    def discriminator_loss(self, real_output, fake_output, real, fake, condition):
        loss = tf.reduce_mean(tf.nn.softplus(fake_output)) + tf.reduce_mean(
            tf.nn.softplus(-real_output))
        penalty = self.r1_penalty(real)
        return loss + 0.5 * self.r1_gamma * penalty, {"r1_penalty": penalty}

    def generator_loss(self, fake_output, real, fake, condition):
        return tf.reduce_mean(tf.nn.softplus(-fake_output)), {}

    # --- inference and export -------------------------------------------------------------------
    def generate(self, latent=None, n=None, seed=None, psi=None, cutoff=None, **kwargs):
        """Images in [0, 1] as numpy from ``latent`` (or ``n`` draws of N(0, I)), truncated with
        ``psi`` in [-1, 1] on the first ``cutoff`` layers (the model's defaults if ``None``)."""
        if kwargs.get("labels") is not None or kwargs.get("images") is not None:
            raise ValueError(f"{self.name} is unconditional: pass latent= (or n=) only.")
        psi = None if psi is None else check_psi(psi)
        cutoff = None if cutoff is None else check_cutoff(cutoff)
        if latent is None:
            latent = np.random.default_rng(seed).standard_normal(
                (n or 1, self.latent_dim)).astype(np.float32)
        latent = np.asarray(latent, np.float32)
        validate_latent(latent, self.latent_dim)
        images = self.generator(latent, training=False, psi=psi, cutoff=cutoff)
        return keras.ops.convert_to_numpy((images + 1.0) * 0.5)

    def serving_model(self, psi=None, cutoff=None):
        """The served generator: ``latent`` -> image in [0, 1], truncated with ``psi`` and
        ``cutoff`` (the model's defaults if ``None``), noise fixed."""
        psi = None if psi is None else check_psi(psi)
        cutoff = None if cutoff is None else check_cutoff(cutoff)
        latent = keras.Input((self.latent_dim,), name="latent")
        w = self.mapping(latent)
        dlatents = keras.layers.RepeatVector(self.num_styles, name="broadcast_w")(w)
        dlatents = self.truncation(dlatents, psi=psi, cutoff=cutoff)
        final = keras.Model(self.synthesis.inputs, self.final_image(self.synthesis),
                            name=f"{self.synthesis.name}_final")
        images = keras.layers.Rescaling(0.5, offset=0.5, name="to_unit")(final(dlatents))
        return keras.Model(latent, images, name=f"{self.name}_generator")

    def get_config(self):
        return dict(super().get_config(), r1_gamma=self.r1_gamma,
                    style_mixing_probability=self.style_mixing_probability,
                    truncation_psi=self.truncation.psi, truncation_cutoff=self.truncation.cutoff,
                    w_avg_beta=self.truncation.w_avg_beta, growth_epochs=self.growth_epochs)


def StyleGANModel(latent_dim=512, w_dim=512, mapping_layers=8, mapping_lr_multiplier=0.01,
                  image_shape=(1024, 1024, 3), filters=CELEBA_HQ_FILTERS,
                  discriminator_filters=None, r1_gamma=10.0, style_mixing_probability=0.9,
                  truncation_psi=0.7, truncation_cutoff=8, growth_epochs=None, seed=None,
                  name="stylegan"):
    """StyleGAN at the paper's 1024x1024 size (FFHQ / CelebA-HQ) by default.

    Args:
        latent_dim: size of z (512).
        w_dim: size of w (512).
        mapping_layers: depth of the mapping network (8).
        mapping_lr_multiplier: learning-rate multiplier of the mapping network (0.01).
        image_shape: ``(R, R, C)``, R = 4 * 2**N.
        filters: synthesis channels per resolution, 4x4 first.
        discriminator_filters: discriminator channels per resolution (default ``filters``).
        r1_gamma: R1 gamma (10).
        style_mixing_probability: 0.9.
        truncation_psi: default psi of inference and export (0.7).
        truncation_cutoff: truncated layers (8).
        growth_epochs: ``(fade_epochs, stable_epochs)`` of progressive growing, or ``None``
            (fully grown from the start).
        seed: seed of the training noise.
        name: model name.
    """
    return StyleGAN(mapping_network(latent_dim, w_dim, mapping_layers, mapping_lr_multiplier),
                    synthesis_network(image_shape, filters, w_dim),
                    progressive_discriminator(image_shape, discriminator_filters or filters),
                    r1_gamma=r1_gamma, style_mixing_probability=style_mixing_probability,
                    truncation_psi=truncation_psi, truncation_cutoff=truncation_cutoff,
                    growth_epochs=growth_epochs, seed=seed, name=name)


register("stylegan", task="generative", family="gan",
         tiny=dict(latent_dim=16, w_dim=16, image_shape=(8, 8, 1), filters=(16, 8)),
         canonical=dict(latent_dim=512, w_dim=512, image_shape=(1024, 1024, 3)),
         data="digits", recipe="stylegan", paper=PAPER,
         debts={"fit": "equalised learning rate at the paper's Adam(1e-3): every weight moves "
                       "~1e-3 of its N(0, 1) scale per step, so 8 battery steps leave the "
                       "statistics gap flat (2.28 -> 2.55); it falls after (mean of the first "
                       "10 of 60 epochs 2.37, of the last 10 1.52: the slow test in "
                       "test_stylegan.py checks that).",
                "int8": "AdaIN's instance normalisation (square, mean, rsqrt per sample and "
                        "channel) does not survive full-integer quantisation: measured relative "
                        "error 1 % before the first AdaIN, 7 % after it, 18 % at toRGB; mean "
                        "11.3 grey levels (max 154) against the 5 allowed. Float TFLite is "
                        "exact."},
         notes="8-layer mapping (lrmul 0.01), AdaIN synthesis with noise, style mixing 0.9, "
               "truncation (psi, cutoff) at inference/export; progressive growing with "
               "growth_epochs (ProGAN's FadeIn).")(
    StyleGANModel)

"""Per-pixel noise inputs with a learned per-channel scale (Karras et al., StyleGAN, 2019)."""

import keras
import tensorflow as tf
from keras import ops


@keras.saving.register_keras_serializable(package="keras_zoo")
class NoiseInjection(keras.layers.Layer):
    """Adds scaled per-pixel Gaussian noise: StyleGAN's "B" inputs.

    Karras, Laine & Aila, "A Style-Based Generator Architecture for Generative Adversarial
    Networks", CVPR 2019, section 2 and figure 1(b):

    ``y[b, h, w, c] = x[b, h, w, c] + s[c] * n[b, h, w]``,  ``n ~ N(0, 1)``

    one noise image per sample (shape ``[B, H, W, 1]``, broadcast over channels), ``s`` a learned
    per-channel scale initialised to 0.

    Two call forms:
    - ``NoiseInjection()(x)`` draws the noise, in training *and* at inference (StyleGAN
      generates with random noise). It uses the stateful ``RandomStandardNormal`` op, which
      converts to the TFLite builtin ``RANDOM_STANDARD_NORMAL`` (checked in the layer battery);
      Keras' stateless ``keras.random.normal`` does not (``StatelessRandomNormalV2`` is not a
      builtin).
    - ``NoiseInjection()([x, noise])`` uses the given ``[B, H, W, 1]`` noise: deterministic,
      for reproducible generation, style mixing and tests.

    Args:
        seed: the op-level seed of the noise (with Keras' global seed, runs repeat).

    Example:
        >>> x = keras.random.normal((2, 8, 8, 4))
        >>> NoiseInjection()(x).shape
        TensorShape([2, 8, 8, 4])
        >>> NoiseInjection()([x, keras.random.normal((2, 8, 8, 1))]).shape
        TensorShape([2, 8, 8, 4])
    """

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
            raise ValueError(f"NoiseInjection: seed must be an int or None, got {seed!r}.")
        self.seed = seed
        # Training draws: a seed generator, whose state a resumed run restores with the backup.
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        given_noise = isinstance(input_shape, (list, tuple)) and \
            isinstance(input_shape[0], (list, tuple))
        x_shape = input_shape[0] if given_noise else input_shape
        if len(x_shape) != 4 or x_shape[-1] is None:
            raise ValueError("NoiseInjection: x must be [B, H, W, C] with C known, got "
                             f"{tuple(x_shape)}.")
        if given_noise:
            if len(input_shape) != 2:
                raise ValueError("NoiseInjection: call it on x or on [x, noise], got "
                                 f"{len(input_shape)} inputs.")
            noise_shape = input_shape[1]
            if len(noise_shape) != 4 or noise_shape[-1] != 1:
                raise ValueError("NoiseInjection: noise must be [B, H, W, 1], got "
                                 f"{tuple(noise_shape)}.")
        self.noise_scale = self.add_weight(name="noise_scale", shape=(x_shape[-1],),
                                           initializer="zeros")

    def call(self, inputs, training=None):
        if isinstance(inputs, (list, tuple)):
            x, noise = inputs
        else:
            x = inputs
            shape = ops.shape(x)
            if training:
                noise = keras.random.normal((shape[0], shape[1], shape[2], 1), dtype=x.dtype,
                                            seed=self.seed_generator)
            else:  # inference and export: the stateful op, a TFLite builtin
                noise = tf.random.normal((shape[0], shape[1], shape[2], 1), dtype=x.dtype,
                                         seed=self.seed)
        return x + ops.cast(noise, x.dtype) * self.noise_scale

    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, (list, tuple)) and isinstance(input_shape[0], (list, tuple)):
            return tuple(input_shape[0])
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}

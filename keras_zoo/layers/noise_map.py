"""Per-pixel noise images for StyleGAN's noise inputs (Karras et al., CVPR 2019)."""

import keras
import tensorflow as tf

from keras_zoo.layers.constant_input import ConstantInput


@keras.saving.register_keras_serializable(package="keras_zoo")
class NoiseMap(ConstantInput):
    """The single-channel noise image of one StyleGAN layer: random in training, a fixed
    buffer at inference.

    Karras, Laine & Aila, "A Style-Based Generator Architecture for Generative Adversarial
    Networks", CVPR 2019, section 2: each synthesis layer gets ``n ~ N(0, 1)`` of shape
    ``[B, H, W, 1]``, which ``NoiseInjection([x, n])`` scales per channel and adds. In training
    ``n`` is drawn afresh (the stateful ``RandomStandardNormal``, a TFLite builtin); at
    inference the layer returns its fixed N(0, 1) buffer (the official code's
    ``randomize_noise=False`` noise variables), so that a served generator is a deterministic
    function of the latent. Assign other buffers (``constant``) to resample the fine details.

    Called on the ``[B, H, W, C]`` feature map that receives the noise.

    Args:
        size: ``(H, W)`` of the feature map.
        seed: op-level seed of the training noise.

    Example:
        >>> NoiseMap((8, 8))(keras.ops.zeros((2, 8, 8, 16))).shape
        TensorShape([2, 8, 8, 1])
    """

    def __init__(self, size, seed=None, **kwargs):
        kwargs.pop("shape", None)
        kwargs.pop("initializer", None)
        kwargs["trainable"] = False
        if not isinstance(size, (list, tuple)) or len(size) != 2:
            raise ValueError(f"NoiseMap: size must be (H, W), got {size!r}.")
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
            raise ValueError(f"NoiseMap: seed must be an int or None, got {seed!r}.")
        super().__init__(shape=tuple(size) + (1,),
                         initializer=keras.initializers.RandomNormal(stddev=1.0), **kwargs)
        self.size = tuple(size)
        self.seed = seed
        # A seed generator's state is a variable: a resumed run restores it with the backup.
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        if len(input_shape) != 4 or tuple(input_shape[1:3]) != self.size:
            raise ValueError(f"NoiseMap: input must be [B, {self.size[0]}, {self.size[1]}, C], "
                             f"got {tuple(input_shape)}.")

    def call(self, inputs, training=False):
        if training:
            batch = tf.shape(inputs)[0]
            return keras.random.normal(tf.stack([batch, self.size[0], self.size[1], 1]),
                                       dtype=self.constant.dtype, seed=self.seed_generator)
        return self.tiled(inputs)

    def get_config(self):
        config = super().get_config()
        for key in ("shape", "initializer"):
            config.pop(key)
        return {**config, "size": self.size, "seed": self.seed}

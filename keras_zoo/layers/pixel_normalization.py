"""Pixelwise feature vector normalisation (Karras et al., ProGAN, ICLR 2018, section 4.2)."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_zoo")
class PixelNormalization(keras.layers.Layer):
    """Normalises each pixel's feature vector to unit average square.

    Karras, Aila, Laine & Lehtinen, "Progressive Growing of GANs for Improved Quality,
    Stability, and Variation", ICLR 2018, eq. in section 4.2:

    ``b[x, y] = a[x, y] / sqrt(1/N * sum_j a[x, y, j]^2 + epsilon)``

    over the N channels (the last axis). Works on any rank >= 2 (ProGAN also applies it to the
    latent vector z). No weights.

    Args:
        epsilon: the paper's 1e-8.
    """

    def __init__(self, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        if not float(epsilon) >= 0.0:
            raise ValueError(f"PixelNormalization: epsilon must be >= 0, got {epsilon!r}.")
        self.epsilon = float(epsilon)

    def build(self, input_shape):
        if len(input_shape) < 2:
            raise ValueError("PixelNormalization: input must have a batch and a channel axis, "
                             f"got shape {tuple(input_shape)}.")

    def call(self, inputs):
        return inputs * ops.rsqrt(ops.mean(ops.square(inputs), axis=-1, keepdims=True)
                                  + self.epsilon)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}

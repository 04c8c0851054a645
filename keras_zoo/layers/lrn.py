"""Local response normalisation, the "norm" layer of AlexNet and ZFNet."""

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="keras_zoo")
class LocalResponseNormalization(keras.layers.Layer):
    """Local response normalisation across channels (Krizhevsky et al., 2012, section 3.3).

    ``b[c] = a[c] / (k + alpha * sum_{c' = c - n//2}^{c + n//2} a[c']^2) ** beta``

    The sum runs over ``n`` adjacent channels, clipped at the first and last channel, and
    ``alpha`` multiplies the sum itself (not the mean): the paper's formula, which is also
    ``tf.nn.local_response_normalization`` with ``depth_radius = n // 2``. It lowers to the
    TFLite builtin ``LOCAL_RESPONSE_NORMALIZATION``.

    Args:
        k: the bias (the paper's k = 2).
        n: the number of adjacent channels summed, odd (the paper's n = 5).
        alpha: the scale of the sum (the paper's 1e-4).
        beta: the exponent (the paper's 0.75).
    """

    def __init__(self, k=2.0, n=5, alpha=1e-4, beta=0.75, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(n, int) or n < 1 or n % 2 == 0:
            raise ValueError(f"LocalResponseNormalization: n must be a positive odd int, got {n!r}.")
        self.k = float(k)
        self.n = n
        self.alpha = float(alpha)
        self.beta = float(beta)

    def call(self, inputs):
        return tf.nn.local_response_normalization(
            inputs, depth_radius=self.n // 2, bias=self.k, alpha=self.alpha, beta=self.beta
        )

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "k": self.k, "n": self.n, "alpha": self.alpha,
                "beta": self.beta}

"""Randomized leaky ReLU (Xu, Wang, Chen & Li, "Empirical Evaluation of Rectified Activations in
Convolutional Network", 2015, section 2.4)."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_zoo")
class RandomizedReLU(keras.layers.Layer):
    """RReLU: a leaky ReLU whose negative slope is random in training and fixed in inference.

    Xu et al. 2015, section 2.4, with the paper's parameterisation (from the Kaggle NDSB
    winner, which its experiments use): in training the negative part is divided by
    ``a ~ U(lower, upper)``, drawn independently for every element; in inference it is divided
    by the mean divisor ``(lower + upper) / 2``:

    training: ``y = x`` if ``x >= 0`` else ``x / a``; inference: ``y = x`` if ``x >= 0`` else
    ``x / ((lower + upper) / 2)``.

    With the paper's ``lower=3, upper=8`` the training slopes lie in [1/8, 1/3] and the
    inference slope is 1/5.5. Like the paper (and dropout's scaling), inference uses the mean of
    the random divisor, not the mean slope ``E[1/a] = ln(upper/lower) / (upper - lower)``.

    Args:
        lower: the smallest divisor, > 0 (the paper's l = 3).
        upper: the largest divisor, >= lower (the paper's u = 8).
        seed: the seed of the divisors.
    """

    def __init__(self, lower=3.0, upper=8.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        lower, upper = float(lower), float(upper)
        if not 0.0 < lower <= upper:
            raise ValueError(f"RandomizedReLU: need 0 < lower <= upper, got lower={lower!r}, "
                             f"upper={upper!r}.")
        self.lower = lower
        self.upper = upper
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    @property
    def inference_slope(self):
        return 2.0 / (self.lower + self.upper)

    def call(self, inputs, training=False):
        if training and self.upper > self.lower:
            divisor = keras.random.uniform(ops.shape(inputs), self.lower, self.upper,
                                           dtype=inputs.dtype, seed=self.seed_generator)
            negative = inputs / divisor
        else:
            negative = inputs * self.inference_slope
        return ops.where(inputs >= 0, inputs, negative)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "lower": self.lower, "upper": self.upper,
                "seed": self.seed}

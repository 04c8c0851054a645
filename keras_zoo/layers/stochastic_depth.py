"""Stochastic depth (Huang et al., Deep Networks with Stochastic Depth, ECCV 2016)."""

import keras


@keras.saving.register_keras_serializable(package="keras_zoo")
class StochasticDepth(keras.layers.Layer):
    """Drops a whole residual branch per example: ``y = x + b * f(x) / (1 - rate)`` in training,
    ``b ~ Bernoulli(1 - rate)`` per example, and ``y = x + f(x)`` at inference.

    The paper scales the branch by the survival probability at test time; we use the
    equivalent "inverted" form (scale at training time), as Keras' Dropout does, so inference is
    a plain sum.

    Call it on ``[shortcut, branch]``.

    Args:
        rate: the probability of dropping the branch, in [0, 1).
        seed: the random seed.
    """

    def __init__(self, rate=0.1, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0.0 <= float(rate) < 1.0:
            raise ValueError(f"StochasticDepth: rate must be in [0, 1), got {rate!r}.")
        self.rate = float(rate)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=False):
        shortcut, branch = inputs
        if training and self.rate > 0.0:
            keep = 1.0 - self.rate
            shape = (keras.ops.shape(branch)[0],) + (1,) * (len(branch.shape) - 1)
            mask = keras.ops.floor(
                keep + keras.random.uniform(shape, seed=self.seed_generator, dtype=branch.dtype))
            branch = branch * mask / keep
        return shortcut + branch

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}

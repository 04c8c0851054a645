"""Stochastic pooling (Zeiler & Fergus, ICLR 2013)."""

import keras
from keras import ops

from keras_zoo.layers._pooling import (
    check_pooling_input,
    pool_arguments,
    pooled_shape,
    pooling_windows,
)


@keras.saving.register_keras_serializable(package="keras_zoo")
class StochasticPooling2D(keras.layers.Layer):
    """Stochastic pooling: sample an activation of each window with probability proportional to
    it in training, take the probability-weighted average at inference.

    Zeiler & Fergus, "Stochastic Pooling for Regularization of Deep Convolutional Neural
    Networks", ICLR 2013, eqs. 3-5. In each pooling region R_j:

    ``p_i = a_i / sum_{k in R_j} a_k``; training: ``s_j = a_l``, ``l ~ Multinomial(p_1..p_|R_j|)``;
    inference: ``s_j = sum_{i in R_j} p_i a_i``.

    The paper pools non-negative (post-ReLU) activations; negative inputs are clipped to 0
    here, so that ``p`` is a distribution. A window of zeros gives 0. "same" padding adds
    zeros, which have probability 0. Training draws with Keras' seeded random ops; inference is
    deterministic and converts to TFLite builtins.

    Args:
        pool_size: an int or a pair (the paper's 3x3 with stride 2, or 2x2).
        strides: an int, a pair, or None (= pool_size).
        padding: "valid" or "same".
        seed: the seed of the training-time draws.
    """

    def __init__(self, pool_size=2, strides=None, padding="valid", seed=None, **kwargs):
        super().__init__(**kwargs)
        self.pool_size, self.strides, self.padding = pool_arguments(
            "StochasticPooling2D", pool_size, strides, padding)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        check_pooling_input("StochasticPooling2D", input_shape, self.pool_size, self.padding)
        if input_shape[1] is None or input_shape[2] is None:
            raise ValueError("StochasticPooling2D: the spatial sizes must be known, got "
                             f"{tuple(input_shape)}.")

    def call(self, inputs, training=False):
        windows, _ = pooling_windows(ops.relu(inputs), self.pool_size, self.strides,
                                     self.padding)
        total = ops.sum(windows, axis=-1, keepdims=True)
        positive = total > 0
        safe_total = ops.where(positive, total, ops.ones_like(total))
        probabilities = windows / safe_total
        if not training:
            return ops.sum(probabilities * windows, axis=-1)
        n = windows.shape[-1]
        # Zero windows: any index picks a 0; a uniform row keeps the sampler well defined.
        probabilities = ops.where(positive, probabilities, ops.full_like(probabilities, 1.0 / n))
        logits = ops.stop_gradient(ops.log(ops.reshape(probabilities, (-1, n))))
        choice = keras.random.categorical(logits, 1, seed=self.seed_generator)
        picked = ops.reshape(ops.one_hot(ops.squeeze(choice, -1), n, dtype=windows.dtype),
                             ops.shape(windows))
        return ops.sum(picked * windows, axis=-1)

    def compute_output_shape(self, input_shape):
        return pooled_shape(input_shape, self.pool_size, self.strides, self.padding)

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "strides": self.strides,
                "padding": self.padding, "seed": self.seed}

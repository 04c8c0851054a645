"""Nadaraya-Watson kernel regression as attention (Nadaraya 1964, Watson 1964; the attention
reading of Zhang et al., Dive into Deep Learning, section 11.2)."""

import keras
from keras import ops

from keras_zoo.layers.bahdanau_attention import split_inputs


@keras.saving.register_keras_serializable(package="keras_zoo")
class NadarayaWatson(keras.layers.Layer):
    """Gaussian-kernel attention pooling with a learned bandwidth:

    ``f(q) = sum_i softmax_i(-||q - k_i||^2 w^2 / 2) v_i``

    the Nadaraya-Watson estimator ``sum_i K(q - k_i) v_i / sum_j K(q - k_j)`` with the Gaussian
    kernel ``K(u) = exp(-u^2 w^2 / 2)``; ``w`` (an inverse bandwidth) is the only weight.

    Call with ``[query, values, keys]``: query ``[B, Tq, D]``, values ``[B, Tk, Dv]``, keys
    ``[B, Tk, D]`` (or ``[query, values]`` with the values as keys).

    Args:
        initial_width: the starting value of ``w`` (1: the standard Gaussian kernel).
        trainable_width: learn ``w`` (parametric attention) or keep it fixed (the classical,
            nonparametric estimator).
    """

    def __init__(self, initial_width=1.0, trainable_width=True, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(initial_width, (int, float)) or initial_width <= 0:
            raise ValueError(
                f"NadarayaWatson: initial_width must be a positive number, got {initial_width!r}.")
        self.initial_width = float(initial_width)
        self.trainable_width = bool(trainable_width)

    def build(self, input_shape):
        self.w = self.add_weight(name="w", shape=(),
                                 initializer=keras.initializers.Constant(self.initial_width),
                                 trainable=self.trainable_width)

    def call(self, inputs, return_attention_scores=False):
        query, values, keys = split_inputs("NadarayaWatson", inputs)
        # ||q - k||^2 = |q|^2 - 2 q.k + |k|^2: matmuls only, no [B, Tq, Tk, D] tensor.
        q2 = ops.sum(ops.square(query), axis=-1, keepdims=True)
        k2 = ops.expand_dims(ops.sum(ops.square(keys), axis=-1), axis=1)
        distance = q2 - 2.0 * ops.matmul(query, ops.transpose(keys, (0, 2, 1))) + k2
        weights = ops.softmax(-0.5 * distance * ops.square(self.w), axis=-1)
        context = ops.matmul(weights, values)
        return (context, weights) if return_attention_scores else context

    def get_config(self):
        return {**super().get_config(), "initial_width": self.initial_width,
                "trainable_width": self.trainable_width}

"""Mixed max-average pooling (Lee, Gallagher & Tu, AISTATS 2016; Yu et al., RSKT 2014)."""

import math

import keras
from keras import ops

from keras_zoo.layers._pooling import check_pooling_input, pool_arguments, pooled_shape


@keras.saving.register_keras_serializable(package="keras_zoo")
class MixedPooling2D(keras.layers.Layer):
    """A convex combination of max and average pooling.

    Lee, Gallagher & Tu, "Generalizing Pooling Functions in Convolutional Neural Networks:
    Mixed, Gated, and Tree", AISTATS 2016, eq. 2 (the notes' ``001`` formula):

    ``f_mix(x) = a * max_i x_i + (1 - a) * mean_i x_i``,  ``a`` in [0, 1]

    With ``learn_alpha=True`` (Lee et al.'s "mixed max-average pooling") ``a`` is learned, one
    per layer or, with ``per_channel=True``, one per channel, kept in [0, 1] as
    ``a = sigmoid(alpha_logit)``; otherwise ``a = alpha`` is fixed. (Yu et al.'s 2014 variant,
    which draws a in {0, 1} at random in training, is not implemented.) Averages count only the
    real pixels with "same" padding, as Keras' AveragePooling2D does.

    Args:
        alpha: the (initial) mixing proportion a, in [0, 1] (0 and 1 only when fixed).
        learn_alpha: learn a by back-propagation.
        per_channel: one learned a per channel instead of one per layer.
        pool_size: an int or a pair.
        strides: an int, a pair, or None (= pool_size).
        padding: "valid" or "same".
    """

    def __init__(self, alpha=0.5, learn_alpha=True, per_channel=False, pool_size=2,
                 strides=None, padding="valid", **kwargs):
        super().__init__(**kwargs)
        alpha = float(alpha)
        if not 0.0 <= alpha <= 1.0 or (learn_alpha and alpha in (0.0, 1.0)):
            raise ValueError("MixedPooling2D: alpha must be in [0, 1] (in (0, 1) when learned, "
                             f"its logit must be finite), got {alpha!r}.")
        if per_channel and not learn_alpha:
            raise ValueError("MixedPooling2D: per_channel=True needs learn_alpha=True.")
        self.alpha = alpha
        self.learn_alpha = bool(learn_alpha)
        self.per_channel = bool(per_channel)
        self.pool_size, self.strides, self.padding = pool_arguments(
            "MixedPooling2D", pool_size, strides, padding)

    def build(self, input_shape):
        check_pooling_input("MixedPooling2D", input_shape, self.pool_size, self.padding)
        if not self.learn_alpha:
            return
        if self.per_channel and input_shape[-1] is None:
            raise ValueError("MixedPooling2D: per_channel needs known channels.")
        shape = (input_shape[-1],) if self.per_channel else ()
        logit = math.log(self.alpha / (1.0 - self.alpha))
        self.alpha_logit = self.add_weight(name="alpha_logit", shape=shape,
                                           initializer=keras.initializers.Constant(logit))

    def call(self, inputs):
        args = dict(pool_size=self.pool_size, strides=self.strides, padding=self.padding)
        maximum = ops.max_pool(inputs, **args)
        average = ops.average_pool(inputs, **args)
        a = ops.sigmoid(self.alpha_logit) if self.learn_alpha else self.alpha
        return a * maximum + (1.0 - a) * average

    def compute_output_shape(self, input_shape):
        return pooled_shape(input_shape, self.pool_size, self.strides, self.padding)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha, "learn_alpha": self.learn_alpha,
                "per_channel": self.per_channel, "pool_size": self.pool_size,
                "strides": self.strides, "padding": self.padding}

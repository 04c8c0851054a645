"""The gradient-reversal layer of domain-adversarial training (Ganin & Lempitsky, ICML 2015)."""

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="keras_zoo")
class GradientReversal(keras.layers.Layer):
    """Identity forward, gradient multiplied by -lambda backward.

    Ganin & Lempitsky, "Unsupervised Domain Adaptation by Backpropagation", ICML 2015,
    section 3.2, eqs. 9-10: R(x) = x and dR/dx = -lambda I. Placed between the feature
    extractor and the domain classifier, it makes one backward pass minimise the domain loss
    for the classifier and maximise it for the features.

    Args:
        lambda_: the reversal weight (>= 0); the paper anneals it from 0 to 1 with
            2 / (1 + exp(-10 p)) - 1 over training progress p, which a model does by passing
            ``scale`` at call time.

    Call arguments:
        inputs: any float tensor.
        scale: optional scalar tensor replacing ``lambda_`` for this call.

    Example:
        >>> GradientReversal(0.5)(keras.ops.ones((2, 3))).shape
        TensorShape([2, 3])
    """

    def __init__(self, lambda_=1.0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(lambda_, bool) or not isinstance(lambda_, (int, float)) or lambda_ < 0:
            raise ValueError(f"GradientReversal: lambda_ must be a number >= 0, got {lambda_!r}.")
        self.lambda_ = float(lambda_)

    def call(self, inputs, scale=None):
        weight = tf.cast(self.lambda_ if scale is None else scale, inputs.dtype)

        @tf.custom_gradient
        def reverse(x):
            def grad(upstream):
                return -weight * upstream

            return tf.identity(x), grad

        return reverse(inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "lambda_": self.lambda_}

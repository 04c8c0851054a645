"""DropConnect (Wan, Zeiler, Zhang, LeCun & Fergus, "Regularization of Neural Networks using
DropConnect", ICML 2013)."""

import keras
from keras import ops

from keras_zoo.layers.stochastic_dense import _StochasticDense


@keras.saving.register_keras_serializable(package="keras_zoo")
class DropConnectDense(_StochasticDense):
    """A fully connected layer whose *weights* are dropped at random in training.

    Wan et al., ICML 2013, eq. 2 (and the notes' ``001``: a link is cut, the unit survives):

    training: ``r = a((M * W) x / (1 - rate) + b)``, ``M_ij ~ Bernoulli(1 - rate)`` drawn for
    each example (the paper's per-example masks, Algorithm 1); inference: ``r = a(W x + b)``.

    Scaling the kept weights by ``1 / (1 - rate)`` in training makes the inference network the
    expected one ("inverted", as Keras' Dropout): the paper's inference instead matches the
    moments of a Gaussian and samples it; we use the mean, which the paper compares against
    (its "mean inference"). The bias is not dropped. The per-example masks cost
    ``B * in * units`` numbers in training.

    Args:
        units: the output dimension.
        rate: the probability of dropping a weight, in [0, 1) (the paper's p = 0.5).
        activation: a Keras activation.
        use_bias: whether to add a bias.
        kernel_initializer: Keras initializer of W.
        bias_initializer: Keras initializer of b.
        seed: the seed of the masks.
    """

    def __init__(self, units, rate=0.5, **kwargs):
        super().__init__(units, **kwargs)
        if not 0.0 <= float(rate) < 1.0:
            raise ValueError(f"DropConnectDense: rate must be in [0, 1), got {rate!r}.")
        self.rate = float(rate)

    def build(self, input_shape):
        # The per-example masks (B x in x units) need a 2-D input.
        if len(input_shape) != 2 or input_shape[-1] is None:
            raise ValueError("DropConnectDense: input must be [B, features] with features "
                             f"known, got {tuple(input_shape)}.")
        super().build(input_shape)

    def call(self, inputs, training=False):
        if training and self.rate > 0.0:
            keep = 1.0 - self.rate
            shape = (ops.shape(inputs)[0],) + tuple(self.kernel.shape)
            mask = ops.cast(keras.random.uniform(shape, seed=self.seed_generator) < keep,
                            inputs.dtype)
            outputs = ops.einsum("bi,bio->bo", inputs, mask * self.kernel) / keep
        else:
            outputs = ops.matmul(inputs, self.kernel)
        if self.bias is not None:
            outputs = outputs + self.bias
        return self.activation(outputs)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate}

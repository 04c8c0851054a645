"""Weight noise (Graves, "Practical Variational Inference for Neural Networks", NIPS 2011;
used as the regulariser of Graves, "Generating Sequences With Recurrent Neural Networks",
2013, section 3)."""

import keras
from keras import ops

from keras_zoo.layers.stochastic_dense import _StochasticDense


@keras.saving.register_keras_serializable(package="keras_zoo")
class WeightNoiseDense(_StochasticDense):
    """A fully connected layer whose weights carry Gaussian noise in training.

    Graves 2013, section 3 (Table 1's "weight noise" rows): zero-mean Gaussian noise of standard
    deviation ``stddev`` (the paper's 0.075) is added to the network weights, one draw per
    training sequence, and the clean weights are used at test time:

    training: ``y = a((W + E) x + b + e)``, ``E_ij, e_j ~ N(0, stddev^2)`` drawn once per call
    (one minibatch shares one draw: with a batch of one sequence, the paper's schedule);
    inference: ``y = a(W x + b)``. The noise is added to every weight, the biases included, as
    in Graves 2011 (the biases are weights of a unit input).

    Args:
        units: the output dimension.
        stddev: the noise's standard deviation, >= 0.
        activation: a Keras activation.
        use_bias: whether to add a bias.
        kernel_initializer: Keras initializer of W.
        bias_initializer: Keras initializer of b.
        seed: the seed of the noise.
    """

    def __init__(self, units, stddev=0.075, **kwargs):
        super().__init__(units, **kwargs)
        if not float(stddev) >= 0.0:
            raise ValueError(f"WeightNoiseDense: stddev must be >= 0, got {stddev!r}.")
        self.stddev = float(stddev)

    def _noisy(self, weight, training):
        if not training or self.stddev == 0.0:
            return weight
        return weight + keras.random.normal(weight.shape, stddev=self.stddev,
                                            dtype=weight.dtype, seed=self.seed_generator)

    def call(self, inputs, training=False):
        outputs = ops.matmul(inputs, self._noisy(self.kernel, training))
        if self.bias is not None:
            outputs = outputs + self._noisy(self.bias, training)
        return self.activation(outputs)

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev}

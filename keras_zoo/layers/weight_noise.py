"""Weight noise (Graves, "Practical Variational Inference for Neural Networks", NIPS 2011;
used as the regulariser of Graves, "Generating Sequences With Recurrent Neural Networks",
2013, section 3)."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_zoo")
class WeightNoiseDense(keras.layers.Layer):
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

    def __init__(self, units, stddev=0.075, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", seed=None,
                 **kwargs):
        super().__init__(**kwargs)
        if not isinstance(units, int) or isinstance(units, bool) or units < 1:
            raise ValueError(f"WeightNoiseDense: units must be a positive int, got {units!r}.")
        if not float(stddev) >= 0.0:
            raise ValueError(f"WeightNoiseDense: stddev must be >= 0, got {stddev!r}.")
        self.units = units
        self.stddev = float(stddev)
        self.activation = keras.activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        if input_shape[-1] is None:
            raise ValueError("WeightNoiseDense: the last input axis must be known, got "
                             f"{tuple(input_shape)}.")
        self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], self.units),
                                      initializer=self.kernel_initializer)
        self.bias = self.add_weight(name="bias", shape=(self.units,),
                                    initializer=self.bias_initializer) if self.use_bias else None

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

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "stddev": self.stddev,
                "activation": keras.activations.serialize(self.activation),
                "use_bias": self.use_bias,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "bias_initializer": keras.initializers.serialize(self.bias_initializer),
                "seed": self.seed}

"""The common part of fully connected layers whose weights are perturbed at random in training
(DropConnect, weight noise): the weights, their initialisers, the seed and the configuration."""

import keras


class _StochasticDense(keras.layers.Layer):
    """A dense layer's weights, activation and seed generator; subclasses perturb the weights
    in ``call`` when training and use them as they are at inference.

    Private (not exported by keras_zoo.layers, not registered): only its subclasses are layers a
    model holds.

    Args:
        units: the output dimension.
        activation: a Keras activation.
        use_bias: whether to add a bias.
        kernel_initializer: Keras initializer of W.
        bias_initializer: Keras initializer of b.
        seed: the seed of the perturbation.
    """

    def __init__(self, units, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", seed=None,
                 **kwargs):
        super().__init__(**kwargs)
        if not isinstance(units, int) or isinstance(units, bool) or units < 1:
            raise ValueError(f"{type(self).__name__}: units must be a positive int, "
                             f"got {units!r}.")
        self.units = units
        self.activation = keras.activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        if input_shape[-1] is None:
            raise ValueError(f"{type(self).__name__}: the last input axis must be known, got "
                             f"{tuple(input_shape)}.")
        self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], self.units),
                                      initializer=self.kernel_initializer)
        self.bias = self.add_weight(name="bias", shape=(self.units,),
                                    initializer=self.bias_initializer) if self.use_bias else None

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "activation": keras.activations.serialize(self.activation),
                "use_bias": self.use_bias,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "bias_initializer": keras.initializers.serialize(self.bias_initializer),
                "seed": self.seed}

"""Per-unit ("untied") biases of LeCun et al.'s 1989 zip-code network."""

import keras


@keras.saving.register_keras_serializable(package="keras_zoo")
class UntiedBias(keras.layers.Layer):
    """Adds a learned bias to every unit of a feature map: ``y[h, w, c] = x[h, w, c] + b[h, w, c]``.

    LeCun et al., "Backpropagation Applied to Handwritten Zip Code Recognition", Neural
    Computation 1989, section 5.1: the units of a feature map share their weights, "but each
    unit has its own bias" (H1: 12 maps of 8x8 give 768 biases). A convolution without bias
    followed by this layer is that layer; a Conv2D bias would be one per map.

    Args:
        activation: an optional activation applied after the bias.
        bias_initializer: the biases' initialiser.
    """

    def __init__(self, activation=None, bias_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        self.activation = keras.activations.get(activation)
        self.bias_initializer = keras.initializers.get(bias_initializer)

    def build(self, input_shape):
        if any(d is None for d in input_shape[1:]):
            raise ValueError(
                f"UntiedBias: needs a fully known unit shape (one bias per unit), got "
                f"{input_shape}.")
        self.bias = self.add_weight(name="bias", shape=tuple(input_shape[1:]),
                                    initializer=self.bias_initializer)

    def call(self, inputs):
        return self.activation(inputs + self.bias)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(),
                "activation": keras.activations.serialize(self.activation),
                "bias_initializer": keras.initializers.serialize(self.bias_initializer)}

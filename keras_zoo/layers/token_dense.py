"""TokenDense: Dense on tokens computed on the flattened tokens, so that the bias and the
activation fuse into the matmul (made by keras_zoo.export.fold_transformer from a Dense)."""

import keras

from keras_zoo.layers._fused_linear import fused_linear


@keras.saving.register_keras_serializable(package="keras_zoo")
class TokenDense(keras.layers.Layer):
    """``keras.layers.Dense`` on tokens ``[..., D]`` for inference, computed on the flattened
    tokens ``[N, D]`` so that the bias and the activation fuse into the matmul (``fused_linear``).
    Same function and weights as the Dense it replaces.

    Args:
        units: the output width.
        activation: as Dense's (a name or a registered function).
        use_bias: whether there is a bias.
    """

    def __init__(self, units, activation=None, use_bias=True, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(units, int) or isinstance(units, bool) or units < 1:
            raise ValueError(f"TokenDense: units must be a positive int, got {units!r}.")
        self.units, self.use_bias = units, bool(use_bias)
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], self.units))
        self.bias = (self.add_weight(name="bias", shape=(self.units,), initializer="zeros")
                     if self.use_bias else None)

    def call(self, x):
        flat = keras.ops.reshape(x, (-1, x.shape[-1]))
        activation = (None if self.activation is keras.activations.linear
                      else self.activation)
        out = fused_linear(flat, self.kernel, self.bias, activation)
        return keras.ops.reshape(out, (*keras.ops.shape(x)[:-1], self.units))

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "activation": keras.activations.serialize(self.activation),
                "use_bias": self.use_bias}

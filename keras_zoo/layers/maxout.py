"""Maxout units (Goodfellow, Warde-Farley, Mirza, Courville & Bengio, "Maxout Networks",
ICML 2013)."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_zoo")
class Maxout(keras.layers.Layer):
    """A maxout layer: the maximum of ``num_pieces`` affine feature maps per unit.

    Goodfellow et al., ICML 2013, eq. 1:

    ``h_i(x) = max_{j in [1, k]} z_ij``,  ``z_ij = x^T W_{.ij} + b_ij``

    applied on the last axis, so on a ``[B, H, W, C]`` map it is the paper's convolutional
    maxout with 1x1 pieces (the maximum over channel groups, no spatial pooling). The affine
    map is a Dense with ``units * num_pieces`` outputs; unit i's pieces are its outputs
    ``i * k .. i * k + k - 1``.

    Args:
        units: the number of maxout units (the output dimension).
        num_pieces: k, the affine pieces per unit (>= 2 to be non-linear).
        use_bias: whether the pieces have biases.
        kernel_initializer: Keras initializer of W.
        bias_initializer: Keras initializer of b.
    """

    def __init__(self, units, num_pieces=2, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        for arg, value in (("units", units), ("num_pieces", num_pieces)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"Maxout: {arg} must be a positive int, got {value!r}.")
        self.units = units
        self.num_pieces = num_pieces
        self.use_bias = bool(use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.pieces = keras.layers.Dense(units * num_pieces, use_bias=use_bias,
                                         kernel_initializer=self.kernel_initializer,
                                         bias_initializer=self.bias_initializer, name="pieces")

    def build(self, input_shape):
        if len(input_shape) < 2 or input_shape[-1] is None:
            raise ValueError(f"Maxout: input must be [B, ..., features] with features known, got "
                             f"{tuple(input_shape)}.")
        self.pieces.build(input_shape)

    def call(self, inputs):
        z = self.pieces(inputs)
        leading = ops.shape(z)[:-1]
        z = ops.reshape(z, (*leading, self.units, self.num_pieces))
        return ops.max(z, axis=-1)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "num_pieces": self.num_pieces,
                "use_bias": self.use_bias,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "bias_initializer": keras.initializers.serialize(self.bias_initializer)}

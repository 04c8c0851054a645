"""Squeeze-and-excitation (Hu, Shen & Sun, Squeeze-and-Excitation Networks, CVPR 2018)."""

import keras


@keras.saving.register_keras_serializable(package="keras_zoo")
class SqueezeExcitation(keras.layers.Layer):
    """Channel attention: ``y = x * gate(W2 act(W1 mean_{h,w}(x) + b1) + b2)``.

    The two fully connected layers are 1x1 convolutions on the pooled ``[B,1,1,C]`` tensor, with
    biases: the same weights, in the same order, as keras.applications' EfficientNet
    ``se_reduce``/``se_expand``, so weights move across with ``set_weights``.

    Args:
        filters: the input's (and output's) channels C.
        reduced_filters: the bottleneck width (the paper's C / r, r = 16).
        activation: the bottleneck's activation (the paper's ReLU; EfficientNet's swish).
        gate: the gating activation (sigmoid).
    """

    def __init__(self, filters, reduced_filters, activation="relu", gate="sigmoid", **kwargs):
        super().__init__(**kwargs)
        for arg, value in (("filters", filters), ("reduced_filters", reduced_filters)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"SqueezeExcitation: {arg} must be a positive int, got {value!r}.")
        self.filters = filters
        self.reduced_filters = reduced_filters
        self.activation = activation
        self.gate = gate
        self.reduce = keras.layers.Conv2D(reduced_filters, 1, activation=activation,
                                          name="reduce")
        self.expand = keras.layers.Conv2D(filters, 1, activation=gate, name="expand")

    def build(self, input_shape):
        if input_shape[-1] != self.filters:
            raise ValueError(
                f"SqueezeExcitation: input has {input_shape[-1]} channels, filters={self.filters}.")
        pooled = (input_shape[0], 1, 1, self.filters)
        self.reduce.build(pooled)
        self.expand.build(pooled[:3] + (self.reduced_filters,))

    def call(self, inputs):
        squeezed = keras.ops.mean(inputs, axis=(1, 2), keepdims=True)
        return inputs * self.expand(self.reduce(squeezed))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "reduced_filters": self.reduced_filters, "activation": self.activation,
                "gate": self.gate}

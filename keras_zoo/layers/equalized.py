"""Equalised learning rate layers (Karras et al., ProGAN, ICLR 2018, section 4.1; StyleGAN)."""

import math

import keras
from keras import ops

from keras_zoo.layers._pooling import int_pair

# He et al.'s gain for (leaky) ReLU layers, ProGAN's default.
HE_GAIN = math.sqrt(2.0)


def _check_common(cls, gain, lr_multiplier):
    if not float(gain) > 0.0:
        raise ValueError(f"{cls}: gain must be > 0, got {gain!r}.")
    if not float(lr_multiplier) > 0.0:
        raise ValueError(f"{cls}: lr_multiplier must be > 0, got {lr_multiplier!r}.")


def _positive_int(cls, arg, value):
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{cls}: {arg} must be a positive int, got {value!r}.")


class _Equalized(keras.layers.Layer):
    """Shared weights and run-time scaling of the equalised-learning-rate layers.

    ProGAN: ``w_hat = w * c`` with ``c = gain / sqrt(fan_in)`` applied at run time and
    ``w ~ N(0, 1)``, so that Adam's per-weight step size is the same for every layer.
    StyleGAN adds ``lr_multiplier``: ``w ~ N(0, 1 / lr_multiplier)``, runtime scale
    ``c * lr_multiplier``, bias scaled by ``lr_multiplier`` too (the mapping network's 0.01).
    """

    def __init__(self, gain, lr_multiplier, use_bias, activation, **kwargs):
        super().__init__(**kwargs)
        _check_common(type(self).__name__, gain, lr_multiplier)
        self.gain = float(gain)
        self.lr_multiplier = float(lr_multiplier)
        self.use_bias = bool(use_bias)
        self.activation = keras.activations.get(activation)

    def _add_weights(self, kernel_shape, fan_in, units):
        self.scale = self.gain / math.sqrt(fan_in) * self.lr_multiplier
        self.kernel = self.add_weight(
            name="kernel", shape=kernel_shape,
            initializer=keras.initializers.RandomNormal(stddev=1.0 / self.lr_multiplier))
        self.bias = self.add_weight(name="bias", shape=(units,), initializer="zeros") \
            if self.use_bias else None

    def _finish(self, outputs):
        if self.bias is not None:
            outputs = outputs + self.bias * self.lr_multiplier
        return self.activation(outputs)

    def get_config(self):
        return {**super().get_config(), "gain": self.gain, "lr_multiplier": self.lr_multiplier,
                "use_bias": self.use_bias,
                "activation": keras.activations.serialize(self.activation)}


@keras.saving.register_keras_serializable(package="keras_zoo")
class EqualizedDense(_Equalized):
    """Fully connected layer with an equalised learning rate (ProGAN section 4.1, StyleGAN).

    ``y = activation(x @ (W * gain / sqrt(fan_in) * lr_multiplier) + b * lr_multiplier)``,
    ``W ~ N(0, 1 / lr_multiplier^2)`` (std ``1 / lr_multiplier``), ``b = 0`` at init,
    ``fan_in`` the input's last dimension.

    Args:
        units: the output dimension.
        gain: the He gain (sqrt(2) before a (leaky) ReLU; 1 before a linear output).
        lr_multiplier: StyleGAN's learning-rate multiplier (0.01 in the mapping network).
        use_bias: whether to add a bias.
        activation: a Keras activation applied last.
    """

    def __init__(self, units, gain=HE_GAIN, lr_multiplier=1.0, use_bias=True,
                 activation=None, **kwargs):
        _positive_int("EqualizedDense", "units", units)
        super().__init__(gain, lr_multiplier, use_bias, activation, **kwargs)
        self.units = units

    def build(self, input_shape):
        fan_in = input_shape[-1]
        if fan_in is None:
            raise ValueError("EqualizedDense: the last input dimension must be known.")
        self._add_weights((fan_in, self.units), fan_in, self.units)

    def call(self, inputs):
        return self._finish(ops.matmul(inputs, self.kernel * self.scale))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package="keras_zoo")
class EqualizedConv2D(_Equalized):
    """2-D convolution with an equalised learning rate (ProGAN section 4.1, StyleGAN).

    ``y = activation(conv(x, W * gain / sqrt(k_h * k_w * C_in) * lr_multiplier)
    + b * lr_multiplier)``, ``W ~ N(0, 1 / lr_multiplier^2)``, ``b = 0`` at init.

    Args:
        filters: the output channels.
        kernel_size: an int or a pair (k_h, k_w).
        strides: an int or a pair.
        padding: "same" or "valid".
        gain: the He gain (sqrt(2) before a (leaky) ReLU, 1 for the toRGB layers).
        use_bias: whether to add a bias.
        activation: a Keras activation applied last.
        lr_multiplier: StyleGAN's learning-rate multiplier.
    """

    def __init__(self, filters, kernel_size, strides=1, padding="same", gain=HE_GAIN,
                 use_bias=True, activation=None, lr_multiplier=1.0, **kwargs):
        _positive_int("EqualizedConv2D", "filters", filters)
        super().__init__(gain, lr_multiplier, use_bias, activation, **kwargs)
        self.filters = filters
        self.kernel_size = int_pair("EqualizedConv2D", "kernel_size", kernel_size)
        self.strides = int_pair("EqualizedConv2D", "strides", strides)
        if padding not in ("same", "valid"):
            raise ValueError(f"EqualizedConv2D: padding must be 'same' or 'valid', got {padding!r}.")
        self.padding = padding

    def build(self, input_shape):
        if len(input_shape) != 4 or input_shape[-1] is None:
            raise ValueError("EqualizedConv2D: input must be [B, H, W, C] with C known, got "
                             f"{tuple(input_shape)}.")
        channels = input_shape[-1]
        fan_in = self.kernel_size[0] * self.kernel_size[1] * channels
        self._add_weights(self.kernel_size + (channels, self.filters), fan_in, self.filters)

    def call(self, inputs):
        outputs = ops.conv(inputs, self.kernel * self.scale, strides=self.strides,
                           padding=self.padding)
        return self._finish(outputs)

    def compute_output_shape(self, input_shape):
        spatial = []
        for size, k, s in zip(input_shape[1:3], self.kernel_size, self.strides, strict=True):
            if size is None:
                spatial.append(None)
            elif self.padding == "same":
                spatial.append(-(-size // s))
            else:
                spatial.append((size - k) // s + 1)
        return (input_shape[0], *spatial, self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": self.kernel_size, "strides": self.strides,
                "padding": self.padding}

"""Channel-wise (depthwise) 3-D convolution written with depthwise 2-D convolutions, so that
it converts to TFLite builtins."""

import keras
from keras import ops


def _triple(name, value):
    triple = (value,) * 3 if isinstance(value, int) else tuple(value)
    if len(triple) != 3 or not all(isinstance(v, int) and v >= 1 for v in triple):
        raise ValueError(f"DepthwiseConv3D: {name} must be a positive int or a (t, h, w) "
                         f"triple, got {value!r}.")
    return triple


@keras.saving.register_keras_serializable(package="keras_zoo")
class DepthwiseConv3D(keras.layers.Layer):
    """One ``t x h x w`` filter per channel over ``[B, T, H, W, C]`` inputs (X3D's
    channel-wise convolution, Feichtenhofer, CVPR 2020, Table 1).

    The output at time ``i`` is the sum over the temporal taps ``k`` of a depthwise 2-D
    convolution of frame ``i * s_t + k`` with the kernel's slice ``k``; written that way it
    equals ``keras.layers.Conv3D(C, kernel, groups=C)`` ("same" pads time as TensorFlow does)
    and converts to TFLite's DEPTHWISE_CONV_2D, while a grouped Conv3D has no TFLite builtin.

    Args:
        kernel_size: ``(t, h, w)`` or one int.
        strides: ``(t, h, w)`` or one int.
        padding: "same" or "valid".
        use_bias: add a per-channel bias.
        kernel_initializer: the depthwise kernel's initializer.
    """

    def __init__(self, kernel_size=3, strides=1, padding="same", use_bias=False,
                 kernel_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        if padding not in ("same", "valid"):
            raise ValueError(f"DepthwiseConv3D: padding must be 'same' or 'valid', got "
                             f"{padding!r}.")
        self.kernel_size = _triple("kernel_size", kernel_size)
        self.strides = _triple("strides", strides)
        self.padding = padding
        self.use_bias = bool(use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape):
        channels = input_shape[-1]
        self.kernel = self.add_weight(name="kernel", shape=(*self.kernel_size, channels, 1),
                                      initializer=self.kernel_initializer)
        self.bias = (self.add_weight(name="bias", shape=(channels,), initializer="zeros")
                     if self.use_bias else None)

    def _time(self, t):
        k, s = self.kernel_size[0], self.strides[0]
        if self.padding == "valid":
            return (t - k) // s + 1, 0, 0
        out = -(-t // s)
        pad = max((out - 1) * s + k - t, 0)
        return out, pad // 2, pad - pad // 2

    def compute_output_shape(self, input_shape):
        b, t, h, w, c = input_shape
        dims = [self._time(t)[0]]
        for n, k, s in zip((h, w), self.kernel_size[1:], self.strides[1:], strict=True):
            dims.append(-(-n // s) if self.padding == "same" else (n - k) // s + 1)
        return (b, *dims, c)

    def call(self, inputs):
        _, t, h, w, c = inputs.shape
        t_out, before, after = self._time(t)
        x = ops.pad(inputs, ((0, 0), (before, after), (0, 0), (0, 0), (0, 0))) \
            if before or after else inputs
        st = self.strides[0]
        out = None
        for k in range(self.kernel_size[0]):
            frames = x[:, k:k + (t_out - 1) * st + 1:st]
            frames = ops.reshape(frames, (-1, h, w, c))
            y = ops.depthwise_conv(frames, self.kernel[k], strides=self.strides[1:],
                                   padding=self.padding)
            out = y if out is None else out + y
        if self.bias is not None:
            out = out + self.bias
        _, _, h2, w2, _ = self.compute_output_shape(inputs.shape)
        return ops.reshape(out, (-1, t_out, h2, w2, c))

    def get_config(self):
        return {**super().get_config(), "kernel_size": self.kernel_size,
                "strides": self.strides, "padding": self.padding, "use_bias": self.use_bias,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer)}

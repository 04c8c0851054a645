"""A 3-D convolution whose "same" padding is explicit zero padding followed by a "valid"
convolution: the same function as ``keras.layers.Conv3D(padding="same")``, computed without
TensorFlow's SAME-padded Conv3D kernels, whose filter gradient is wrong on CPU for some shapes."""

import keras
from keras import ops


def same_padding(length, kernel, stride, dilation=1):
    """``(before, after)`` zero padding that makes a "valid" convolution equal TensorFlow's
    "same" one along an axis of ``length`` (the odd element goes after, as TensorFlow does)."""
    out = -(-length // stride)
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - length, 0)
    return total // 2, total - total // 2


@keras.saving.register_keras_serializable(package="keras_zoo")
class PaddedConv3D(keras.layers.Conv3D):
    """``keras.layers.Conv3D(padding="same")`` computed as explicit zero padding and a
    "valid" convolution; weights, output and serialized arguments are those of ``Conv3D``.

    Why: with TensorFlow 2.21 on CPU (oneDNN), the filter gradient of a SAME-padded Conv3D
    with a 7-tap kernel and stride 2 (I3D's first convolution, 7 x 7 x 7 stride 2) is wrong
    for some input lengths. Measured against a float64 reference: 7 frames gave gradients of
    1e18 to 1e37 or NaN, different from one call to the next; 5 frames corrupted the heap
    (``malloc_consolidate(): invalid chunk size``); kernels of 1, 3 and 5 taps and stride 1
    were exact. Two-stream I3D's flow stream (7 flow frames from an 8-frame clip) trained to
    NaN in its first epoch because of it. The padded "valid" convolution gives the same output
    and correct gradients for every one of those shapes.

    Args:
        filters, kernel_size, strides, ...: as ``keras.layers.Conv3D``; ``padding`` must be
            "same" (a "valid" convolution needs no workaround) and the input's time, height
            and width must be known when the layer is built.
    """

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="same", **kwargs):
        if str(padding).lower() != "same":
            raise ValueError(f"PaddedConv3D computes padding='same' explicitly; got "
                             f"padding={padding!r} (use keras.layers.Conv3D for 'valid').")
        data_format = kwargs.pop("data_format", None)
        if data_format not in (None, "channels_last"):
            raise ValueError(f"PaddedConv3D supports data_format='channels_last' only, got "
                             f"{data_format!r}.")
        super().__init__(filters, kernel_size, strides=strides, padding="same",
                         data_format="channels_last", **kwargs)
        self._pads = None

    def build(self, input_shape):
        dims = tuple(input_shape[1:4])
        if any(d is None for d in dims):
            raise ValueError(f"{self.name}: PaddedConv3D needs a known time, height and width "
                             f"to pad, got input shape {tuple(input_shape)}.")
        self._pads = [(0, 0)] + [
            same_padding(d, k, s, r) for d, k, s, r in
            zip(dims, self.kernel_size, self.strides, self.dilation_rate, strict=True)] + [(0, 0)]
        super().build(input_shape)

    def convolution_op(self, inputs, kernel):
        padded = ops.pad(inputs, self._pads)
        return ops.conv(padded, kernel, strides=list(self.strides), padding="valid",
                        dilation_rate=self.dilation_rate, data_format="channels_last")

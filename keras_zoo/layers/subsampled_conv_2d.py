"""A strided 1x1 2-D convolution computed as a subsampling followed by a stride-1 1x1
convolution: the same function as ``keras.layers.Conv2D(filters, 1, strides=s)``, computed
without TensorFlow's strided 1x1 CPU kernel, whose filter gradient corrupts the heap for some
shapes."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_zoo")
class SubsampledConv2D(keras.layers.Conv2D):
    """``keras.layers.Conv2D`` with a 1x1 kernel and a stride, computed as ``x[:, ::s, ::s, :]``
    and a stride-1 1x1 convolution; weights, output and serialized arguments are those of
    ``Conv2D``. A 1x1 kernel reads one pixel per output, the top-left one of each stride cell,
    and needs no padding, so "same" and "valid" are the same function and both are accepted.

    Why: with TensorFlow 2.21 on CPU (oneDNN), ``Conv2DBackpropFilter`` of a 1x1 convolution
    with a stride corrupts the heap (``free(): invalid pointer``, ``double free or
    corruption``, ``corrupted size vs. prev_size``, or a segmentation fault) when, all at once,
    the batch is odd (1, 3, 5, ..., 33 measured), the input has fewer than 16 channels (1 to 15
    crashed; 16 to 256 did not), and the stride divides both the height and the width of an
    input of at least 10x10 (32x32 at stride 2 or 4, 10x10 to 64x64 at stride 2, 30x30 and
    33x33 at stride 3, strides (2, 1) and (1, 2) crashed; 31x32, 32x31, 17x17, 32x32 at
    stride 3, and 8x8 and smaller at stride 2 did not), whatever the number of filters (1 to
    64) or the padding. That is a narrow ResNet's projection shortcut at the last, partial
    batch of an epoch: WRN-28-10's tiny config (4 and 8 channels) aborted in its first epoch.
    The input gradient, even batches, and 2x2, 3x3, 4x4, 5x5 and 7x7 kernels at stride 2 were
    exact; so was the stride-1 1x1 convolution this layer runs instead, on every failing shape,
    and its gradient repeats bit for bit.

    Args:
        filters: the number of output channels.
        kernel_size: 1 or (1, 1); another is refused (``keras.layers.Conv2D`` computes it).
        strides: the stride, an int or a pair.
        padding: "valid" or "same" (the same function for a 1x1 kernel).
        **kwargs: as ``keras.layers.Conv2D`` (``use_bias``, initializers, regularizers,
            ``groups``, ``activation``, ``name``...); ``data_format`` must be
            "channels_last" and ``dilation_rate`` 1.
    """

    def __init__(self, filters, kernel_size=1, strides=(1, 1), padding="valid", **kwargs):
        data_format = kwargs.pop("data_format", None)
        if data_format not in (None, "channels_last"):
            raise ValueError(f"SubsampledConv2D supports data_format='channels_last' only, got "
                             f"{data_format!r}.")
        super().__init__(filters, kernel_size, strides=strides, padding=padding,
                         data_format="channels_last", **kwargs)
        if tuple(self.kernel_size) != (1, 1):
            raise ValueError(f"SubsampledConv2D computes a 1x1 convolution; got kernel_size="
                             f"{kernel_size!r} (use keras.layers.Conv2D).")
        if tuple(self.dilation_rate) != (1, 1):
            raise ValueError(f"SubsampledConv2D: a 1x1 kernel has no dilation; got "
                             f"dilation_rate={self.dilation_rate!r}.")

    def convolution_op(self, inputs, kernel):
        rows, cols = self.strides
        return ops.conv(inputs[:, ::rows, ::cols, :], kernel, strides=1, padding="valid",
                        data_format="channels_last")

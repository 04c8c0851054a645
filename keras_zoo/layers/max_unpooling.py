"""Max pooling that keeps its switches, and the Deconvnet's max unpooling (Zeiler & Fergus,
"Visualizing and Understanding Convolutional Networks", ECCV 2014, section 2.1; SegNet)."""

import keras
import tensorflow as tf
from keras import ops

from keras_zoo.layers._pooling import (
    check_pooling_input,
    int_pair,
    pool_arguments,
    pooled_shape,
    pooling_windows,
)


@keras.saving.register_keras_serializable(package="keras_zoo")
class MaxPoolingWithArgmax(keras.layers.Layer):
    """Max pooling that also returns the "switches": where each maximum came from.

    ``y[b, i, j, c] = max_{(h, w) in R_ij} x[b, h, w, c]`` and
    ``switch[b, i, j, c] = (h* * W + w*) * C + c`` with ``(h*, w*)`` the argmax in the
    unpadded input (the first one on ties): the flat index within one example, the convention
    of ``tf.nn.max_pool_with_argmax(include_batch_in_index=False)``. Built from strided
    slices and ARG_MAX, so it converts to TFLite builtins (``MaxPoolWithArgmax`` does not).

    Returns ``[pooled, switches]`` (float, int32).

    Args:
        pool_size: an int or a pair.
        strides: an int, a pair, or None (= pool_size).
        padding: "valid" or "same".
    """

    def __init__(self, pool_size=2, strides=None, padding="valid", **kwargs):
        super().__init__(**kwargs)
        self.pool_size, self.strides, self.padding = pool_arguments(
            "MaxPoolingWithArgmax", pool_size, strides, padding)

    def build(self, input_shape):
        check_pooling_input("MaxPoolingWithArgmax", input_shape, self.pool_size, self.padding)
        if None in tuple(input_shape[1:]):
            raise ValueError("MaxPoolingWithArgmax: H, W and C must be known, got "
                             f"{tuple(input_shape)}.")

    def call(self, inputs):
        # Padding never wins the max (-inf would turn into NaN in 0 * pad products).
        windows, (top, left) = pooling_windows(inputs, self.pool_size, self.strides,
                                               self.padding, pad_value=-3.0e38)
        pooled = ops.max(windows, axis=-1)
        # keras.ops.argmax emits a BitwiseAnd (its -0.0 handling), which is no TFLite builtin.
        offset = tf.math.argmax(windows, axis=-1, output_type=tf.int32)
        _, out_h, out_w, channels, _ = windows.shape
        width = inputs.shape[2]
        k_w = self.pool_size[1]
        rows = ops.reshape(ops.arange(out_h, dtype="int32") * self.strides[0] - top,
                           (1, out_h, 1, 1))
        cols = ops.reshape(ops.arange(out_w, dtype="int32") * self.strides[1] - left,
                           (1, 1, out_w, 1))
        chans = ops.reshape(ops.arange(channels, dtype="int32"), (1, 1, 1, channels))
        h = rows + ops.floor_divide(offset, k_w)
        w = cols + ops.mod(offset, k_w)
        return [pooled, (h * width + w) * channels + chans]

    def compute_output_shape(self, input_shape):
        shape = pooled_shape(input_shape, self.pool_size, self.strides, self.padding)
        return [shape, shape]

    def compute_output_spec(self, inputs):
        shape = self.compute_output_shape(inputs.shape)[0]
        return [keras.KerasTensor(shape, inputs.dtype), keras.KerasTensor(shape, "int32")]

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "strides": self.strides,
                "padding": self.padding}


@keras.saving.register_keras_serializable(package="keras_zoo")
class MaxUnpooling(keras.layers.Layer):
    """Max unpooling: puts each pooled value back where its maximum came from, zeros elsewhere.

    Zeiler & Fergus, ECCV 2014, section 2.1 ("Unpooling": the switch variables record the
    location of the maxima; the unpooling places the reconstructions into them), also SegNet's
    decoder upsampling. Called on ``[values, switches]`` from ``MaxPoolingWithArgmax``:

    ``y[b].flat[switch[b, i, j, c]] += values[b, i, j, c]``

    (with overlapping windows two pooled units can share a switch; their values are summed,
    which makes unpooling the exact transpose of max pooling's selection, i.e. its gradient).
    Lowers to the TFLite builtin SCATTER_ND.

    Args:
        size: the unpooling factor (int or pair): the output is ``H_out = H_in * size``.
        output_size: ``(H, W)`` of the map before pooling, which ``size`` cannot recover when
            the pooling dropped a border (odd sizes, "valid" padding); overrides ``size``.

    Example:
        >>> x = keras.random.normal((1, 4, 4, 3))
        >>> pooled, switches = MaxPoolingWithArgmax(2)(x)
        >>> MaxUnpooling(2)([pooled, switches]).shape
        TensorShape([1, 4, 4, 3])
    """

    def __init__(self, size=2, output_size=None, **kwargs):
        super().__init__(**kwargs)
        self.size = int_pair("MaxUnpooling", "size", size)
        if output_size is not None:
            output_size = int_pair("MaxUnpooling", "output_size", output_size)
        self.output_size = output_size

    def _target(self, values_shape):
        if self.output_size is not None:
            return self.output_size
        return tuple(None if s is None else s * k
                     for s, k in zip(values_shape[1:3], self.size, strict=True))

    def build(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) != 2 or \
                not isinstance(input_shape[0], (list, tuple)):
            raise ValueError(f"MaxUnpooling: call it on [values, switches], got {input_shape!r}.")
        values, switches = (tuple(s) for s in input_shape)
        if len(values) != 4 or values[1:] != switches[1:]:
            raise ValueError(f"MaxUnpooling: values {values} and switches {switches} must be "
                             "the same [B, H, W, C].")
        if None in values[1:]:
            raise ValueError(f"MaxUnpooling: H, W and C must be known, got {values}.")

    def call(self, inputs):
        values, switches = inputs
        height, width = self._target(values.shape)
        channels = values.shape[-1]
        batch = ops.shape(values)[0]
        per_example = height * width * channels
        flat_values = ops.reshape(values, (-1,))
        example = ops.reshape(ops.arange(batch, dtype="int32") * per_example, (-1, 1, 1, 1))
        indices = ops.reshape(ops.cast(switches, "int32") + example, (-1, 1))
        flat = ops.scatter(indices, flat_values, (batch * per_example,))
        return ops.reshape(flat, (-1, height, width, channels))

    def compute_output_shape(self, input_shape):
        values = input_shape[0]
        return (values[0], *self._target(values), values[3])

    def get_config(self):
        return {**super().get_config(), "size": self.size, "output_size": self.output_size}

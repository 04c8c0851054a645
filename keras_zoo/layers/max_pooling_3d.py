"""3-D max pooling written with 2-D max pooling, so that it converts to TFLite builtins."""

import keras
from keras import ops


def _out_size(n, k, s, padding):
    return -(-n // s) if padding == "same" else (n - k) // s + 1


@keras.saving.register_keras_serializable(package="keras_zoo")
class SeparableMaxPooling3D(keras.layers.Layer):
    """Max pooling over ``(time, height, width)`` windows of ``[B, T, H, W, C]`` inputs.

    The maximum over a box is the maximum over time of the maxima over space, so the layer
    pools each frame with a 2-D max pool and then pools the frames with another: the result
    equals ``keras.layers.MaxPooling3D`` exactly ("same" padding included, since TensorFlow pads
    each axis on its own), and it converts to TFLite's MAX_POOL_2D, while MaxPool3D has no
    TFLite builtin (it needs the Flex delegate, which the LiteRT wheel lacks).

    Args:
        pool_size: ``(t, h, w)`` window.
        strides: ``(t, h, w)`` steps (default: ``pool_size``).
        padding: "valid" or "same".
    """

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", **kwargs):
        super().__init__(**kwargs)
        if padding not in ("valid", "same"):
            raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}.")
        self.pool_size = tuple(int(p) for p in pool_size)
        self.strides = tuple(int(s) for s in (strides or pool_size))
        if len(self.pool_size) != 3 or len(self.strides) != 3:
            raise ValueError(f"pool_size and strides are (t, h, w) triples, got "
                             f"{pool_size} and {strides}.")
        self.padding = padding

    def compute_output_shape(self, input_shape):
        b, *dims, c = input_shape
        out = [_out_size(n, k, s, self.padding)
               for n, k, s in zip(dims, self.pool_size, self.strides, strict=True)]
        return (b, *out, c)

    #: The 2-D pooling applied over space, then over time.
    _pool_2d = staticmethod(ops.max_pool)

    def call(self, inputs):
        _, t, h, w, c = inputs.shape
        (kt, kh, kw), (st, sh, sw) = self.pool_size, self.strides
        _, t2, h2, w2, _ = self.compute_output_shape(inputs.shape)
        x = ops.reshape(inputs, (-1, h, w, c))
        if (kh, kw, sh, sw) != (1, 1, 1, 1):
            x = self._pool_2d(x, (kh, kw), (sh, sw), padding=self.padding)
        x = ops.reshape(x, (-1, t, h2 * w2, c))
        if (kt, st) != (1, 1):
            x = self._pool_2d(x, (kt, 1), (st, 1), padding=self.padding)
        return ops.reshape(x, (-1, t2, h2, w2, c))

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "strides": self.strides,
                "padding": self.padding}

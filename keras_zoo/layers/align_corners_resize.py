"""Bilinear resizing with aligned corners, to a fixed size: PyTorch's
``F.interpolate(x, size, mode="bilinear", align_corners=True)`` and TensorFlow 1's
``resize_bilinear(align_corners=True)``, which DPT's and Depth Anything's released code use
between fusion stages and in the depth head (Keras' ``UpSampling2D`` and ``ops.image.resize``
use half-pixel centres). The corner pixels of input and output coincide: output pixel ``i``
samples the input at ``i * (n_in - 1) / (n_out - 1)``.
"""

from __future__ import annotations

import keras
import numpy as np


def _taps(n_in, n_out):
    """``(lo, hi, frac)``: the two input indices and the weight of ``hi`` for each output."""
    if n_out == 1 or n_in == 1:
        source = np.zeros(n_out, np.float32)
    else:
        # In float32, as TensorFlow's kernel computes the scale and the source coordinate.
        source = np.arange(n_out, dtype=np.float32) * (np.float32(n_in - 1)
                                                      / np.float32(n_out - 1))
    lo = np.minimum(np.floor(source).astype(np.int32), n_in - 1)
    hi = np.minimum(lo + 1, n_in - 1)
    return lo, hi, (source - lo).astype(np.float32)


@keras.saving.register_keras_serializable(package="keras_zoo")
class AlignCornersResize(keras.layers.Layer):
    """Resizes ``[B, H, W, C]`` to ``[B, size[0], size[1], C]`` bilinearly with aligned
    corners, separably: along the width, then along the height (two gathers and a lerp each,
    the order of TensorFlow's kernel: ``top + (bottom - top) * dy`` of the interpolated rows).

    Args:
        size: ``(height, width)`` of the output (an int for a square).
    """

    def __init__(self, size, **kwargs):
        super().__init__(**kwargs)
        size = (size, size) if isinstance(size, (int, np.integer)) else tuple(size)
        if len(size) != 2 or not all(isinstance(s, (int, np.integer)) and s >= 1 for s in size):
            raise ValueError(f"AlignCornersResize: size must be (height, width) of positive "
                             f"ints, got {size!r}.")
        self.size = tuple(int(s) for s in size)

    def build(self, input_shape):
        if len(input_shape) != 4 or None in tuple(input_shape[1:3]):
            raise ValueError(f"AlignCornersResize: expected [batch, height, width, channels] "
                             f"with a known height and width, got {tuple(input_shape)}.")
        self._rows = _taps(input_shape[1], self.size[0])
        self._cols = _taps(input_shape[2], self.size[1])

    @staticmethod
    def _lerp(x, taps, axis):
        lo, hi, frac = taps
        if len(lo) == x.shape[axis] and not frac.any() and (lo == np.arange(len(lo))).all():
            return x  # the same size: the identity
        shape = [1, 1, 1, 1]
        shape[axis] = len(frac)
        a = keras.ops.take(x, lo, axis=axis)
        b = keras.ops.take(x, hi, axis=axis)
        return a + (b - a) * keras.ops.cast(frac.reshape(shape), x.dtype)

    def call(self, inputs):
        x = self._lerp(inputs, self._cols, 2)
        return self._lerp(x, self._rows, 1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.size[0], self.size[1], input_shape[3])

    def get_config(self):
        return {**super().get_config(), "size": self.size}

"""The bilinear-upsampling initialisation of a transposed convolution (Long, Shelhamer &
Darrell, "Fully Convolutional Networks for Semantic Segmentation", CVPR 2015, section 3.3:
"we initialize the 2x upsampling to bilinear interpolation, but allow the parameters to be
learned"; their 32x upsampling stays fixed at bilinear)."""

from __future__ import annotations

import keras
import numpy as np

__all__ = ["BilinearUpsampling", "bilinear_upsampling_kernel"]


def bilinear_upsampling_kernel(kernel_size, out_channels, in_channels, dtype="float32"):
    """A ``Conv2DTranspose`` kernel ``[k, k, out, in]`` that upsamples each channel bilinearly.

    The 1-D filter is FCN's ``upsample_filt``: ``f = ceil(k / 2)``, centre ``f - 1`` (odd k) or
    ``f - 0.5`` (even k), ``w[j] = 1 - |j - centre| / f``; the 2-D filter is its outer product,
    put on the diagonal (channel c feeds only channel c, as in FCN's Caffe surgery). With
    ``k = 2s``, ``strides=s`` and ``padding="same"``, an even factor ``s`` reproduces bilinear
    interpolation with half-pixel centres (``tf.image.resize``) away from the borders.

    Args:
        kernel_size: k (an int).
        out_channels, in_channels: the channels; channels beyond ``min(out, in)`` get zeros.
    """
    if isinstance(kernel_size, (tuple, list)):
        if len(set(kernel_size)) != 1:
            raise ValueError(f"bilinear_upsampling_kernel: the kernel must be square, got "
                             f"{tuple(kernel_size)}.")
        kernel_size = kernel_size[0]
    k = int(kernel_size)
    if k < 1:
        raise ValueError(f"bilinear_upsampling_kernel: kernel_size must be >= 1, got {k}.")
    factor = (k + 1) // 2
    centre = factor - 1 if k % 2 == 1 else factor - 0.5
    grid = np.arange(k)
    filt1d = 1.0 - np.abs(grid - centre) / factor
    filt = np.outer(filt1d, filt1d)
    kernel = np.zeros((k, k, out_channels, in_channels), dtype)
    for c in range(min(out_channels, in_channels)):
        kernel[:, :, c, c] = filt
    return kernel


@keras.saving.register_keras_serializable(package="keras_zoo")
class BilinearUpsampling(keras.initializers.Initializer):
    """Initializer of a ``Conv2DTranspose`` kernel ``[k, k, out, in]`` to per-channel bilinear
    upsampling (``bilinear_upsampling_kernel``).

    Example:
        >>> up = keras.layers.Conv2DTranspose(21, 4, strides=2, padding="same", use_bias=False,
        ...                                   kernel_initializer=BilinearUpsampling())
    """

    def __call__(self, shape, dtype=None):
        if len(shape) != 4 or shape[0] != shape[1]:
            raise ValueError(f"BilinearUpsampling: expected a square Conv2DTranspose kernel "
                             f"[k, k, out, in], got {tuple(shape)}.")
        return keras.ops.convert_to_tensor(
            bilinear_upsampling_kernel(shape[0], shape[2], shape[3]),
            dtype=dtype or "float32")

    def get_config(self):
        return {}

"""Spectral pooling (Rippel, Snoek & Adams, "Spectral Representations for Convolutional Neural
Networks", NeurIPS 2015)."""

import keras
import numpy as np
from keras import ops

from keras_zoo.layers._pooling import int_pair


def truncation_matrix(size, output_size):
    """The complex ``(output_size, size)`` matrix of one axis' DFT -> crop -> inverse DFT.

    ``P[i, n] = 1/size * sum_{k in K} exp(2 pi i k (i / output_size - n / size))`` with ``K``
    the ``output_size`` lowest frequencies ``-(h // 2) .. (h - 1) // 2``.
    """
    frequencies = np.arange(-(output_size // 2), (output_size + 1) // 2)
    out_pos = np.arange(output_size)[:, None, None] / output_size
    in_pos = np.arange(size)[None, :, None] / size
    phase = 2.0 * np.pi * frequencies[None, None, :] * (out_pos - in_pos)
    return np.exp(1j * phase).sum(axis=-1) / size


@keras.saving.register_keras_serializable(package="keras_zoo")
class SpectralPooling2D(keras.layers.Layer):
    """Pooling by truncating the spectrum: keep the lowest frequencies of the 2-D DFT.

    Rippel, Snoek & Adams, NeurIPS 2015, Algorithm 1, per sample and channel:

    ``y = F(x)`` (H x W DFT), ``y_hat`` = the central h x w block of the shifted spectrum
    (frequencies ``-(h//2) .. (h-1)//2`` by ``-(w//2) .. (w-1)//2``),
    ``x_hat = Re(F^{-1}(y_hat)) * (h w) / (H W)``.

    The factor ``h w / (H W)`` keeps the mean (a constant map stays the same constant); taking
    the real part is the paper's conjugate-symmetry treatment of the corner (Nyquist) terms.
    The paper's "frequency dropout" (random extra truncation in training) is not implemented.

    TFLite: FFT2D/IFFT2D are not builtins (and RFFT2D has no inverse builtin), so the
    transform is written as what it is, a linear map per axis: ``x_hat = Re(P_h X P_w^T)``
    with the fixed complex matrices ``P = F_h^{-1} crop F_H``, i.e. two real matrix products
    (BATCH_MATMUL / FULLY_CONNECTED). That costs O(H h W) per channel instead of
    O(H W log(H W)): fine for the small maps where spectral pooling is used.

    Args:
        output_size: ``(h, w)`` or an int, at most the input's H and W (any ratio: the paper's
            point is a non-integer reduction such as 32 -> 23).
    """

    def __init__(self, output_size, **kwargs):
        super().__init__(**kwargs)
        self.output_size = int_pair("SpectralPooling2D", "output_size", output_size)

    def build(self, input_shape):
        if len(input_shape) != 4 or None in tuple(input_shape[1:3]):
            raise ValueError("SpectralPooling2D: input must be [B, H, W, C] with H and W known, "
                             f"got {tuple(input_shape)}.")
        height, width = input_shape[1], input_shape[2]
        h, w = self.output_size
        if h > height or w > width:
            raise ValueError(f"SpectralPooling2D: output_size {self.output_size} is larger than "
                             f"the input's {(height, width)}.")
        p_h, p_w = truncation_matrix(height, h), truncation_matrix(width, w)
        # Re(P_h X P_w^T) = [Re P_h; Im P_h] X, then [Re P_w, -Im P_w] on the stacked halves.
        self._rows = np.concatenate([p_h.real, p_h.imag], axis=0).astype("float32")
        self._cols = np.concatenate([p_w.real, -p_w.imag], axis=1).astype("float32")

    def call(self, inputs):
        rows = ops.convert_to_tensor(self._rows, inputs.dtype)
        cols = ops.convert_to_tensor(self._cols, inputs.dtype)
        h = self.output_size[0]
        stacked = ops.einsum("ih,bhwc->biwc", rows, inputs)
        halves = ops.concatenate([stacked[:, :h], stacked[:, h:]], axis=2)
        return ops.einsum("jv,bivc->bijc", cols, halves)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self.output_size, input_shape[3])

    def get_config(self):
        return {**super().get_config(), "output_size": self.output_size}

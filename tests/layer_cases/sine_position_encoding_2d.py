"""Cases for DETR's 2-D sine position encoding (Carion et al. 2020, appendix A.4).

The reference follows the formula with explicit loops over rows, columns and feature pairs:
``PE_y(i, 2k) = sin(y_i / T^(2k/F))``, ``PE_y(i, 2k+1) = cos(y_i / T^(2k/F))`` with
``y_i = (i + 1) / H * 2 pi`` (normalised), the same for ``x``, ``[PE_y, PE_x]`` along channels.
"""

import dataclasses
import math

import keras
import numpy as np

from keras_zoo.layers import SinePositionEncoding2D
from tests.layer_harness import LayerCase


@dataclasses.dataclass
class AddedSineCase(LayerCase):
    """The layer returns the encoding and the caller adds it: the case checks ``x + PE(x)``."""

    def call(self, layer, inputs, **kwargs):
        x = inputs[0]
        return keras.layers.Add()([x, layer(x, **{**self.call_kwargs, **kwargs})])


def sine_2d_reference(layer, inputs, temperature=10000.0, normalize=True):
    (x,) = inputs
    _, h, w, d = x.shape
    f = d // 2
    pe = np.zeros((h, w, d))
    for i in range(h):
        for j in range(w):
            y_pos, x_pos = float(i + 1), float(j + 1)
            if normalize:
                y_pos, x_pos = y_pos / h * 2 * math.pi, x_pos / w * 2 * math.pi
            for k in range(0, f, 2):
                wavelength = temperature ** (k / f)  # 2 * (k // 2) / F with k even
                pe[i, j, k] = math.sin(y_pos / wavelength)
                pe[i, j, f + k] = math.sin(x_pos / wavelength)
                if k + 1 < f:
                    pe[i, j, k + 1] = math.cos(y_pos / wavelength)
                    pe[i, j, f + k + 1] = math.cos(x_pos / wavelength)
    return x + pe[None]


CASES = [
    AddedSineCase(
        id="sine_2d_detr_d256_25x38",
        layer_class=SinePositionEncoding2D,
        make=lambda: SinePositionEncoding2D(),
        inputs=lambda rng: [rng.normal(size=(2, 25, 38, 256)).astype(np.float32)],
        reference=sine_2d_reference,
    ),
    AddedSineCase(
        # F = 3 features per coordinate (odd): the last pair has a sine only.
        id="sine_2d_unnormalised_d6_small_temperature",
        layer_class=SinePositionEncoding2D,
        make=lambda: SinePositionEncoding2D(temperature=20.0, normalize=False),
        inputs=lambda rng: [rng.normal(size=(1, 4, 5, 6)).astype(np.float32)],
        reference=lambda layer, inputs: sine_2d_reference(layer, inputs, 20.0, False),
    ),
]

"""NeRF's positional encoding (Mildenhall et al., "NeRF: Representing Scenes as Neural Radiance
Fields for View Synthesis", ECCV 2020, section 5.1, equation 4)."""

from __future__ import annotations

import math

import keras
import numpy as np


@keras.saving.register_keras_serializable(package="keras_zoo")
class NeRFPositionalEncoding(keras.layers.Layer):
    """gamma(p) = (sin(2^0 pi p), cos(2^0 pi p), ..., sin(2^(L-1) pi p), cos(2^(L-1) pi p)),
    applied to each coordinate of ``p`` separately (NeRF, equation 4): a ``[..., D]`` input gives
    ``[..., 2 L D]`` features, ordered frequency by frequency, ``[sin(2^k pi p), cos(2^k pi p)]``
    (each over the D coordinates). The paper uses L = 10 for positions and L = 4 for viewing
    directions (60 and 24 features for D = 3).

    The paper's formula has no identity term; the authors' code prepends ``p`` itself and drops
    the ``pi``. ``include_input=True`` prepends ``p`` (D more features); the ``pi`` stays, as in
    the paper.

    Args:
        frequencies: L, the number of octaves.
        include_input: whether to prepend ``p`` to the encoding.

    Example:
        >>> NeRFPositionalEncoding(10)(keras.random.uniform((4, 3))).shape
        TensorShape([4, 60])
    """

    def __init__(self, frequencies=10, include_input=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(frequencies, bool) or not isinstance(frequencies, (int, np.integer)) or (
                frequencies < 1):
            raise ValueError(f"NeRFPositionalEncoding: frequencies must be a positive int, got "
                             f"{frequencies!r}.")
        self.frequencies = int(frequencies)
        self.include_input = bool(include_input)

    def call(self, inputs):
        # One multiplication by the [D, L*D]-shaped block-diagonal frequency matrix would also do,
        # but the broadcast product keeps the float32 angles exactly 2^k * pi * p.
        parts = [inputs] if self.include_input else []
        for k in range(self.frequencies):
            angles = inputs * (2.0 ** k * math.pi)
            parts += [keras.ops.sin(angles), keras.ops.cos(angles)]
        return keras.ops.concatenate(parts, axis=-1)

    def compute_output_shape(self, input_shape):
        depth = input_shape[-1]
        width = None if depth is None else depth * (2 * self.frequencies
                                                    + int(self.include_input))
        return (*input_shape[:-1], width)

    def get_config(self):
        return {**super().get_config(), "frequencies": self.frequencies,
                "include_input": self.include_input}

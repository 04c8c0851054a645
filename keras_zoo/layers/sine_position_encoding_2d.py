"""The 2-D sine position encoding of DETR (Carion et al., End-to-End Object Detection with
Transformers, ECCV 2020, section 3.2 and appendix A.4): the Transformer's sinusoids (Vaswani et
al. 2017, 3.5) applied to each spatial coordinate of a feature map, the ``y`` half and the ``x``
half concatenated into ``d`` channels.
"""

from __future__ import annotations

import math

import keras
import numpy as np

__all__ = ["sine_position_encoding_2d"]


def sine_position_encoding_2d(height, width, depth, temperature=10000.0, normalize=True,
                              scale=2.0 * math.pi) -> np.ndarray:
    """The ``[height, width, depth]`` float32 table of DETR's sine encoding.

    With ``F = depth / 2`` features per coordinate, row ``i`` and column ``j`` (counted from 1,
    and with ``normalize`` divided by ``height`` or ``width`` and multiplied by ``scale``, so
    that the range is the same for every feature-map size)::

        PE_y(i, 2k) = sin(y_i / T^(2k/F)),  PE_y(i, 2k+1) = cos(y_i / T^(2k/F))
        PE = [PE_y, PE_x]   (y first, then x, along the channels)

    Computed in float64 and rounded once.

    Args:
        height, width: the feature map's size.
        depth: the number of channels ``d``; even (half for each coordinate).
        temperature: ``T``, the base of the geometric progression of wavelengths (10000).
        normalize: divide the positions by the map's extent (DETR does).
        scale: the normalised positions' range (``2 pi``).
    """
    for arg, value in (("height", height), ("width", width), ("depth", depth)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
            raise ValueError(f"sine_position_encoding_2d: {arg} must be a positive int, "
                             f"got {value!r}.")
    if depth % 2:
        raise ValueError(f"sine_position_encoding_2d: depth must be even (half for y, half for "
                         f"x), got {depth}.")
    if not float(temperature) > 1.0:
        raise ValueError(f"sine_position_encoding_2d: temperature must be > 1, "
                         f"got {temperature!r}.")
    features = depth // 2
    y = np.arange(1, height + 1, dtype=np.float64)
    x = np.arange(1, width + 1, dtype=np.float64)
    if normalize:
        # DETR's epsilon keeps the division safe for masked (all-padding) rows.
        y = y / (height + 1e-6) * scale
        x = x / (width + 1e-6) * scale
    wavelengths = float(temperature) ** (2.0 * (np.arange(features) // 2) / features)
    even = np.arange(features) % 2 == 0

    def encode(positions):
        angles = positions[:, None] / wavelengths[None, :]
        return np.where(even[None, :], np.sin(angles), np.cos(angles))

    pe_y = np.broadcast_to(encode(y)[:, None, :], (height, width, features))
    pe_x = np.broadcast_to(encode(x)[None, :, :], (height, width, features))
    return np.concatenate([pe_y, pe_x], axis=-1).astype(np.float32)


@keras.saving.register_keras_serializable(package="keras_zoo")
class SinePositionEncoding2D(keras.layers.Layer):
    """DETR's fixed 2-D sine position encoding (Carion et al. 2020, appendix A.4).

    Called on a feature map ``[B, H, W, d]``, returns the encoding broadcast to ``[B, H, W, d]``
    (see ``sine_position_encoding_2d``); the caller adds it where the model needs it (DETR adds
    it to the queries and keys of every attention layer, not to the values). It has no weights;
    ``H``, ``W`` and ``d`` must be static (the table is a constant), ``d`` even.

    Args:
        temperature: the base of the wavelengths' geometric progression (10000).
        normalize: divide positions by the map's extent and multiply by ``scale`` (DETR: True).
        scale: the normalised positions' range (``2 pi``).

    Example:
        >>> features = keras.Input((20, 30, 256))
        >>> pos = SinePositionEncoding2D()(features)   # [B, 20, 30, 256]
    """

    def __init__(self, temperature=10000.0, normalize=True, scale=2.0 * math.pi, **kwargs):
        super().__init__(**kwargs)
        if not float(temperature) > 1.0:
            raise ValueError(f"SinePositionEncoding2D: temperature must be > 1, "
                             f"got {temperature!r}.")
        if not float(scale) > 0.0:
            raise ValueError(f"SinePositionEncoding2D: scale must be > 0, got {scale!r}.")
        self.temperature = float(temperature)
        self.normalize = bool(normalize)
        self.scale = float(scale)

    def build(self, input_shape):
        if len(input_shape) != 4 or any(s is None for s in input_shape[1:]):
            raise ValueError("SinePositionEncoding2D: expected inputs [batch, height, width, "
                             f"depth] with static height, width and depth, got shape "
                             f"{tuple(input_shape)}.")
        if input_shape[-1] % 2:
            raise ValueError(f"SinePositionEncoding2D: depth must be even, got "
                             f"{input_shape[-1]}.")
        self.built = True

    def call(self, inputs):
        _, h, w, d = inputs.shape
        table = keras.ops.convert_to_tensor(sine_position_encoding_2d(
            h, w, d, self.temperature, self.normalize, self.scale))
        table = keras.ops.cast(table, inputs.dtype)
        return keras.ops.broadcast_to(table[None], keras.ops.shape(inputs))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "temperature": self.temperature,
                "normalize": self.normalize, "scale": self.scale}

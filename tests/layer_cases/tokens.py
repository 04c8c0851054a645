"""Cases for the token layers: sinusoidal and learned position encodings, ViT patch embedding.

References are written from the papers' formulas (Vaswani et al. 2017 section 3.5; ViT eq. 1),
with explicit loops where the formula is indexed, and only read the layers' weights.
"""

import dataclasses

import keras
import numpy as np

from keras_zoo.layers import LearnedPositionEmbedding, PatchEmbedding, SinusoidalPositionEncoding
from tests.layer_harness import LayerCase


@dataclasses.dataclass
class AddedEncodingCase(LayerCase):
    """Position encodings return the encoding and the caller adds it: the case checks
    ``x + encoding(x)``, the way every model uses them (and the way gradients reach x)."""

    def call(self, layer, inputs, **kwargs):
        x = inputs[0]
        return keras.layers.Add()([x, layer(x, **{**self.call_kwargs, **kwargs})])


def sinusoidal_reference(layer, inputs, base=10000.0):
    # PE(pos, 2i) = sin(pos / 10000^(2i/d)), PE(pos, 2i+1) = cos(pos / 10000^(2i/d)).
    (x,) = inputs
    length, d = x.shape[1], x.shape[2]
    pe = np.zeros((length, d))
    for pos in range(length):
        for i in range((d + 1) // 2):
            angle = pos / base ** (2 * i / d)
            pe[pos, 2 * i] = np.sin(angle)
            if 2 * i + 1 < d:
                pe[pos, 2 * i + 1] = np.cos(angle)
    return x + pe[None]


def learned_reference(layer, inputs):
    (x,) = inputs
    (table,) = layer.get_weights()
    return x + table[None, :x.shape[1]]


def patch_embedding_reference(layer, inputs):
    # z_0 = [x_class; x_dist; x_p^1 E; ...; x_p^N E] + E_pos, patches in row-major order and
    # each patch flattened as (row, column, channel), the order of a PxPxC convolution kernel.
    (images,) = inputs
    weights = layer.get_weights()  # own variables first, then the projection's
    own = {v.path.split("/")[-1]: np.asarray(v) for v in layer._trainable_variables}
    kernel, bias = np.asarray(layer.projection.kernel), np.asarray(layer.projection.bias)
    assert len(weights) == len(own) + 2
    ph, pw = layer.patch_size
    b, h, w, c = images.shape
    e = kernel.reshape(ph * pw * c, -1)
    rows = []
    for r in range(h // ph):
        for q in range(w // pw):
            patch = images[:, r * ph:(r + 1) * ph, q * pw:(q + 1) * pw, :].reshape(b, -1)
            rows.append(patch @ e + bias)
    z = np.stack(rows, axis=1)
    prefix = [np.repeat(own[k], b, axis=0) for k in ("class_token", "distillation_token")
              if k in own]
    z = np.concatenate(prefix + [z], axis=1)
    if "position_embedding" in own:
        z = z + own["position_embedding"][None]
    return z


CASES = [
    AddedEncodingCase(
        id="sinusoidal_d512_positions_0_99",
        layer_class=SinusoidalPositionEncoding,
        make=lambda: SinusoidalPositionEncoding(),
        inputs=lambda rng: [rng.normal(size=(2, 100, 512)).astype(np.float32)],
        reference=sinusoidal_reference,
    ),
    AddedEncodingCase(
        id="sinusoidal_odd_depth_small_base",
        layer_class=SinusoidalPositionEncoding,
        make=lambda: SinusoidalPositionEncoding(max_wavelength=100.0),
        inputs=lambda rng: [rng.normal(size=(1, 7, 5)).astype(np.float32)],
        reference=lambda layer, x: sinusoidal_reference(layer, x, base=100.0),
    ),
    AddedEncodingCase(
        id="learned_position_embedding",
        layer_class=LearnedPositionEmbedding,
        make=lambda: LearnedPositionEmbedding(sequence_length=12),
        inputs=lambda rng: [rng.normal(size=(3, 9, 6)).astype(np.float32)],
        reference=learned_reference,
    ),
    LayerCase(
        id="patch_embedding_vit",
        layer_class=PatchEmbedding,
        make=lambda: PatchEmbedding(4, 8),
        inputs=lambda rng: [rng.uniform(size=(2, 12, 8, 3)).astype(np.float32)],
        reference=patch_embedding_reference,
    ),
    LayerCase(
        id="patch_embedding_deit_rectangular",
        layer_class=PatchEmbedding,
        make=lambda: PatchEmbedding((2, 3), 5, distillation_token=True),
        inputs=lambda rng: [rng.uniform(size=(2, 4, 9, 2)).astype(np.float32)],
        reference=patch_embedding_reference,
    ),
    LayerCase(
        id="patch_embedding_plain",
        layer_class=PatchEmbedding,
        make=lambda: PatchEmbedding(2, 6, class_token=False, position_embedding=False),
        inputs=lambda rng: [rng.uniform(size=(1, 4, 4, 3)).astype(np.float32)],
        reference=patch_embedding_reference,
    ),
]

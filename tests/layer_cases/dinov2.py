"""Cases for the layers of Depth Anything's DINOv2 encoder and DPT decoder: LayerScale (CaiT
eq. 4), register tokens (Darcet et al. 2024, section 2.2) and bilinear resizing with aligned
corners (PyTorch's ``align_corners=True``).

The resize reference is written per output pixel from its definition: pixel ``i`` of ``n_out``
samples the input at ``i * (n_in - 1) / (n_out - 1)``, bilinearly between the two neighbours.
"""

import numpy as np

from keras_zoo.layers import AlignCornersResize, LayerScale, RegisterTokens
from tests.layer_harness import LayerCase


def layer_scale_reference(layer, inputs):
    (x,) = inputs
    (scale,) = layer.get_weights()
    return x * scale


def register_tokens_reference(layer, inputs):
    (x,) = inputs
    (tokens,) = layer.get_weights()
    registers = np.repeat(tokens, x.shape[0], axis=0)
    return np.concatenate([x[:, :layer.after], registers, x[:, layer.after:]], axis=1)


def align_corners_reference(layer, inputs):
    (x,) = inputs
    b, h, w, c = x.shape
    rows, cols = layer.size
    out = np.zeros((b, rows, cols, c))

    def source(i, n_in, n_out):
        s = 0.0 if n_out == 1 else i * (n_in - 1) / (n_out - 1)
        lo = min(int(np.floor(s)), n_in - 1)
        return lo, min(lo + 1, n_in - 1), s - lo

    for i in range(rows):
        r0, r1, dr = source(i, h, rows)
        for j in range(cols):
            c0, c1, dc = source(j, w, cols)
            top = x[:, r0, c0] * (1 - dc) + x[:, r0, c1] * dc
            bottom = x[:, r1, c0] * (1 - dc) + x[:, r1, c1] * dc
            out[:, i, j] = top * (1 - dr) + bottom * dr
    return out


CASES = [
    LayerCase(
        id="layer_scale",
        layer_class=LayerScale,
        make=lambda: LayerScale(0.1),
        inputs=lambda rng: [rng.normal(size=(2, 5, 6)).astype(np.float32)],
        reference=layer_scale_reference,
    ),
    LayerCase(
        id="register_tokens_after_class_token",
        layer_class=RegisterTokens,
        make=lambda: RegisterTokens(3),
        inputs=lambda rng: [rng.normal(size=(2, 5, 4)).astype(np.float32)],
        reference=register_tokens_reference,
    ),
    LayerCase(
        id="align_corners_resize_odd_up",
        layer_class=AlignCornersResize,
        make=lambda: AlignCornersResize((7, 12)),
        inputs=lambda rng: [rng.normal(size=(2, 4, 5, 3)).astype(np.float32)],
        reference=align_corners_reference,
    ),
    LayerCase(
        id="align_corners_resize_down_and_same",
        layer_class=AlignCornersResize,
        make=lambda: AlignCornersResize((3, 6)),
        inputs=lambda rng: [rng.normal(size=(1, 8, 6, 2)).astype(np.float32)],
        reference=align_corners_reference,
    ),
]

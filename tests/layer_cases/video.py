"""Cases for the video layers: 3-D max pooling as two 2-D poolings (exact)."""

import itertools

import numpy as np

from keras_zoo.layers import SeparableAveragePooling3D, SeparableMaxPooling3D
from tests.layer_harness import LayerCase


def pool_3d_reference(layer, inputs, reduce):
    """``reduce`` over each ``(t, h, w)`` window's valid entries, padding as TensorFlow's SAME
    (the extra pad at the end)."""
    (x,) = inputs
    _, *dims, c = x.shape
    out_dims, starts = [], []
    for n, k, s in zip(dims, layer.pool_size, layer.strides, strict=True):
        out = -(-n // s) if layer.padding == "same" else (n - k) // s + 1
        pad = max((out - 1) * s + k - n, 0) if layer.padding == "same" else 0
        out_dims.append(out)
        starts.append([i * s - pad // 2 for i in range(out)])
    result = np.empty((x.shape[0], *out_dims, c))
    for idx in itertools.product(*(range(o) for o in out_dims)):
        window = tuple(slice(max(st[i], 0), min(st[i] + k, n))
                       for st, i, k, n in zip(starts, idx, layer.pool_size, dims, strict=True))
        result[(slice(None), *idx)] = reduce(x[(slice(None), *window)], axis=(1, 2, 3))
    return result


CASES = [
    LayerCase(
        id=f"separable_max_pooling_3d_{name}",
        layer_class=SeparableMaxPooling3D,
        make=lambda p=pool, s=strides, pad=padding: SeparableMaxPooling3D(p, s, pad),
        inputs=lambda rng: [rng.normal(size=(2, 5, 7, 6, 3)).astype(np.float32)],
        reference=lambda layer, inputs: pool_3d_reference(layer, inputs, np.max),
    )
    for name, pool, strides, padding in (("valid", (2, 2, 2), (2, 2, 2), "valid"),
                                         ("spatial_only", (1, 2, 2), (1, 2, 2), "valid"),
                                         ("same_overlapping", (3, 3, 3), (2, 2, 2), "same"))
]
CASES += [
    LayerCase(
        id=f"separable_average_pooling_3d_{name}",
        layer_class=SeparableAveragePooling3D,
        make=lambda p=pool, s=strides, pad=padding: SeparableAveragePooling3D(p, s, pad),
        inputs=lambda rng: [rng.normal(size=(2, 5, 7, 6, 3)).astype(np.float32)],
        reference=lambda layer, inputs: pool_3d_reference(layer, inputs, np.mean),
    )
    for name, pool, strides, padding in (("valid", (2, 2, 2), (2, 2, 2), "valid"),
                                         ("same_overlapping", (3, 3, 3), (2, 1, 2), "same"))
]

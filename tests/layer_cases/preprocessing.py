"""Cases for ChannelAffine, the preprocessing of pretrained weights inside a model."""

import numpy as np

from keras_zoo.layers import ChannelAffine
from tests.layer_harness import LayerCase


def channel_affine_reference(layer, inputs):
    # y[..., j] = sum_i x[..., i] * matrix[i, j] + offset[j], written as explicit loops.
    (x,) = inputs
    matrix, offset = layer.get_weights()
    out = np.zeros(x.shape[:-1] + (matrix.shape[1],), "float64")
    for j in range(matrix.shape[1]):
        out[..., j] = offset[j]
        for i in range(matrix.shape[0]):
            out[..., j] += x[..., i] * matrix[i, j]
    return out


def _caffe_like():
    # BGR order, 255 x less a mean: a permutation times a scale, plus an offset.
    layer = ChannelAffine(channels=3)
    layer.build((None, 3))
    layer.set_weights([np.array([[0, 0, 255.0], [0, 255.0, 0], [255.0, 0, 0]], "float32"),
                       np.array([-103.939, -116.779, -123.68], "float32")])
    return layer


CASES = [
    LayerCase(
        id="channel_affine_caffe",
        layer_class=ChannelAffine,
        make=_caffe_like,
        inputs=lambda rng: [rng.random((2, 4, 5, 3)).astype(np.float32)],
        reference=channel_affine_reference,
        atol=1e-4,
    ),
]

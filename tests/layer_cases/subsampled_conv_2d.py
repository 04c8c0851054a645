"""Cases for SubsampledConv2D, the strided 1x1 convolution computed as a subsampling and a
stride-1 convolution, against the definition of a strided 1x1 convolution: each output pixel
is the input pixel at (i * s_rows, j * s_cols) times the kernel's matrix, plus the bias."""

import numpy as np

from keras_zoo.layers import SubsampledConv2D
from tests.layer_harness import LayerCase


def strided_pointwise_reference(layer, inputs):
    """out[b, i, j] = x[b, i * s_rows, j * s_cols] @ W + bias, for every (i, j) whose pixel
    lies in the input (the ceil(H / s) x ceil(W / s) output of both paddings)."""
    (x,) = inputs
    x = x.astype(np.float64)
    kernel = np.asarray(layer.kernel, np.float64)[0, 0]
    rows, cols = layer.strides
    out = np.stack([np.stack([x[:, i, j] @ kernel for j in range(0, x.shape[2], cols)], axis=1)
                    for i in range(0, x.shape[1], rows)], axis=1)
    if layer.use_bias:
        out = out + np.asarray(layer.bias, np.float64)
    return out


# The first is the shape whose filter gradient corrupts the heap through keras.layers.Conv2D
# (an odd batch, 4 channels, a stride dividing 10x10): the battery's gradient check then runs
# through the subsampling. The second: unequal strides, sides they do not divide, "same".
CASES = [
    LayerCase(
        id=f"subsampled_conv_2d_{name}",
        layer_class=SubsampledConv2D,
        make=lambda s=strides, p=padding, b=bias: SubsampledConv2D(
            5, 1, strides=s, padding=p, use_bias=b, kernel_initializer="random_normal",
            bias_initializer="random_normal"),
        inputs=lambda rng, shape=shape: [rng.normal(size=shape).astype(np.float32)],
        reference=strided_pointwise_reference,
        atol=1e-5,
    )
    for name, strides, padding, bias, shape in (
        ("odd_batch_4_channels", 2, "valid", True, (3, 10, 10, 4)),
        ("unequal_strides_same", (3, 2), "same", False, (1, 7, 9, 3)))
]

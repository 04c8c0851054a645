"""Shift-and-stitch (Long, Shelhamer & Darrell, CVPR 2015, section 3.2; Sermanet et al.,
OverFeat, 2014): a network with output stride f evaluated on the f^2 inputs shifted by
(dx, dy) in {0..f-1}^2, its outputs interlaced, gives an output at every input pixel. The
paper shows it equals the "filter rarefaction" trick: every subsampling set to stride 1 and
each later filter dilated by the product of the strides before it (a trous), which
``dense_evaluation`` computes directly.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf


def output_stride(model):
    """The product of the strides of a chain of Conv2D / pooling layers."""
    stride = 1
    for layer in model.layers:
        strides = getattr(layer, "strides", None)
        if strides is not None:
            if strides[0] != strides[1]:
                raise ValueError(f"output_stride: layer {layer.name} has unequal strides "
                                 f"{strides}.")
            stride *= strides[0]
    return stride


def shift_and_stitch(model, images, stride=None):
    """The dense output ``[B, H, W, K]`` of a fully convolutional ``model`` of output stride f
    (``stride``, default ``output_stride(model)``): output (f i + dy, f j + dx) is output (i, j)
    of the input shifted up by dy and left by dx (zeros enter at the bottom and right).

    Args:
        model: a model taking images of any size (or of ``images``' size).
        images: float ``[B, H, W, C]``, H and W multiples of f.
        stride: f.
    """
    stride = stride or output_stride(model)
    images = np.asarray(images, np.float32)
    b, h, w, _ = images.shape
    if h % stride or w % stride:
        raise ValueError(f"shift_and_stitch: image size {(h, w)} must be a multiple of the "
                         f"stride {stride}.")
    padded = np.pad(images, [[0, 0], [0, stride], [0, stride], [0, 0]])
    out = None
    for dy in range(stride):
        for dx in range(stride):
            part = np.asarray(model(padded[:, dy:dy + h, dx:dx + w], training=False))
            if out is None:
                out = np.zeros((b, part.shape[1] * stride, part.shape[2] * stride,
                                part.shape[3]), np.float32)
            out[:, dy::stride, dx::stride] = part
    return out


def dense_evaluation(model, images):
    """The same chain of layers evaluated at stride 1 (section 3.2's filter rarefaction):
    every stride becomes 1 and every later kernel and pooling window is dilated by the product
    of the strides before it. For chains of "valid" Conv2D, MaxPooling2D and
    AveragePooling2D layers (activations applied as the layers' own).

    Returns ``[B, H - r + 1, W - r + 1, K]`` for a receptive field r: output (y, x) sees the
    window whose top-left corner is input (y, x).
    """
    x = tf.convert_to_tensor(np.asarray(images, np.float32))
    dilation = 1
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        padding = getattr(layer, "padding", "valid")
        if padding != "valid":
            raise ValueError(f"dense_evaluation: layer {layer.name} has padding {padding!r}; "
                             "only 'valid' layers keep the shift equivalence at the borders.")
        if isinstance(layer, keras.layers.Conv2D):
            if tuple(layer.dilation_rate) != (1, 1):
                raise ValueError(f"dense_evaluation: {layer.name} is already dilated.")
            x = tf.nn.conv2d(x, layer.kernel, strides=1, padding="VALID",
                             dilations=dilation)
            if layer.use_bias:
                x = x + layer.bias
            x = layer.activation(x)
            dilation *= layer.strides[0]
        elif isinstance(layer, (keras.layers.MaxPooling2D, keras.layers.AveragePooling2D)):
            kind = "MAX" if isinstance(layer, keras.layers.MaxPooling2D) else "AVG"
            x = tf.nn.pool(x, layer.pool_size, kind, strides=(1, 1), padding="VALID",
                           dilations=(dilation, dilation))
            dilation *= layer.strides[0]
        elif isinstance(layer, (keras.layers.ReLU, keras.layers.Activation)):
            x = layer(x)
        else:
            raise ValueError(f"dense_evaluation: layer {layer.name} ({type(layer).__name__}) is "
                             "not a Conv2D, pooling or activation layer.")
    return np.asarray(x)

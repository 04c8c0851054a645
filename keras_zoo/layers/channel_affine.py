"""The input preprocessing of pretrained weights, as one layer inside the model.

Every source of pretrained weights expects its own input: caffe-style BGR images in [0, 255]
less the ImageNet mean (keras.applications' ResNet50, VGG), [-1, 1] (MobileNet, Inception v3,
ResNet v2, ViT), ImageNet-standardised RGB (DenseNet, torchvision), or whatever a keras-hub
image converter's ``scale``/``offset`` say. All of them are a per-pixel affine map of the
colour channels of keras-zoo's float images in [0, 1]: ``y = x @ matrix + offset``, with a
permutation in ``matrix`` for the BGR ones. The map is held as (non-trainable) weights, so a
``.weights.h5`` file converted once carries the preprocessing its weights were trained with.
"""

from __future__ import annotations

import keras


@keras.saving.register_keras_serializable(package="keras_zoo")
class ChannelAffine(keras.layers.Layer):
    """``y[..., j] = sum_i x[..., i] * matrix[i, j] + offset[j]`` on the last axis.

    Both weights are non-trainable: they are data of the pretrained weights, not parameters to
    learn. Until weights are loaded the map is the identity.

    Args:
        channels: the number of channels C (3 for RGB); ``matrix`` is C x C, ``offset`` C.
    """

    def __init__(self, channels=3, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(channels, int) or isinstance(channels, bool) or channels < 1:
            raise ValueError(f"ChannelAffine: channels must be a positive int, got {channels!r}.")
        self.channels = channels
        self.matrix = self.add_weight(shape=(channels, channels), initializer="identity",
                                      trainable=False, name="matrix")
        self.offset = self.add_weight(shape=(channels,), initializer="zeros", trainable=False,
                                      name="offset")

    def build(self, input_shape):
        if input_shape[-1] != self.channels:
            raise ValueError(f"ChannelAffine: expected {self.channels} channels on the last "
                             f"axis, got input shape {tuple(input_shape)}.")

    def call(self, inputs):
        x = keras.ops.cast(inputs, self.compute_dtype)
        return keras.ops.matmul(x, self.matrix) + self.offset

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "channels": self.channels}


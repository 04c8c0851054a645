"""Patch merging of the Swin Transformer (Liu et al., Swin Transformer: Hierarchical Vision
Transformer using Shifted Windows, ICCV 2021, section 3.1)."""

from __future__ import annotations

import keras


@keras.saving.register_keras_serializable(package="keras_zoo")
class PatchMerging(keras.layers.Layer):
    """Halves the resolution and doubles the width: ``[B, H, W, C]`` -> ``[B, H/2, W/2, 2C]``.

    "The first patch merging layer concatenates the features of each group of 2x2 neighboring
    patches, and applies a linear layer on the 4C-dimensional concatenated features" (section
    3.1): ``y = LN([x(2i,2j), x(2i+1,2j), x(2i,2j+1), x(2i+1,2j+1)]) W``, ``W`` 4C x 2C without
    bias, LayerNorm before the reduction (the paper's code; the concatenation order is its too).

    Args:
        epsilon: the LayerNormalization epsilon (1e-5, PyTorch's default used by Swin).
    """

    def __init__(self, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)
        self.norm = keras.layers.LayerNormalization(epsilon=self.epsilon, name="norm")
        # Sized in build(): the output width 2C follows the input's channels.
        self.reduction = keras.layers.Dense(1, use_bias=False, name="reduction")

    def build(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError(f"PatchMerging: expected [batch, height, width, channels], got "
                             f"{tuple(input_shape)}.")
        _, height, width, channels = input_shape
        for axis, size in (("height", height), ("width", width)):
            if size is None or size % 2:
                raise ValueError(f"PatchMerging: the feature map {axis} {size} must be even "
                                 "(2x2 neighbouring patches are merged).")
        self.reduction.units = 2 * channels
        merged = (input_shape[0], height // 2, width // 2, 4 * channels)
        self.norm.build(merged)
        self.reduction.build(merged)

    def call(self, inputs):
        x = keras.ops.concatenate([inputs[:, 0::2, 0::2], inputs[:, 1::2, 0::2],
                                   inputs[:, 0::2, 1::2], inputs[:, 1::2, 1::2]], axis=-1)
        return self.reduction(self.norm(x))

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = input_shape
        return (batch, height // 2, width // 2, 2 * channels)

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}

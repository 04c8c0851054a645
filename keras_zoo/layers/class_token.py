"""A learnable class token (Devlin et al. 2019's [CLS]; ViT, Dosovitskiy et al. 2021; CvT, Wu et
al. 2021, where it joins only the last stage)."""

from __future__ import annotations

import keras


def _positions(shape):
    # The number of positions between the batch and the last axis, statically.
    count = 1
    for size in shape[1:-1]:
        if size is None:
            return -1
        count *= size
    return count


@keras.saving.register_keras_serializable(package="keras_zoo")
class ClassToken(keras.layers.Layer):
    """Returns a learnable ``[1, 1, D]`` token broadcast to ``[B, 1, D]``, for a model that
    carries it beside a token map (CvT's last stage) rather than inside a patch sequence
    (``PatchEmbedding`` does that for ViT).

    Called on any tensor ``x`` of shape ``[B, ..., D]``: only its batch size and last axis are
    used.

    Args:
        initializer: the token's initializer (truncated normal, stddev 0.02).
    """

    def __init__(self, initializer=None, **kwargs):
        super().__init__(**kwargs)
        self.initializer = keras.initializers.get(
            initializer or keras.initializers.TruncatedNormal(stddev=0.02))

    def build(self, input_shape):
        if input_shape[-1] is None:
            raise ValueError(f"ClassToken: the last axis must be known, got {tuple(input_shape)}.")
        self.token = self.add_weight(shape=(1, 1, input_shape[-1]), initializer=self.initializer,
                                     name="token")

    def call(self, inputs):
        # Adding zeros of the batch's shape broadcasts with builtin TFLite ops, any batch size.
        positions = _positions(inputs.shape)
        if positions == -1:
            flat = keras.ops.reshape(inputs, (keras.ops.shape(inputs)[0], -1, inputs.shape[-1]))
        else:
            flat = keras.ops.reshape(inputs, (-1, positions, inputs.shape[-1]))
        first = flat[:, :1]
        return keras.ops.cast(self.token, inputs.dtype) + keras.ops.zeros_like(first)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 1, input_shape[-1])

    def get_config(self):
        return {**super().get_config(),
                "initializer": keras.initializers.serialize(self.initializer)}

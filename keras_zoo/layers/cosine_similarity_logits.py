"""Cosine similarities scaled by a learned temperature (CLIP: Radford et al., Learning
Transferable Visual Models From Natural Language Supervision, ICML 2021, Figure 3 and section
2.5: "the temperature parameter which controls the range of the logits in the softmax, tau, is
directly optimized during training as a log-parameterized multiplicative scalar")."""

from __future__ import annotations

import math

import keras


@keras.saving.register_keras_serializable(package="keras_zoo")
class CosineSimilarityLogits(keras.layers.Layer):
    """``[a, b]`` (``[N, D]`` and ``[M, D]``) -> ``exp(t) * normalize(a) @ normalize(b)^T``,
    ``[N, M]``.

    ``t`` is a learned scalar, initialised to ``log(1 / initial_temperature)`` (CLIP: 0.07) and
    clipped so that the scale stays at most ``max_scale`` (CLIP: 100, "to prevent training
    instability"). Rows are L2-normalised with a small epsilon (a zero row gives zeros, not NaN).

    Args:
        initial_temperature: ``tau`` at initialisation.
        max_scale: the largest ``exp(t)``.
        trainable_temperature: learn ``t`` (True) or keep it fixed.
    """

    def __init__(self, initial_temperature=0.07, max_scale=100.0, trainable_temperature=True,
                 **kwargs):
        super().__init__(**kwargs)
        if not 0 < float(initial_temperature):
            raise ValueError(f"CosineSimilarityLogits: initial_temperature must be > 0, got "
                             f"{initial_temperature!r}.")
        if not float(max_scale) >= 1.0 / float(initial_temperature):
            raise ValueError(f"CosineSimilarityLogits: max_scale {max_scale} is below the initial "
                             f"scale 1/{initial_temperature}.")
        self.initial_temperature = float(initial_temperature)
        self.max_scale = float(max_scale)
        self.trainable_temperature = bool(trainable_temperature)

    def build(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) != 2:
            raise ValueError(f"{self.name}: expected two embeddings [a, b], got {input_shape}.")
        a, b = input_shape
        if len(a) != 2 or len(b) != 2 or a[-1] != b[-1]:
            raise ValueError(f"{self.name}: expected [N, D] and [M, D] with the same D, got "
                             f"{tuple(a)} and {tuple(b)}.")
        self.log_scale = self.add_weight(
            shape=(), name="log_scale", trainable=self.trainable_temperature,
            initializer=keras.initializers.Constant(math.log(1.0 / self.initial_temperature)))

    def scale(self):
        """``exp(t)``, clipped to ``max_scale``."""
        return keras.ops.exp(keras.ops.minimum(self.log_scale, math.log(self.max_scale)))

    def call(self, inputs):
        a, b = inputs
        a = a * keras.ops.rsqrt(keras.ops.sum(a * a, axis=-1, keepdims=True) + 1e-12)
        b = b * keras.ops.rsqrt(keras.ops.sum(b * b, axis=-1, keepdims=True) + 1e-12)
        return self.scale() * keras.ops.matmul(a, keras.ops.transpose(b))

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0], input_shape[1][0])

    def get_config(self):
        return {**super().get_config(), "initial_temperature": self.initial_temperature,
                "max_scale": self.max_scale, "trainable_temperature": self.trainable_temperature}

"""Register tokens (Darcet, Oquab, Mairal & Bojanowski, "Vision Transformers Need Registers",
ICLR 2024, section 2.2): learnable tokens appended to a ViT's input sequence after the class
token and the position embedding (registers have none), used only inside the Transformer and
discarded at its output. DINOv2's "with registers" models have four.
"""

from __future__ import annotations

import keras


@keras.saving.register_keras_serializable(package="keras_zoo")
class RegisterTokens(keras.layers.Layer):
    """Inserts ``num_tokens`` learnable tokens into ``[B, L, D]`` after its first ``after``
    tokens: ``[x_0 .. x_{after-1}; r_1 .. r_R; x_after ..]``, output ``[B, L + R, D]``.

    Args:
        num_tokens: R, the number of registers (>= 1).
        after: the leading tokens kept before the registers (1: the class token).
        initializer: the registers' initializer (truncated normal 0.02 by default).
    """

    def __init__(self, num_tokens, after=1, initializer=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(num_tokens, int) or isinstance(num_tokens, bool) or num_tokens < 1:
            raise ValueError(f"RegisterTokens: num_tokens must be a positive int, got "
                             f"{num_tokens!r}.")
        if not isinstance(after, int) or isinstance(after, bool) or after < 0:
            raise ValueError(f"RegisterTokens: after must be an int >= 0, got {after!r}.")
        self.num_tokens = num_tokens
        self.after = after
        self.initializer = keras.initializers.get(
            initializer or keras.initializers.TruncatedNormal(stddev=0.02))

    def build(self, input_shape):
        if len(input_shape) != 3 or input_shape[-1] is None:
            raise ValueError(f"RegisterTokens: expected tokens [batch, length, width] with a "
                             f"known width, got shape {tuple(input_shape)}.")
        if input_shape[1] is not None and input_shape[1] < self.after:
            raise ValueError(f"RegisterTokens: after={self.after} but the sequence has "
                             f"{input_shape[1]} tokens.")
        self.tokens = self.add_weight(shape=(1, self.num_tokens, input_shape[-1]),
                                      initializer=self.initializer, name="tokens")

    def call(self, inputs):
        # Adding zeros of the batch's shape broadcasts the registers over the batch with
        # builtin TFLite ops, whatever the batch size.
        registers = (keras.ops.cast(self.tokens, inputs.dtype)
                     + keras.ops.zeros_like(inputs[:, :1, :1]))
        return keras.ops.concatenate(
            [inputs[:, :self.after], registers, inputs[:, self.after:]], axis=1)

    def compute_output_shape(self, input_shape):
        length = None if input_shape[1] is None else input_shape[1] + self.num_tokens
        return (input_shape[0], length, input_shape[2])

    def get_config(self):
        return {**super().get_config(), "num_tokens": self.num_tokens, "after": self.after,
                "initializer": keras.initializers.serialize(self.initializer)}

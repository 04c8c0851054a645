"""The fade-in of a new resolution block (Karras et al., ProGAN, ICLR 2018, section 3, fig. 2)."""

import keras
from keras import ops


def fade_coefficient(stage, alpha, level):
    """The weight of the block at ``level`` in a network growing into ``stage`` with ``alpha``:
    1 for levels already grown (``level < stage``), ``alpha`` for the level fading in
    (``level == stage``), 0 for levels not reached yet (``level > stage``).

    Equal to ``clip(stage + alpha - level, 0, 1)`` for ``alpha`` in [0, 1]: ProGAN's continuous
    level of detail.
    """
    return ops.clip(ops.cast(stage, "float32") + ops.cast(alpha, "float32") - float(level),
                    0.0, 1.0)


@keras.saving.register_keras_serializable(package="keras_zoo")
class FadeIn(keras.layers.Layer):
    """Blends a new, higher-resolution path into the old one while a progressive GAN grows.

    Karras, Aila, Laine & Lehtinen, "Progressive Growing of GANs for Improved Quality,
    Stability, and Variation", ICLR 2018, section 3 and figure 2: while the layers of a new
    resolution fade in, the generator outputs ``(1 - alpha) * upsample(toRGB_old(h)) +
    alpha * toRGB_new(block(h))`` and the discriminator mirrors it with
    ``(1 - alpha) * fromRGB_old(downsample(x)) + alpha * downsample(block(fromRGB_new(x)))``,
    ``alpha`` rising linearly from 0 to 1.

    Called on ``[old, new]`` (same shapes), it returns ``(1 - c) * old + c * new`` with
    ``c = fade_coefficient(stage, alpha, level)``: ``alpha`` while this layer's ``level`` is the
    one growing, 1 once the network has grown past it, 0 before. ``stage`` (int32) and
    ``alpha`` (float32) are non-trainable weights, so they are saved with the model and
    restored by checkpoints; a training callback assigns them (``assign_growth``).

    Args:
        level: the index of the resolution block this layer fades in (1 is the first block
            after the 4x4 base).

    Example:
        >>> fade = FadeIn(level=1)
        >>> old, new = keras.ops.zeros((2, 8, 8, 3)), keras.ops.ones((2, 8, 8, 3))
        >>> fade.build([old.shape, new.shape]); fade.assign_growth(1, 0.25)
        >>> float(fade([old, new])[0, 0, 0, 0])
        0.25
    """

    def __init__(self, level, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(level, int) or isinstance(level, bool) or level < 1:
            raise ValueError(f"FadeIn: level must be an int >= 1, got {level!r}.")
        self.level = level
        # State created here, not in build(): assign_growth works on an unbuilt layer too.
        self.stage = self.add_weight(name="stage", shape=(), dtype="int32",
                                     initializer="zeros", trainable=False)
        self.alpha = self.add_weight(name="alpha", shape=(), initializer="zeros",
                                     trainable=False)

    def build(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) != 2 or \
                not isinstance(input_shape[0], (list, tuple)):
            raise ValueError(f"FadeIn: call it on [old, new], got {input_shape!r}.")
        old, new = (tuple(s) for s in input_shape)
        if old[1:] != new[1:]:
            raise ValueError(f"FadeIn: old {old} and new {new} must have the same shape.")

    def assign_growth(self, stage, alpha):
        """Sets the growth state: ``stage`` (int >= 0) and ``alpha`` in [0, 1]."""
        self.stage.assign(ops.cast(stage, "int32"))
        self.alpha.assign(ops.cast(alpha, "float32"))

    def coefficient(self):
        return fade_coefficient(self.stage, self.alpha, self.level)

    def call(self, inputs):
        old, new = inputs
        c = ops.cast(self.coefficient(), old.dtype)
        return (1.0 - c) * old + c * new

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])

    def get_config(self):
        return {**super().get_config(), "level": self.level}

"""A learned constant input (Karras et al., StyleGAN, CVPR 2019, section 2)."""

import keras
from keras import ops


def _check_shape(cls, shape):
    if not isinstance(shape, (list, tuple)) or not shape or not all(
            isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in shape):
        raise ValueError(f"{cls}: shape must be a non-empty tuple of positive ints, got "
                         f"{shape!r}.")
    return tuple(shape)


@keras.saving.register_keras_serializable(package="keras_zoo")
class ConstantInput(keras.layers.Layer):
    """A weight tensor repeated over the batch: StyleGAN's learned 4x4x512 constant.

    Karras, Laine & Aila, "A Style-Based Generator Architecture for Generative Adversarial
    Networks", CVPR 2019, section 2 (figure 1(b), "Const 4x4x512"): the synthesis network
    starts from a learned constant instead of the latent; every image variation comes from the
    styles and the noise. The official code initialises it to ones.

    Called on any tensor whose first axis is the batch B (only its batch size is read), it
    returns the weight broadcast to ``(B, *shape)``.

    Args:
        shape: the shape of the constant without the batch axis, e.g. ``(4, 4, 512)``.
        initializer: of the constant ("ones" as in StyleGAN).
        trainable: whether the constant is learned (``False`` gives a fixed buffer).

    Example:
        >>> ConstantInput((4, 4, 8))(keras.ops.zeros((3, 5))).shape
        TensorShape([3, 4, 4, 8])
    """

    def __init__(self, shape, initializer="ones", **kwargs):
        super().__init__(**kwargs)
        self.constant_shape = _check_shape(type(self).__name__, shape)
        self.initializer = keras.initializers.get(initializer)
        # Created here so that the weight exists before any call (and is saved even unbuilt).
        self.constant = self.add_weight(name="constant", shape=self.constant_shape,
                                        initializer=self.initializer,
                                        trainable=self.trainable)

    def build(self, input_shape):
        if not input_shape:
            raise ValueError(f"{type(self).__name__}: the input must have a batch axis.")

    def tiled(self, reference):
        batch = ops.shape(reference)[0]
        # TILE rather than BROADCAST_TO: both are TFLite builtins, TILE is the older one.
        return ops.tile(ops.expand_dims(self.constant, 0),
                        (batch,) + (1,) * len(self.constant_shape))

    def call(self, inputs):
        return self.tiled(inputs)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + self.constant_shape

    def get_config(self):
        return {**super().get_config(), "shape": self.constant_shape,
                "initializer": keras.initializers.serialize(self.initializer)}

"""Adaptive instance normalisation (Huang & Belongie, ICCV 2017; Karras et al., StyleGAN, 2019)."""

import keras
from keras import ops


def _check_map(name, shape):
    if len(shape) != 4:
        raise ValueError(f"AdaIN: {name} must be a 4-D [B, H, W, C] feature map, got shape "
                         f"{tuple(shape)}.")


@keras.saving.register_keras_serializable(package="keras_zoo")
class AdaIN(keras.layers.Layer):
    """Adaptive instance normalisation.

    Style transfer (Huang & Belongie, "Arbitrary Style Transfer in Real-time with Adaptive
    Instance Normalization", ICCV 2017, eq. 8), called on ``[content, style]``:

    ``AdaIN(x, y) = sigma(y) * (x - mu(x)) / sigma(x) + mu(y)``

    StyleGAN (Karras, Laine & Aila, "A Style-Based Generator Architecture for Generative
    Adversarial Networks", CVPR 2019, eq. 1), called on ``[content, scale, bias]`` where the
    ``[B, C]`` scale and bias come from a learned affine map of w:

    ``AdaIN(x, y_s, y_b) = y_s * (x - mu(x)) / sigma(x) + y_b``

    ``mu`` and ``sigma`` are per-sample, per-channel statistics over the spatial axes H and W,
    with ``sigma(z) = sqrt(var(z) + epsilon)`` (epsilon inside the square root, for the
    content and the style alike). The variance is the biased (1/N) one, as in the paper's code.

    Args:
        epsilon: added to the variances before the square root.

    Example:
        >>> content = keras.random.normal((2, 16, 16, 8))
        >>> style = keras.random.normal((2, 32, 32, 8))
        >>> AdaIN()([content, style]).shape
        TensorShape([2, 16, 16, 8])
        >>> scale, bias = keras.ops.ones((2, 8)), keras.ops.zeros((2, 8))
        >>> AdaIN()([content, scale, bias]).shape
        TensorShape([2, 16, 16, 8])
    """

    def __init__(self, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        if not float(epsilon) >= 0.0:
            raise ValueError(f"AdaIN: epsilon must be >= 0, got {epsilon!r}.")
        self.epsilon = float(epsilon)

    def build(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) not in (2, 3) or \
                not isinstance(input_shape[0], (list, tuple)):
            raise ValueError("AdaIN: call it on [content, style] (two 4-D maps) or on "
                             f"[content, scale, bias] ([B, C] vectors), got {input_shape!r}.")
        content = input_shape[0]
        _check_map("content", content)
        channels = content[-1]
        if len(input_shape) == 2:
            _check_map("style", input_shape[1])
            others = {"style": input_shape[1]}
        else:
            others = {"scale": input_shape[1], "bias": input_shape[2]}
            for name, shape in others.items():
                if len(shape) != 2:
                    raise ValueError(f"AdaIN: {name} must be [B, C], got shape {tuple(shape)}.")
        for name, shape in others.items():
            if channels is not None and shape[-1] is not None and shape[-1] != channels:
                raise ValueError(f"AdaIN: {name} has {shape[-1]} channels, the content has "
                                 f"{channels}.")

    def _moments(self, x):
        mean = ops.mean(x, axis=(1, 2), keepdims=True)
        variance = ops.mean(ops.square(x - mean), axis=(1, 2), keepdims=True)
        return mean, ops.sqrt(variance + self.epsilon)

    def call(self, inputs):
        content = inputs[0]
        mean, std = self._moments(content)
        normalized = (content - mean) / std
        if len(inputs) == 2:
            style_mean, style_std = self._moments(inputs[1])
            return style_std * normalized + style_mean
        scale = ops.expand_dims(ops.expand_dims(inputs[1], 1), 1)
        bias = ops.expand_dims(ops.expand_dims(inputs[2], 1), 1)
        return scale * normalized + bias

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}

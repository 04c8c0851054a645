"""Stochastic pooling (Zeiler & Fergus, ICLR 2013), and the pooling-window helpers it shares."""

import keras
from keras import ops


def int_pair(cls, arg, value):
    """``value`` as a pair of positive ints, or a ValueError naming ``cls`` and ``arg``."""
    pair = (value, value) if isinstance(value, int) else tuple(value) \
        if isinstance(value, (list, tuple)) else ()
    if len(pair) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1
                                 for v in pair):
        raise ValueError(f"{cls}: {arg} must be a positive int or a pair of them, got "
                         f"{value!r}.")
    return pair


def pool_arguments(cls, pool_size, strides, padding):
    """Validates Keras-style pooling arguments; returns ``(pool_size, strides, padding)``."""
    pool_size = int_pair(cls, "pool_size", pool_size)
    strides = pool_size if strides is None else int_pair(cls, "strides", strides)
    if padding not in ("valid", "same"):
        raise ValueError(f"{cls}: padding must be 'valid' or 'same', got {padding!r}.")
    return pool_size, strides, padding


def pooled_size(size, pool, stride, padding):
    if size is None:
        return None
    if padding == "same":
        return -(-size // stride)
    return (size - pool) // stride + 1 if size >= pool else 0


def pooled_shape(input_shape, pool_size, strides, padding):
    """The ``[B, Ho, Wo, C]`` shape of a pooled ``[B, H, W, C]`` input."""
    return (input_shape[0],
            pooled_size(input_shape[1], pool_size[0], strides[0], padding),
            pooled_size(input_shape[2], pool_size[1], strides[1], padding),
            input_shape[3])


def same_padding(size, pool, stride):
    """TensorFlow's "same" rule: ``(before, after)`` padding of one spatial axis."""
    total = max((-(-size // stride) - 1) * stride + pool - size, 0)
    return total // 2, total - total // 2


def check_pooling_input(cls, input_shape, pool_size, padding):
    if len(input_shape) != 4:
        raise ValueError(f"{cls}: input must be [B, H, W, C], got shape {tuple(input_shape)}.")
    for axis, (size, pool) in enumerate(zip(input_shape[1:3], pool_size, strict=True)):
        if padding == "valid" and size is not None and size < pool:
            raise ValueError(f"{cls}: spatial size {size} (axis {axis + 1}) is smaller than "
                             f"pool_size {pool} with padding='valid'.")


def pooling_windows(x, pool_size, strides, padding, pad_value=0.0):
    """The pooling windows of a static-size ``[B, H, W, C]`` map as ``[B, Ho, Wo, C, k_h*k_w]``.

    Built from ``k_h * k_w`` strided slices (window offset ``(i, j)`` is entry ``i * k_w + j``):
    these lower to TFLite's builtin STRIDED_SLICE and PACK, where ``extract_patches`` would not.
    Returns the windows and the ``(top, left)`` padding.
    """
    (k_h, k_w), (s_h, s_w) = pool_size, strides
    height, width = x.shape[1], x.shape[2]
    if height is None or width is None:
        raise ValueError("pooling windows need static spatial sizes, got "
                         f"{tuple(x.shape)}.")
    top = left = 0
    if padding == "same":
        (top, bottom), (left, right) = (same_padding(height, k_h, s_h),
                                        same_padding(width, k_w, s_w))
        x = ops.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)),
                    constant_values=pad_value)
    out_h = pooled_size(height, k_h, s_h, padding)
    out_w = pooled_size(width, k_w, s_w, padding)
    windows = []
    for i in range(k_h):
        for j in range(k_w):
            windows.append(x[:, i:i + s_h * (out_h - 1) + 1:s_h,
                             j:j + s_w * (out_w - 1) + 1:s_w, :])
    return ops.stack(windows, axis=-1), (top, left)


@keras.saving.register_keras_serializable(package="keras_zoo")
class StochasticPooling2D(keras.layers.Layer):
    """Stochastic pooling: sample an activation of each window with probability proportional to
    it in training, take the probability-weighted average at inference.

    Zeiler & Fergus, "Stochastic Pooling for Regularization of Deep Convolutional Neural
    Networks", ICLR 2013, eqs. 3-5. In each pooling region R_j:

    ``p_i = a_i / sum_{k in R_j} a_k``; training: ``s_j = a_l``, ``l ~ Multinomial(p_1..p_|R_j|)``;
    inference: ``s_j = sum_{i in R_j} p_i a_i``.

    The paper pools non-negative (post-ReLU) activations; negative inputs are clipped to 0
    here, so that ``p`` is a distribution. A window of zeros gives 0. "same" padding adds
    zeros, which have probability 0. Training draws with Keras' seeded random ops; inference is
    deterministic and converts to TFLite builtins.

    Args:
        pool_size: an int or a pair (the paper's 3x3 with stride 2, or 2x2).
        strides: an int, a pair, or None (= pool_size).
        padding: "valid" or "same".
        seed: the seed of the training-time draws.
    """

    def __init__(self, pool_size=2, strides=None, padding="valid", seed=None, **kwargs):
        super().__init__(**kwargs)
        self.pool_size, self.strides, self.padding = pool_arguments(
            "StochasticPooling2D", pool_size, strides, padding)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        check_pooling_input("StochasticPooling2D", input_shape, self.pool_size, self.padding)
        if input_shape[1] is None or input_shape[2] is None:
            raise ValueError("StochasticPooling2D: the spatial sizes must be known, got "
                             f"{tuple(input_shape)}.")

    def call(self, inputs, training=False):
        windows, _ = pooling_windows(ops.relu(inputs), self.pool_size, self.strides,
                                     self.padding)
        total = ops.sum(windows, axis=-1, keepdims=True)
        positive = total > 0
        safe_total = ops.where(positive, total, ops.ones_like(total))
        probabilities = windows / safe_total
        if not training:
            return ops.sum(probabilities * windows, axis=-1)
        n = windows.shape[-1]
        # Zero windows: any index picks a 0; a uniform row keeps the sampler well defined.
        probabilities = ops.where(positive, probabilities, ops.full_like(probabilities, 1.0 / n))
        logits = ops.stop_gradient(ops.log(ops.reshape(probabilities, (-1, n))))
        choice = keras.random.categorical(logits, 1, seed=self.seed_generator)
        picked = ops.reshape(ops.one_hot(ops.squeeze(choice, -1), n, dtype=windows.dtype),
                             ops.shape(windows))
        return ops.sum(picked * windows, axis=-1)

    def compute_output_shape(self, input_shape):
        return pooled_shape(input_shape, self.pool_size, self.strides, self.padding)

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "strides": self.strides,
                "padding": self.padding, "seed": self.seed}

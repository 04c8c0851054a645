"""Pooling-window helpers shared by the pooling layers (stochastic, Lp, mixed, unpooling)."""

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

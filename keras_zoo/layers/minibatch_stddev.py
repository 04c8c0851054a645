"""Minibatch standard deviation (Karras et al., ProGAN, ICLR 2018, section 3)."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_zoo")
class MinibatchStandardDeviation(keras.layers.Layer):
    """Appends the minibatch standard deviation as extra feature maps (ProGAN's discriminator).

    Karras, Aila, Laine & Lehtinen, "Progressive Growing of GANs for Improved Quality,
    Stability, and Variation", ICLR 2018, section 3, with the grouping of their code: the batch
    of N is split into groups of G, the sample ``n`` belonging to group ``n mod (N / G)``; the
    C channels are split into ``num_features`` groups of ``c = C / num_features``. For each
    group of samples and channel group ``f``:

    ``s_f = mean_{h, w, j in f} sqrt(var_G(x[:, h, w, j]) + epsilon)``

    with ``var_G`` the biased variance over the G samples of the group; ``s_f`` is replicated
    over H x W and over the G samples and concatenated as channel ``C + f``: the output has
    ``C + num_features`` channels.

    Batch sizes: the paper's code needs N divisible by G and uses ``min(group_size, N)``. We use
    **G = the largest divisor of N that is <= group_size** (computed at run time when the batch
    is unknown), which is the paper's choice whenever that works, and never fails: a batch of 6
    with group_size 4 uses groups of 3, a prime batch of 7 uses groups of 1 (stddev 0, a
    feature of ``sqrt(epsilon)``).

    Args:
        group_size: the largest group of samples G (the paper's 4).
        num_features: the number of appended feature maps (the paper's 1; StyleGAN2 uses 1).
        epsilon: added to the variance before the square root (the paper's code: 1e-8).

    Example:
        >>> MinibatchStandardDeviation(group_size=4)(keras.random.normal((6, 4, 4, 16))).shape
        TensorShape([6, 4, 4, 17])
    """

    def __init__(self, group_size=4, num_features=1, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        for arg, value in (("group_size", group_size), ("num_features", num_features)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"MinibatchStandardDeviation: {arg} must be a positive int, "
                                 f"got {value!r}.")
        if not float(epsilon) >= 0.0:
            raise ValueError(f"MinibatchStandardDeviation: epsilon must be >= 0, got {epsilon!r}.")
        self.group_size = group_size
        self.num_features = num_features
        self.epsilon = float(epsilon)

    def build(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError("MinibatchStandardDeviation: input must be [B, H, W, C], got shape "
                             f"{tuple(input_shape)}.")
        channels = input_shape[-1]
        if channels is None or channels % self.num_features:
            raise ValueError(f"MinibatchStandardDeviation: the {channels} channels must be "
                             f"divisible by num_features={self.num_features}.")

    def _group(self, batch):
        if isinstance(batch, int):
            return max(g for g in range(1, min(self.group_size, batch) + 1) if batch % g == 0)
        candidates = ops.arange(1, self.group_size + 1, dtype="int32")
        divides = ops.equal(ops.mod(batch, candidates), 0)
        return ops.max(ops.where(divides, candidates, 1))

    def call(self, inputs):
        shape = ops.shape(inputs)
        batch, height, width, channels = shape[0], shape[1], shape[2], inputs.shape[-1]
        group = self._group(batch)
        # Rank <= 4 throughout: TFLite's reductions and reshapes are safest there.
        samples = ops.reshape(inputs, (group, -1))
        centred = samples - ops.mean(samples, axis=0, keepdims=True)
        std = ops.sqrt(ops.mean(ops.square(centred), axis=0) + self.epsilon)
        std = ops.reshape(std, (-1, height * width, self.num_features,
                                channels // self.num_features))
        features = ops.mean(std, axis=(1, 3))
        features = ops.reshape(features, (-1, 1, 1, self.num_features))
        features = ops.tile(features, (group, height, width, 1))
        return ops.concatenate([inputs, ops.cast(features, inputs.dtype)], axis=-1)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (input_shape[-1] + self.num_features,)

    def get_config(self):
        return {**super().get_config(), "group_size": self.group_size,
                "num_features": self.num_features, "epsilon": self.epsilon}

"""The truncation trick in W (Karras et al., StyleGAN, CVPR 2019, appendix B)."""

import math

import keras
from keras import ops


def check_psi(psi, arg="psi"):
    """``psi`` as a float in [-1, 1] (the range of the paper's figure 8), else ``ValueError``."""
    if isinstance(psi, bool) or not isinstance(psi, (int, float)) or not math.isfinite(psi) \
            or not -1.0 <= psi <= 1.0:
        raise ValueError(f"{arg} must be a number in [-1, 1] (1: no truncation, 0: the average "
                         f"image), got {psi!r}.")
    return float(psi)


def check_cutoff(cutoff, arg="cutoff"):
    if cutoff is not None and (isinstance(cutoff, bool) or not isinstance(cutoff, int)
                               or cutoff < 1):
        raise ValueError(f"{arg} must be a positive int (layers truncated) or None (all), "
                         f"got {cutoff!r}.")
    return cutoff


@keras.saving.register_keras_serializable(package="keras_zoo")
class Truncation(keras.layers.Layer):
    """Tracks the average intermediate latent and truncates towards it at inference.

    Karras, Laine & Aila, "A Style-Based Generator Architecture for Generative Adversarial
    Networks", CVPR 2019, appendix B: ``w' = w_avg + psi * (w - w_avg)``, applied to the
    per-layer styles of the first ``cutoff`` synthesis layers only (the official code: 8
    layers, the 4x4 to 32x32 ones). ``w_avg`` is a moving average of the mapping network's
    outputs, updated in training as the official code does:
    ``w_avg <- mean_batch(w[:, 0]) + beta * (w_avg - mean_batch(w[:, 0]))``.

    Called on per-layer latents ``[B, L, D]`` ("dlatents"). In training it updates ``w_avg``
    and returns its input unchanged; at inference it truncates with the ``psi`` and ``cutoff``
    given to ``call`` (default: the layer's own).

    Args:
        psi: truncation strength in [-1, 1]; 1 disables it, 0 gives the average image.
        cutoff: number of leading layers truncated; ``None`` truncates all.
        w_avg_beta: decay of the moving average (0.995).

    Example:
        >>> t = Truncation(psi=0.5, cutoff=2)
        >>> t(keras.ops.ones((2, 4, 8))).shape
        TensorShape([2, 4, 8])
    """

    def __init__(self, psi=0.7, cutoff=8, w_avg_beta=0.995, **kwargs):
        super().__init__(**kwargs)
        self.psi = check_psi(psi)
        self.cutoff = check_cutoff(cutoff)
        if not 0.0 <= float(w_avg_beta) < 1.0:
            raise ValueError(f"Truncation: w_avg_beta must be in [0, 1), got {w_avg_beta!r}.")
        self.w_avg_beta = float(w_avg_beta)

    def build(self, input_shape):
        if len(input_shape) != 3 or input_shape[-1] is None or input_shape[1] is None:
            raise ValueError("Truncation: input must be per-layer latents [B, L, D] with L and "
                             f"D known, got {tuple(input_shape)}.")
        self.num_layers = int(input_shape[1])
        self.w_avg = self.add_weight(name="w_avg", shape=(input_shape[-1],),
                                     initializer="zeros", trainable=False)

    def call(self, inputs, training=False, psi=None, cutoff=None):
        if training:
            batch_mean = ops.mean(inputs[:, 0], axis=0)
            self.w_avg.assign(batch_mean + self.w_avg_beta * (self.w_avg - batch_mean))
            return inputs
        psi = self.psi if psi is None else check_psi(psi)
        cutoff = self.cutoff if cutoff is None else check_cutoff(cutoff)
        if psi == 1.0:
            return inputs
        truncated = min(cutoff or self.num_layers, self.num_layers)
        head = self.w_avg + psi * (inputs[:, :truncated] - self.w_avg)
        if truncated == self.num_layers:
            return head
        # The layers past the cutoff pass through untouched (bit for bit).
        return ops.concatenate([head, inputs[:, truncated:]], axis=1)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "psi": self.psi, "cutoff": self.cutoff,
                "w_avg_beta": self.w_avg_beta}

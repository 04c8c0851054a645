"""The VAE reparameterisation sampler (Kingma & Welling, ICLR 2014)."""

import keras
import tensorflow as tf
from keras import ops


@keras.saving.register_keras_serializable(package="keras_zoo")
class Sampling(keras.layers.Layer):
    """Draws ``z ~ N(mu, sigma^2)`` differentiably: the reparameterisation trick.

    Kingma & Welling, "Auto-Encoding Variational Bayes", ICLR 2014, section 2.4 and eq. 10:

    ``z = z_mean + exp(0.5 * z_log_var) * eps``,  ``eps ~ N(0, I)``

    with ``z_log_var = log sigma^2``. Call it on ``[z_mean, z_log_var]`` (draws ``eps``, in
    training and at inference, as Keras' VAE example does; use ``z_mean`` itself for a
    deterministic encoding), or on ``[z_mean, z_log_var, eps]`` with a given ``eps``
    (deterministic). In training the draw comes from a ``keras.random.SeedGenerator`` (its
    state is saved with a run's backup, so a resumed run draws what an uninterrupted one
    would); at inference it uses the stateful ``RandomStandardNormal`` op, which converts to the
    TFLite builtin ``RANDOM_STANDARD_NORMAL`` (Keras' stateless op does not).

    Args:
        seed: the op-level seed of eps (with Keras' global seed, runs repeat).

    Example:
        >>> z_mean, z_log_var = keras.ops.zeros((4, 2)), keras.ops.zeros((4, 2))
        >>> Sampling()([z_mean, z_log_var]).shape
        TensorShape([4, 2])
    """

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
            raise ValueError(f"Sampling: seed must be an int or None, got {seed!r}.")
        self.seed = seed
        # Training draws come from a Keras seed generator, whose state is a variable: a
        # resumed run restores it with the backup and repeats the uninterrupted run's draws.
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) not in (2, 3) or \
                not isinstance(input_shape[0], (list, tuple)):
            raise ValueError("Sampling: call it on [z_mean, z_log_var] or "
                             f"[z_mean, z_log_var, eps], got {input_shape!r}.")
        names = ("z_mean", "z_log_var", "eps")
        for name, shape in zip(names[1:], input_shape[1:], strict=False):
            if tuple(shape[1:]) != tuple(input_shape[0][1:]):
                raise ValueError(f"Sampling: {name} has shape {tuple(shape)}, z_mean has "
                                 f"{tuple(input_shape[0])}; they must match.")

    def call(self, inputs, training=None):
        z_mean, z_log_var = inputs[0], inputs[1]
        if len(inputs) == 3:
            eps = ops.cast(inputs[2], z_mean.dtype)
        elif training:
            eps = keras.random.normal(ops.shape(z_mean), dtype=z_mean.dtype,
                                      seed=self.seed_generator)
        else:  # inference (and export): the stateful op, a TFLite builtin
            eps = tf.random.normal(ops.shape(z_mean), dtype=z_mean.dtype, seed=self.seed)
        return z_mean + ops.exp(0.5 * z_log_var) * eps

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}

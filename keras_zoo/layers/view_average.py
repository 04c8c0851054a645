"""The mean of a classifier's outputs over test-time views, as logits for a final softmax."""

import keras
from keras import ops

_MODES = ("probabilities", "logits")


@keras.saving.register_keras_serializable(package="keras_zoo")
class ViewAverage(keras.layers.Layer):
    """Averages per-view class scores ``[B, K]`` and returns logits ``z`` whose softmax is the
    average.

    ``mode="probabilities"``: ``z = log(mean_v p_v)`` (so ``softmax(z) = mean_v p_v``);
    ``mode="logits"``: ``z = mean_v z_v``. With ``from_probabilities`` the inputs are
    probabilities, and their logits are ``log p_v``, which differ from the network's by a
    per-view constant that the softmax of the mean cancels.

    Args:
        mode: "probabilities" or "logits": what is averaged.
        from_probabilities: whether the inputs are probabilities (a softmax head) or logits.
    """

    def __init__(self, mode="probabilities", from_probabilities=True, **kwargs):
        super().__init__(**kwargs)
        if mode not in _MODES:
            raise ValueError(f"ViewAverage: mode must be one of {_MODES}, got {mode!r}.")
        self.mode, self.from_probabilities = mode, bool(from_probabilities)

    def call(self, inputs):
        views = ops.stack(list(inputs), axis=0)
        if self.mode == "probabilities":
            p = views if self.from_probabilities else ops.softmax(views, axis=-1)
            return ops.log(ops.maximum(ops.mean(p, axis=0), 1e-30))
        z = ops.log(ops.maximum(views, 1e-30)) if self.from_probabilities else views
        return ops.mean(z, axis=0)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])

    def get_config(self):
        return {**super().get_config(), "mode": self.mode,
                "from_probabilities": self.from_probabilities}

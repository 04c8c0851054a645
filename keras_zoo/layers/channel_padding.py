"""Zero padding along the channel axis: the parameter-free "option A" shortcut of
He, Zhang, Ren & Sun, Deep Residual Learning for Image Recognition, CVPR 2016, section 3.3."""

import keras


@keras.saving.register_keras_serializable(package="keras_zoo")
class ChannelPadding(keras.layers.Layer):
    """Appends ``before`` and ``after`` channels of zeros: ``y = [0_before, x, 0_after]``.

    The paper's CIFAR ResNets (section 4.2) use identity shortcuts everywhere; where a stage
    doubles the channels, "the shortcut still performs identity mapping, with extra zero entries
    padded for increasing dimensions" (option A), so the shortcut adds no parameters. It lowers
    to one ``PAD`` op in TFLite.

    Args:
        before: zero channels put before the input's channels.
        after: zero channels put after them.
    """

    def __init__(self, before=0, after=0, **kwargs):
        super().__init__(**kwargs)
        for arg, value in (("before", before), ("after", after)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"ChannelPadding: {arg} must be an int >= 0, got {value!r}.")
        self.before = before
        self.after = after

    def call(self, inputs):
        rank = len(inputs.shape)
        pad = [[0, 0]] * (rank - 1) + [[self.before, self.after]]
        return keras.ops.pad(inputs, pad)

    def compute_output_shape(self, input_shape):
        channels = input_shape[-1]
        if channels is not None:
            channels += self.before + self.after
        return tuple(input_shape[:-1]) + (channels,)

    def get_config(self):
        return {**super().get_config(), "before": self.before, "after": self.after}

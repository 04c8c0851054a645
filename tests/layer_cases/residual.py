"""Cases for the residual-network layers (option-A channel padding)."""

import numpy as np

from keras_zoo.layers import ChannelPadding
from tests.layer_harness import LayerCase


def channel_padding_reference(layer, inputs, before, after):
    # He et al. 2016, section 3.3 option A: the shortcut is x with zero channels appended.
    (x,) = inputs
    zeros = np.zeros(x.shape[:-1], dtype=x.dtype)[..., None]
    return np.concatenate([zeros] * before + [x] + [zeros] * after, axis=-1)


CASES = [
    LayerCase(
        id="channel_padding_option_a",
        layer_class=ChannelPadding,
        make=lambda: ChannelPadding(after=4),
        inputs=lambda rng: [rng.normal(size=(2, 3, 3, 4)).astype(np.float32)],
        reference=lambda layer, x: channel_padding_reference(layer, x, 0, 4),
    ),
    LayerCase(
        id="channel_padding_both_sides",
        layer_class=ChannelPadding,
        make=lambda: ChannelPadding(before=2, after=1),
        inputs=lambda rng: [rng.normal(size=(1, 2, 2, 3)).astype(np.float32)],
        reference=lambda layer, x: channel_padding_reference(layer, x, 2, 1),
    ),
]

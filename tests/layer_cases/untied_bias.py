"""Cases for the per-unit bias of LeCun et al. 1989."""

import numpy as np

from keras_zoo.layers import UntiedBias
from tests.layer_harness import LayerCase


def untied_bias_reference(layer, inputs, activation=np.tanh):
    # Section 5.1: each unit adds its own bias b[h, w, c] to its weighted sum.
    (x,) = inputs
    (bias,) = layer.get_weights()
    return activation(x + bias[None])


CASES = [
    LayerCase(
        id="untied_bias_tanh",
        layer_class=UntiedBias,
        make=lambda: UntiedBias(activation="tanh", bias_initializer="random_normal"),
        inputs=lambda rng: [rng.normal(size=(2, 4, 4, 3)).astype(np.float32)],
        reference=untied_bias_reference,
    ),
    LayerCase(
        id="untied_bias_linear_vector",
        layer_class=UntiedBias,
        make=lambda: UntiedBias(bias_initializer="random_uniform"),
        inputs=lambda rng: [rng.normal(size=(3, 5)).astype(np.float32)],
        reference=lambda layer, x: untied_bias_reference(layer, x, activation=lambda v: v),
    ),
]

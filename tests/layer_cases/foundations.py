"""Cases for RReLU (Xu et al. 2015) and weight noise (Graves 2013): their inference networks."""

import numpy as np

from keras_zoo.layers import RandomizedReLU, WeightNoiseDense
from tests.layer_cases.generative import randomized
from tests.layer_harness import LayerCase


def rrelu_inference_reference(layer, inputs, lower, upper):
    # Xu et al. 2015, section 2.4: at test time the negative part is divided by (l + u) / 2.
    (x,) = inputs
    x = x.astype(np.float64)
    return np.where(x >= 0, x, x / ((lower + upper) / 2.0))


def weight_noise_inference_reference(layer, inputs):
    # Graves 2013: the clean weights at test time, y = tanh(W x + b).
    (x,) = inputs
    w, b = layer.get_weights()
    return np.tanh(x.astype(np.float64) @ w + b)


CASES = [
    LayerCase(
        id="rrelu_paper_3_8",
        layer_class=RandomizedReLU,
        make=lambda: RandomizedReLU(3.0, 8.0, seed=1),
        inputs=lambda rng: [rng.normal(size=(2, 4, 4, 3)).astype(np.float32)],
        reference=lambda layer, x: rrelu_inference_reference(layer, x, 3.0, 8.0),
    ),
    LayerCase(
        id="rrelu_fixed_divisor",
        layer_class=RandomizedReLU,
        make=lambda: RandomizedReLU(4.0, 4.0),
        inputs=lambda rng: [rng.normal(size=(3, 5)).astype(np.float32)],
        reference=lambda layer, x: rrelu_inference_reference(layer, x, 4.0, 4.0),
    ),
    LayerCase(
        id="weight_noise_dense_inference",
        layer_class=WeightNoiseDense,
        make=lambda: randomized(WeightNoiseDense(5, stddev=0.3, activation="tanh", seed=2),
                                (3, 8)),
        inputs=lambda rng: [rng.normal(size=(3, 8)).astype(np.float32)],
        reference=weight_noise_inference_reference,
    ),
]

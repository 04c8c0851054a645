"""Cases for DropConnect (its inference network) and Maxout (Goodfellow et al. 2013)."""

import numpy as np

from keras_zoo.layers import DropConnectDense, Maxout
from tests.layer_cases.generative import randomized
from tests.layer_harness import LayerCase


def dropconnect_inference_reference(layer, inputs):
    # Wan et al. 2013 with inverted scaling: at inference the full weights, r = relu(W x + b).
    (x,) = inputs
    w, b = layer.get_weights()
    return np.maximum(x.astype(np.float64) @ w + b, 0.0)


def maxout_reference(layer, inputs, k):
    # Goodfellow et al. 2013, eq. 1: h_i = max_j (x^T W_{.ij} + b_ij), pieces j of unit i
    # adjacent in the affine map's outputs.
    (x,) = inputs
    w, b = layer.get_weights()
    z = x.astype(np.float64) @ w + b
    units = w.shape[1] // k
    out = np.empty(z.shape[:-1] + (units,))
    for i in range(units):
        out[..., i] = np.max([z[..., i * k + j] for j in range(k)], axis=0)
    return out


CASES = [
    LayerCase(
        id="dropconnect_inference",
        layer_class=DropConnectDense,
        make=lambda: randomized(DropConnectDense(5, rate=0.5, activation="relu", seed=2), (3, 8)),
        inputs=lambda rng: [rng.normal(size=(3, 8)).astype(np.float32)],
        reference=dropconnect_inference_reference,
    ),
    LayerCase(
        id="maxout_dense_k3",
        layer_class=Maxout,
        make=lambda: randomized(Maxout(4, num_pieces=3), (2, 6)),
        inputs=lambda rng: [rng.normal(size=(2, 6)).astype(np.float32)],
        reference=lambda layer, x: maxout_reference(layer, x, 3),
    ),
    LayerCase(
        id="maxout_conv_map_k2",
        layer_class=Maxout,
        make=lambda: randomized(Maxout(3, num_pieces=2), (2, 3, 4, 5)),
        inputs=lambda rng: [rng.normal(size=(2, 3, 4, 5)).astype(np.float32)],
        reference=lambda layer, x: maxout_reference(layer, x, 2),
    ),
]

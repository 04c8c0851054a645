"""Cases for LRN, squeeze-and-excitation and stochastic depth."""

import numpy as np

from keras_zoo.layers import LocalResponseNormalization, SqueezeExcitation, StochasticDepth
from tests.layer_harness import LayerCase


def lrn_reference(layer, inputs, k=2.0, n=5, alpha=1e-4, beta=0.75):
    # AlexNet, section 3.3: b^i = a^i / (k + alpha * sum_{j=max(0,i-n/2)}^{min(N-1,i+n/2)} (a^j)^2)^beta
    (a,) = inputs
    channels = a.shape[-1]
    out = np.empty_like(a)
    for i in range(channels):
        lo, hi = max(0, i - n // 2), min(channels - 1, i + n // 2)
        s = np.sum(a[..., lo:hi + 1] ** 2, axis=-1)
        out[..., i] = a[..., i] / (k + alpha * s) ** beta
    return out


def se_reference(layer, inputs):
    (x,) = inputs
    w1, b1, w2, b2 = layer.get_weights()
    z = x.mean(axis=(1, 2))  # squeeze
    s = np.maximum(z @ w1[0, 0] + b1, 0.0)  # excitation: FC, ReLU
    g = 1.0 / (1.0 + np.exp(-(s @ w2[0, 0] + b2)))  # FC, sigmoid
    return x * g[:, None, None, :]


CASES = [
    LayerCase(
        id="lrn_alexnet",
        layer_class=LocalResponseNormalization,
        make=lambda: LocalResponseNormalization(k=2.0, n=5, alpha=1e-4, beta=0.75),
        inputs=lambda rng: [rng.normal(0, 30, (2, 4, 4, 9)).astype(np.float32)],
        reference=lrn_reference,
        atol=1e-4,
    ),
    LayerCase(
        id="lrn_strong",
        layer_class=LocalResponseNormalization,
        make=lambda: LocalResponseNormalization(k=1.0, n=3, alpha=0.5, beta=0.5),
        inputs=lambda rng: [rng.normal(0, 2, (1, 3, 3, 6)).astype(np.float32)],
        reference=lambda layer, x: lrn_reference(layer, x, 1.0, 3, 0.5, 0.5),
    ),
    LayerCase(
        id="squeeze_excitation",
        layer_class=SqueezeExcitation,
        make=lambda: SqueezeExcitation(filters=8, reduced_filters=2),
        inputs=lambda rng: [rng.normal(size=(2, 5, 5, 8)).astype(np.float32)],
        reference=se_reference,
    ),
    LayerCase(
        id="stochastic_depth_inference",
        layer_class=StochasticDepth,
        make=lambda: StochasticDepth(rate=0.5, seed=1),
        inputs=lambda rng: [rng.normal(size=(4, 3, 3, 2)).astype(np.float32),
                            rng.normal(size=(4, 3, 3, 2)).astype(np.float32)],
        reference=lambda layer, x: x[0] + x[1],
    ),
]

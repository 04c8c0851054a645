"""Cases for NeRF's positional encoding gamma(p) (Mildenhall et al. 2020, equation 4)."""

import numpy as np

from keras_zoo.layers import NeRFPositionalEncoding
from tests.layer_harness import LayerCase


def gamma_reference(inputs, frequencies, include_input=False):
    (p,) = inputs
    p = p.astype(np.float64)
    out = [p] if include_input else []
    for k in range(frequencies):
        out += [np.sin(2.0 ** k * np.pi * p), np.cos(2.0 ** k * np.pi * p)]
    return np.concatenate(out, axis=-1)


CASES = [
    LayerCase(
        id="nerf_gamma_positions_L10",
        layer_class=NeRFPositionalEncoding,
        make=lambda: NeRFPositionalEncoding(10),
        inputs=lambda rng: [rng.uniform(-1, 1, (5, 3)).astype(np.float32)],
        reference=lambda layer, x: gamma_reference(x, 10),
        # sin(2^9 pi p): float32 p carries 2^-24 relative error, times 2^9 pi ~ 1600.
        atol=2e-3,
        # The harness differentiates sum(gamma(p)^2) = sum_k (sin^2 + cos^2) = 2 L D / 2, a
        # constant whose gradient is 0 by that identity; the case below (with p itself) checks
        # that gradients flow.
        gradients="sum of squares of gamma(p) is constant (sin^2 + cos^2 = 1): zero gradient",
    ),
    LayerCase(
        id="nerf_gamma_directions_L4_with_input",
        layer_class=NeRFPositionalEncoding,
        make=lambda: NeRFPositionalEncoding(4, include_input=True),
        inputs=lambda rng: [rng.normal(size=(2, 4, 3)).astype(np.float32)],
        reference=lambda layer, x: gamma_reference(x, 4, include_input=True),
        atol=1e-5,
    ),
]

"""Cases for the gradient-reversal layer (Ganin & Lempitsky 2015): identity forward."""

import numpy as np

from keras_zoo.layers import GradientReversal
from tests.layer_harness import LayerCase


def identity_reference(layer, inputs):
    # Eq. 9: R(x) = x (the -lambda gradient, eq. 10, is tested in tests/models/representation).
    return inputs[0].astype(np.float64)


CASES = [
    LayerCase(
        id="gradient_reversal",
        layer_class=GradientReversal,
        make=lambda: GradientReversal(0.7),
        inputs=lambda rng: [rng.normal(size=(3, 5)).astype(np.float32)],
        reference=identity_reference,
    ),
]

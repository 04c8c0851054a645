"""Cases for PixelRNN's Diagonal BiLSTM (van den Oord et al. 2016, section 3.2), against a
reference that runs the recurrence in image coordinates, pixel by pixel in raster order (the
state at (i, j) needs the states above and on the left): no skewing."""

import numpy as np

from keras_zoo.layers import DiagonalBiLSTM
from tests.layer_harness import LayerCase


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _direction(x, k_is, b_is, k_ss, units, groups):
    # z(i, j) = K^is x(i, j) + K^ss_0 h(i-1, j) + K^ss_1 h(i, j-1); zero outside the image.
    batch, height, width, _ = x.shape
    h = np.zeros((batch, height + 1, width + 1, units))  # index 0: the zero boundary
    c = np.zeros_like(h)
    for i in range(height):
        for j in range(width):
            z = x[:, i, j] @ k_is + b_is + h[:, i, j + 1] @ k_ss[0] + h[:, i + 1, j] @ k_ss[1]
            z = z.reshape(batch, groups, 4, units // groups)
            o, f, ig, g = (z[:, :, n].reshape(batch, units) for n in range(4))
            # The cell is carried along the sweep: the previous column of the skewed map at the
            # same row is the pixel on the left, (i, j - 1).
            c[:, i + 1, j + 1] = _sigmoid(f) * c[:, i + 1, j] + _sigmoid(ig) * np.tanh(g)
            h[:, i + 1, j + 1] = _sigmoid(o) * np.tanh(c[:, i + 1, j + 1])
    return h[:, 1:, 1:]


def diagonal_reference(layer, inputs, groups=1):
    (x,) = inputs
    x = x.astype(np.float64)
    units = layer.units
    outs = []
    for side, image in ((0, x), (1, x[:, :, ::-1])):
        k_is, b_is = layer.input_to_state[side].get_weights()
        k_is = k_is[0, 0].copy()
        if groups > 1:  # mask B at the centre: input group a feeds output groups >= a
            ga = np.arange(k_is.shape[0]) * groups // k_is.shape[0]
            go = np.arange(k_is.shape[1]) * groups // k_is.shape[1]
            k_is *= ga[:, None] <= go[None, :]
        (k_ss,) = layer.state_to_state[side].get_weights()
        outs.append(_direction(image, k_is, b_is, k_ss, units, groups))
    right = outs[1][:, :, ::-1]
    shifted = np.zeros_like(right)
    shifted[:, 1:] = right[:, :-1]
    return outs[0] + shifted


CASES = [
    LayerCase(
        id="diagonal_bilstm",
        layer_class=DiagonalBiLSTM,
        make=lambda: DiagonalBiLSTM(4),
        inputs=lambda rng: [rng.normal(size=(2, 4, 5, 3)).astype(np.float32)],
        reference=diagonal_reference,
        atol=1e-5,
    ),
    LayerCase(
        id="diagonal_bilstm_rgb_groups",
        layer_class=DiagonalBiLSTM,
        make=lambda: DiagonalBiLSTM(6, color_groups=3),
        inputs=lambda rng: [rng.normal(size=(1, 5, 3, 6)).astype(np.float32)],
        reference=lambda layer, x: diagonal_reference(layer, x, groups=3),
        atol=1e-5,
    ),
]

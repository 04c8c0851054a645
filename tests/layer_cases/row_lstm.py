"""Cases for PixelRNN's Row LSTM (van den Oord et al. 2016, section 3.1, equation 3)."""

import numpy as np

from keras_zoo.layers import RowLSTM
from tests.layer_harness import LayerCase


def _row_conv(row, kernel):
    # 'same' 1-D convolution along a row: row [B, W, C_in], kernel [k, C_in, C_out].
    k = kernel.shape[0]
    padded = np.pad(row, ((0, 0), (k // 2, k // 2), (0, 0)))
    return sum(padded[:, d:d + row.shape[1]] @ kernel[d] for d in range(k))


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def row_lstm_reference(layer, inputs, groups=1):
    (x,) = inputs
    x = x.astype(np.float64)
    k_is, b_is, k_ss = layer.get_weights()
    k = k_is.shape[1]
    k_is = k_is[0].copy()
    k_is[k // 2 + 1:] = 0.0  # mask B: no pixel right of the centre
    units = k_ss.shape[1]
    if groups > 1:  # the centre pixel: input colour group a feeds output groups >= a
        c_in, c_out = k_is.shape[1:]
        ga = np.arange(c_in) * groups // c_in
        go = np.arange(c_out) * groups // c_out
        k_is[k // 2] *= ga[:, None] <= go[None, :]
    batch, height, width, _ = x.shape
    h = np.zeros((batch, width, units))
    c = np.zeros_like(h)
    out = []
    for i in range(height):
        z = _row_conv(x[:, i], k_is) + b_is + _row_conv(h, k_ss)
        z = z.reshape(batch, width, groups, 4, units // groups)
        o, f, ig, g = (z[..., n, :].reshape(batch, width, units) for n in range(4))
        c = _sigmoid(f) * c + _sigmoid(ig) * np.tanh(g)
        h = _sigmoid(o) * np.tanh(c)
        out.append(h)
    return np.stack(out, axis=1)


CASES = [
    LayerCase(
        id="row_lstm_k3",
        layer_class=RowLSTM,
        make=lambda: RowLSTM(4, kernel_size=3),
        inputs=lambda rng: [rng.normal(size=(2, 5, 6, 3)).astype(np.float32)],
        reference=row_lstm_reference,
        atol=1e-5,
    ),
    LayerCase(
        id="row_lstm_rgb_groups",
        layer_class=RowLSTM,
        make=lambda: RowLSTM(6, kernel_size=3, color_groups=3),
        inputs=lambda rng: [rng.normal(size=(1, 4, 5, 6)).astype(np.float32)],
        reference=lambda layer, x: row_lstm_reference(layer, x, groups=3),
        atol=1e-5,
    ),
]

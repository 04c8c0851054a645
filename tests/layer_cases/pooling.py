"""Cases for the notes' other pooling layers (``001``): Lp, mixed max-average, stochastic,
spectral, and max pooling with switches / max unpooling (Deconvnet).

References are loops over pooling windows written from the papers, in NumPy.
"""

import math

import numpy as np

from keras_zoo.layers import (
    LpPooling2D,
    MaxPoolingWithArgmax,
    MaxUnpooling,
    MixedPooling2D,
    SpectralPooling2D,
    StochasticPooling2D,
)
from tests.layer_cases.generative import randomized
from tests.layer_harness import LayerCase


def windows(x, pool, stride, padding, fill=np.nan):
    """Yields ``(i, j, window, top, left)``: output position, ``[B, k_h, k_w, C]`` window (pad
    entries = ``fill``) and the window's top-left corner in input coordinates."""
    _, height, width, _ = x.shape
    (k_h, k_w), (s_h, s_w) = pool, stride
    if padding == "same":
        out_h, out_w = math.ceil(height / s_h), math.ceil(width / s_w)
        pad_h = max((out_h - 1) * s_h + k_h - height, 0)
        pad_w = max((out_w - 1) * s_w + k_w - width, 0)
        top, left = pad_h // 2, pad_w // 2
    else:
        out_h, out_w = (height - k_h) // s_h + 1, (width - k_w) // s_w + 1
        top = left = 0
    for i in range(out_h):
        for j in range(out_w):
            y0, x0 = i * s_h - top, j * s_w - left
            window = np.full((x.shape[0], k_h, k_w, x.shape[3]), fill, dtype=np.float64)
            for di in range(k_h):
                for dj in range(k_w):
                    if 0 <= y0 + di < height and 0 <= x0 + dj < width:
                        window[:, di, dj] = x[:, y0 + di, x0 + dj]
            yield i, j, window, y0, x0


def pool(x, pool_size, stride, padding, reduce, fill=np.nan):
    positions = list(windows(x, pool_size, stride, padding, fill))
    out_h = max(p[0] for p in positions) + 1
    out_w = max(p[1] for p in positions) + 1
    out = np.zeros((x.shape[0], out_h, out_w, x.shape[3]))
    for i, j, window, _, _ in positions:
        out[:, i, j] = reduce(window.reshape(x.shape[0], -1, x.shape[3]))
    return out


# --- Lp pooling (Sermanet et al. 2012, eq. 1) -----------------------------------------------

def lp_reference(layer, inputs, p, pool_size, stride, padding, sigma=None):
    (x,) = inputs
    k_h, k_w = pool_size
    if sigma is None:
        w = np.full((k_h, k_w), 1.0 / (k_h * k_w))
    else:
        g = np.array([[math.exp(-((a - (k_h - 1) / 2) ** 2 + (b - (k_w - 1) / 2) ** 2)
                                / (2 * sigma ** 2)) for b in range(k_w)] for a in range(k_h)])
        w = g / g.sum()
    w = w.reshape(1, -1, 1)
    return pool(x, pool_size, stride, padding,
                lambda v: np.sum(w * np.abs(v) ** p, axis=1) ** (1.0 / p), fill=0.0)


# --- Mixed max-average pooling (Lee et al. 2016, eq. 2) -------------------------------------

def mixed_reference(layer, inputs, pool_size, stride, padding, fixed_alpha=None):
    (x,) = inputs
    if fixed_alpha is None:
        (logit,) = layer.get_weights()
        a = 1.0 / (1.0 + np.exp(-logit))
    else:
        a = fixed_alpha
    return pool(x, pool_size, stride, padding,
                lambda v: a * np.nanmax(v, axis=1) + (1 - a) * np.nanmean(v, axis=1))


# --- Stochastic pooling at inference (Zeiler & Fergus 2013, eq. 5) -----------------------------

def stochastic_inference_reference(layer, inputs, pool_size, stride, padding):
    (x,) = inputs
    a = np.maximum(x, 0.0)

    def weighted(v):
        total = v.sum(axis=1)
        p = np.divide(v, total[:, None, :], out=np.zeros_like(v), where=total[:, None, :] > 0)
        return np.sum(p * v, axis=1)

    return pool(a, pool_size, stride, padding, weighted, fill=0.0)


# --- Spectral pooling (Rippel et al. 2015, Algorithm 1) ----------------------------------------

def spectral_reference(layer, inputs, h, w):
    (x,) = inputs
    _, height, width, _ = x.shape
    spectrum = np.fft.fftshift(np.fft.fft2(x.astype(np.float64), axes=(1, 2)), axes=(1, 2))
    top, left = height // 2 - h // 2, width // 2 - w // 2
    cropped = spectrum[:, top:top + h, left:left + w]
    back = np.fft.ifft2(np.fft.ifftshift(cropped, axes=(1, 2)), axes=(1, 2))
    return np.real(back) * (h * w) / (height * width)


# --- Max pooling switches and unpooling (Zeiler & Fergus 2014, section 2.1) ---------------------

def switches_reference(x, pool_size, stride, padding):
    _, height, width, channels = x.shape
    k_w = pool_size[1]
    pooled = pool(x, pool_size, stride, padding, lambda v: np.nanmax(v, axis=1))
    switches = np.zeros(pooled.shape, dtype=np.int32)
    for i, j, window, y0, x0 in windows(x, pool_size, stride, padding, fill=-np.inf):
        flat = window.reshape(x.shape[0], -1, channels).argmax(axis=1)
        rows, cols = y0 + flat // k_w, x0 + flat % k_w
        switches[:, i, j] = (rows * width + cols) * channels + np.arange(channels)
    return pooled, switches


def unpool_reference(layer, inputs, output_hw):
    values, switches = inputs
    batch, channels = values.shape[0], values.shape[-1]
    out = np.zeros((batch, output_hw[0] * output_hw[1] * channels))
    for b in range(batch):
        np.add.at(out[b], switches[b].ravel(), values[b].ravel())
    return out.reshape(batch, *output_hw, channels)


def _unpool_inputs(shape, pool_size, stride):
    def make(rng):
        x = rng.normal(size=shape)
        _, switches = switches_reference(x, pool_size, stride, "valid")
        values = rng.normal(size=switches.shape).astype(np.float32)
        return [values, switches]
    return make


def _normal(*shape, scale=1.0):
    return lambda rng: [(scale * rng.normal(size=shape)).astype(np.float32)]


CASES = [
    LayerCase(
        id="lp_pooling_p2_uniform",
        layer_class=LpPooling2D,
        make=lambda: LpPooling2D(p=2, pool_size=2),
        inputs=_normal(2, 6, 6, 3),
        reference=lambda layer, x: lp_reference(layer, x, 2.0, (2, 2), (2, 2), "valid"),
    ),
    LayerCase(
        id="lp_pooling_p3_gaussian_same_overlapping",
        layer_class=LpPooling2D,
        make=lambda: LpPooling2D(p=3, pool_size=3, strides=2, padding="same", window="gaussian",
                                 sigma=1.0),
        inputs=_normal(1, 5, 7, 2),
        reference=lambda layer, x: lp_reference(layer, x, 3.0, (3, 3), (2, 2), "same", 1.0),
    ),
    LayerCase(
        id="mixed_pooling_learned_per_channel",
        layer_class=MixedPooling2D,
        make=lambda: randomized(MixedPooling2D(per_channel=True, pool_size=3, strides=2,
                                               padding="same"), (2, 7, 6, 4)),
        inputs=_normal(2, 7, 6, 4),
        reference=lambda layer, x: mixed_reference(layer, x, (3, 3), (2, 2), "same"),
    ),
    LayerCase(
        id="mixed_pooling_learned_layer",
        layer_class=MixedPooling2D,
        make=lambda: MixedPooling2D(alpha=0.3),
        inputs=_normal(2, 4, 6, 3),
        reference=lambda layer, x: mixed_reference(layer, x, (2, 2), (2, 2), "valid"),
    ),
    LayerCase(
        id="mixed_pooling_fixed",
        layer_class=MixedPooling2D,
        make=lambda: MixedPooling2D(alpha=0.75, learn_alpha=False, pool_size=(2, 3)),
        inputs=_normal(1, 4, 6, 2),
        reference=lambda layer, x: mixed_reference(layer, x, (2, 3), (2, 3), "valid", 0.75),
    ),
    LayerCase(
        id="stochastic_pooling_inference",
        layer_class=StochasticPooling2D,
        make=lambda: StochasticPooling2D(pool_size=2, seed=1),
        inputs=_normal(2, 6, 4, 3),
        reference=lambda layer, x: stochastic_inference_reference(layer, x, (2, 2), (2, 2),
                                                                  "valid"),
    ),
    LayerCase(
        id="stochastic_pooling_inference_3x3_s2_same",
        layer_class=StochasticPooling2D,
        make=lambda: StochasticPooling2D(pool_size=3, strides=2, padding="same", seed=1),
        inputs=_normal(1, 7, 5, 2),
        reference=lambda layer, x: stochastic_inference_reference(layer, x, (3, 3), (2, 2),
                                                                  "same"),
    ),
    LayerCase(
        id="spectral_pooling_odd_to_odd",
        layer_class=SpectralPooling2D,
        make=lambda: SpectralPooling2D((5, 3)),
        inputs=_normal(2, 9, 7, 3),
        reference=lambda layer, x: spectral_reference(layer, x, 5, 3),
    ),
    LayerCase(
        id="spectral_pooling_even_non_integer_ratio",
        layer_class=SpectralPooling2D,
        make=lambda: SpectralPooling2D(6),
        inputs=_normal(1, 8, 10, 2),
        reference=lambda layer, x: spectral_reference(layer, x, 6, 6),
    ),
    LayerCase(
        id="max_pooling_with_argmax_2x2",
        layer_class=MaxPoolingWithArgmax,
        make=lambda: MaxPoolingWithArgmax(2),
        inputs=_normal(2, 4, 6, 3),
        reference=lambda layer, x: list(switches_reference(x[0], (2, 2), (2, 2), "valid")),
    ),
    LayerCase(
        id="max_pooling_with_argmax_3x3_s2_same",
        layer_class=MaxPoolingWithArgmax,
        make=lambda: MaxPoolingWithArgmax(3, strides=2, padding="same"),
        inputs=_normal(1, 7, 6, 2),
        reference=lambda layer, x: list(switches_reference(x[0], (3, 3), (2, 2), "same")),
    ),
    LayerCase(
        id="max_unpooling_2x2",
        layer_class=MaxUnpooling,
        make=lambda: MaxUnpooling(2),
        inputs=_unpool_inputs((2, 4, 6, 3), (2, 2), (2, 2)),
        reference=lambda layer, x: unpool_reference(layer, x, (4, 6)),
    ),
    LayerCase(
        # Deconvnet's overlapping 3x3/2 pooling: shared switches add up; odd size needs
        # output_size.
        id="max_unpooling_overlapping_output_size",
        layer_class=MaxUnpooling,
        make=lambda: MaxUnpooling(output_size=(7, 5)),
        inputs=_unpool_inputs((2, 7, 5, 2), (3, 3), (2, 2)),
        reference=lambda layer, x: unpool_reference(layer, x, (7, 5)),
    ),
]

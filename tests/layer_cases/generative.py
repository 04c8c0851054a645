"""Cases for the generative-model layers: AdaIN, pixel norm, minibatch stddev, equalised
learning rate, noise injection, PixelCNN masked convolution and the VAE sampler.

Every reference below is written from the paper's formula in NumPy; it reads the layer's
weights, never calls the layer.
"""

import math

import numpy as np

from keras_zoo.layers import (
    AdaIN,
    EqualizedConv2D,
    EqualizedDense,
    MaskedConv2D,
    MinibatchStandardDeviation,
    NoiseInjection,
    PixelNormalization,
    Sampling,
)
from tests.layer_harness import LayerCase


def randomized(layer, input_shape, seed=1):
    """Builds ``layer`` and draws every weight from N(0, 1), so zero-initialised scales and
    biases are exercised too."""
    layer.build(input_shape)
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.normal(size=w.shape).astype(np.float32) for w in layer.get_weights()])
    return layer


def conv2d(x, w, strides=(1, 1), padding="same"):
    """Cross-correlation as in the papers, NHWC x HWIO, TensorFlow's "same" padding rule."""
    k_h, k_w = w.shape[:2]
    s_h, s_w = strides
    if padding == "same":
        pads = []
        for size, k, s in ((x.shape[1], k_h, s_h), (x.shape[2], k_w, s_w)):
            total = max((math.ceil(size / s) - 1) * s + k - size, 0)
            pads.append((total // 2, total - total // 2))
        x = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
    out_h = (x.shape[1] - k_h) // s_h + 1
    out_w = (x.shape[2] - k_w) // s_w + 1
    out = np.zeros((x.shape[0], out_h, out_w, w.shape[-1]), dtype=np.float64)
    for i in range(k_h):
        for j in range(k_w):
            patch = x[:, i:i + s_h * (out_h - 1) + 1:s_h, j:j + s_w * (out_w - 1) + 1:s_w, :]
            out += np.einsum("bhwc,co->bhwo", patch, w[i, j])
    return out


# --- AdaIN (Huang & Belongie 2017, eq. 8; StyleGAN eq. 1) ---------------------------------

def _instance_stats(z, eps):
    mu = z.mean(axis=(1, 2), keepdims=True)
    sigma = np.sqrt(((z - mu) ** 2).mean(axis=(1, 2), keepdims=True) + eps)
    return mu, sigma


def adain_style_reference(layer, inputs, eps=1e-5):
    x, y = (a.astype(np.float64) for a in inputs)
    mu_x, sigma_x = _instance_stats(x, eps)
    mu_y, sigma_y = _instance_stats(y, eps)
    return sigma_y * (x - mu_x) / sigma_x + mu_y


def adain_stylegan_reference(layer, inputs, eps=1e-5):
    x, y_s, y_b = (a.astype(np.float64) for a in inputs)
    mu_x, sigma_x = _instance_stats(x, eps)
    return y_s[:, None, None, :] * (x - mu_x) / sigma_x + y_b[:, None, None, :]


# --- ProGAN: pixel norm (4.2), minibatch stddev (3), equalised learning rate (4.1) ----------

def pixel_norm_reference(layer, inputs, eps=1e-8):
    (a,) = inputs
    n = a.shape[-1]
    return a / np.sqrt(np.sum(a.astype(np.float64) ** 2, axis=-1, keepdims=True) / n + eps)


def minibatch_stddev_reference(layer, inputs, group_size=4, num_features=1, eps=1e-8):
    (x,) = inputs
    x = x.astype(np.float64)
    n, h, w, c = x.shape
    # Our documented choice: the largest divisor of N not above group_size.
    g = max(d for d in range(1, group_size + 1) if n % d == 0)
    m = n // g
    per_group = c // num_features
    features = np.zeros((n, h, w, num_features))
    for k in range(m):
        members = [k + j * m for j in range(g)]  # the official code's reshape [G, M, ...]
        for f in range(num_features):
            block = x[members][..., f * per_group:(f + 1) * per_group]
            value = np.sqrt(block.var(axis=0) + eps).mean()
            features[members, :, :, f] = value
    return np.concatenate([x, features], axis=-1)


def equalized_dense_reference(layer, inputs, gain, lr_multiplier, activation=None):
    (x,) = inputs
    w, b = layer.get_weights()
    he = gain / math.sqrt(w.shape[0])
    y = x.astype(np.float64) @ (w * he * lr_multiplier) + b * lr_multiplier
    return np.where(y > 0, y, 0.2 * y) if activation == "leaky_relu" else y


def equalized_conv_reference(layer, inputs, gain, strides, padding):
    (x,) = inputs
    w, b = layer.get_weights()
    fan_in = w.shape[0] * w.shape[1] * w.shape[2]
    return conv2d(x.astype(np.float64), w * gain / math.sqrt(fan_in), strides, padding) + b


# --- StyleGAN noise, VAE sampler -------------------------------------------------------------

def noise_given_reference(layer, inputs):
    x, noise = inputs
    (scale,) = layer.get_weights()
    return x + noise * scale  # [B,H,W,1] * [C]: one noise image, a scale per channel


def noise_zero_scale_reference(layer, inputs):
    (scale,) = layer.get_weights()
    assert not np.any(scale), "StyleGAN initialises the noise scale to 0"
    return inputs[0]


def sampling_given_reference(layer, inputs):
    mu, log_var, eps = inputs
    return mu + np.exp(0.5 * log_var.astype(np.float64)) * eps


def sampling_vanishing_sigma_reference(layer, inputs):
    mu, log_var = inputs
    assert log_var.max() < -60  # sigma < 1e-13: z == mu whatever eps is drawn
    return mu


# --- PixelCNN masks (van den Oord et al. 2016, section 3.4) ------------------------------------

def raster_mask(k_h, k_w, c_in, c_out, mask_type, colors=None):
    mask = np.zeros((k_h, k_w, c_in, c_out))
    for i in range(k_h):
        for j in range(k_w):
            before = i < k_h // 2 or (i == k_h // 2 and j < k_w // 2)
            centre = i == k_h // 2 and j == k_w // 2
            if before:
                mask[i, j] = 1.0
            elif centre and colors is None:
                mask[i, j] = 1.0 if mask_type == "B" else 0.0
            elif centre:
                # Output colour o (R < G < B) sees input colours before it (A) or up to it (B).
                for a in range(c_in):
                    for o in range(c_out):
                        color_in = a // (c_in // colors)
                        color_out = o // (c_out // colors)
                        mask[i, j, a, o] = color_in < color_out if mask_type == "A" \
                            else color_in <= color_out
    return mask


def masked_conv_reference(layer, inputs, mask_type, colors=None):
    (x,) = inputs
    w, b = layer.get_weights()
    mask = raster_mask(*w.shape, mask_type, colors)
    return conv2d(x.astype(np.float64), w * mask) + b


def _normal(*shape, scale=1.0, loc=0.0):
    return lambda rng: [(loc + scale * rng.normal(size=shape)).astype(np.float32)]


CASES = [
    LayerCase(
        id="adain_style_transfer",
        layer_class=AdaIN,
        make=lambda: AdaIN(),
        inputs=lambda rng: [rng.normal(1.0, 2.0, (2, 5, 4, 3)).astype(np.float32),
                            rng.normal(-3.0, 0.5, (2, 3, 6, 3)).astype(np.float32)],
        reference=adain_style_reference,
        atol=1e-4,
    ),
    LayerCase(
        id="adain_stylegan_scale_bias",
        layer_class=AdaIN,
        make=lambda: AdaIN(epsilon=1e-3),
        inputs=lambda rng: [rng.normal(0.5, 1.5, (3, 4, 4, 5)).astype(np.float32),
                            rng.normal(1.0, 0.3, (3, 5)).astype(np.float32),
                            rng.normal(0.0, 1.0, (3, 5)).astype(np.float32)],
        reference=lambda layer, x: adain_stylegan_reference(layer, x, eps=1e-3),
        atol=1e-4,
    ),
    LayerCase(
        id="pixel_norm_map",
        layer_class=PixelNormalization,
        make=lambda: PixelNormalization(),
        inputs=_normal(2, 3, 3, 8, scale=3.0),
        reference=pixel_norm_reference,
    ),
    LayerCase(
        id="pixel_norm_latent",
        layer_class=PixelNormalization,
        make=lambda: PixelNormalization(epsilon=1e-2),
        inputs=_normal(4, 16, scale=0.1),
        reference=lambda layer, x: pixel_norm_reference(layer, x, eps=1e-2),
    ),
    LayerCase(
        id="minibatch_stddev_g4_n8",
        layer_class=MinibatchStandardDeviation,
        make=lambda: MinibatchStandardDeviation(group_size=4),
        inputs=_normal(8, 3, 3, 4, scale=2.0),
        reference=minibatch_stddev_reference,
    ),
    LayerCase(
        id="minibatch_stddev_indivisible_n6_two_features",
        layer_class=MinibatchStandardDeviation,
        make=lambda: MinibatchStandardDeviation(group_size=4, num_features=2),
        inputs=_normal(6, 2, 3, 4),
        reference=lambda layer, x: minibatch_stddev_reference(layer, x, 4, 2),
    ),
    LayerCase(
        id="minibatch_stddev_small_batch",
        layer_class=MinibatchStandardDeviation,
        make=lambda: MinibatchStandardDeviation(group_size=4),
        inputs=_normal(2, 4, 4, 3),
        reference=minibatch_stddev_reference,
    ),
    LayerCase(
        id="equalized_dense_mapping_lrmul",
        layer_class=EqualizedDense,
        make=lambda: randomized(EqualizedDense(6, lr_multiplier=0.01, activation="leaky_relu"),
                                (3, 10)),
        inputs=_normal(3, 10),
        reference=lambda layer, x: equalized_dense_reference(layer, x, math.sqrt(2), 0.01,
                                                             "leaky_relu"),
    ),
    LayerCase(
        id="equalized_dense_linear_gain1",
        layer_class=EqualizedDense,
        make=lambda: randomized(EqualizedDense(4, gain=1.0), (2, 7)),
        inputs=_normal(2, 7),
        reference=lambda layer, x: equalized_dense_reference(layer, x, 1.0, 1.0),
    ),
    LayerCase(
        id="equalized_conv_same",
        layer_class=EqualizedConv2D,
        make=lambda: randomized(EqualizedConv2D(5, 3), (2, 6, 6, 4)),
        inputs=_normal(2, 6, 6, 4),
        reference=lambda layer, x: equalized_conv_reference(layer, x, math.sqrt(2), (1, 1),
                                                            "same"),
        atol=1e-4,
    ),
    LayerCase(
        id="equalized_conv_valid_strided",
        layer_class=EqualizedConv2D,
        make=lambda: randomized(EqualizedConv2D(3, (3, 2), strides=2, padding="valid",
                                                gain=1.0), (1, 7, 6, 2)),
        inputs=_normal(1, 7, 6, 2),
        reference=lambda layer, x: equalized_conv_reference(layer, x, 1.0, (2, 2), "valid"),
        atol=1e-4,
    ),
    LayerCase(
        id="noise_injection_given_noise",
        layer_class=NoiseInjection,
        make=lambda: randomized(NoiseInjection(), [(2, 4, 5, 3), (2, 4, 5, 1)]),
        inputs=lambda rng: [rng.normal(size=(2, 4, 5, 3)).astype(np.float32),
                            rng.normal(size=(2, 4, 5, 1)).astype(np.float32)],
        reference=noise_given_reference,
    ),
    LayerCase(
        # Random noise at inference: only the paper's zero-initialised scale gives a
        # deterministic output, and the case proves RANDOM_STANDARD_NORMAL converts.
        id="noise_injection_random_zero_scale",
        layer_class=NoiseInjection,
        make=lambda: NoiseInjection(seed=3),
        inputs=_normal(1, 4, 4, 2),
        reference=noise_zero_scale_reference,
    ),
    LayerCase(
        id="sampling_given_eps",
        layer_class=Sampling,
        make=lambda: Sampling(),
        inputs=lambda rng: [rng.normal(size=(4, 6)).astype(np.float32),
                            rng.normal(0, 1.5, size=(4, 6)).astype(np.float32),
                            rng.normal(size=(4, 6)).astype(np.float32)],
        reference=sampling_given_reference,
        atol=1e-4,
    ),
    LayerCase(
        id="sampling_random_vanishing_sigma",
        layer_class=Sampling,
        make=lambda: Sampling(seed=5),
        inputs=lambda rng: [rng.normal(size=(1, 8)).astype(np.float32),
                            np.full((1, 8), -80.0, np.float32)],
        reference=sampling_vanishing_sigma_reference,
    ),
    LayerCase(
        id="masked_conv_A_7x7",
        layer_class=MaskedConv2D,
        make=lambda: MaskedConv2D(4, 7, mask_type="A", padding="same"),
        inputs=_normal(2, 8, 8, 1),
        reference=lambda layer, x: masked_conv_reference(layer, x, "A"),
    ),
    LayerCase(
        id="masked_conv_B_3x3",
        layer_class=MaskedConv2D,
        make=lambda: MaskedConv2D(5, 3, mask_type="B", padding="same"),
        inputs=_normal(2, 6, 6, 4),
        reference=lambda layer, x: masked_conv_reference(layer, x, "B"),
    ),
    LayerCase(
        id="masked_conv_A_rgb_groups",
        layer_class=MaskedConv2D,
        make=lambda: MaskedConv2D(6, 5, mask_type="A", color_groups=3, padding="same"),
        inputs=_normal(1, 6, 6, 3),
        reference=lambda layer, x: masked_conv_reference(layer, x, "A", colors=3),
    ),
    LayerCase(
        id="masked_conv_B_rgb_groups",
        layer_class=MaskedConv2D,
        make=lambda: MaskedConv2D(6, 3, mask_type="B", color_groups=3, padding="same"),
        inputs=_normal(1, 5, 5, 6),
        reference=lambda layer, x: masked_conv_reference(layer, x, "B", colors=3),
    ),
]

"""Cases for the progressive-GAN and StyleGAN layers: the fade-in blend, the learned constant
input, the noise maps and the truncation trick.

Every reference below is written from the paper's formula in NumPy; it reads the layer's
weights, never calls the layer.
"""

import numpy as np

from keras_zoo.layers import ConstantInput, FadeIn, NoiseMap, Truncation
from tests.layer_harness import LayerCase


def _normal(*shape, scale=1.0):
    return lambda rng: [rng.normal(0.0, scale, shape).astype(np.float32)]


def _with_random_weights(layer, input_shape, seed=1):
    layer.build(input_shape)
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.normal(size=w.shape).astype(np.float32) for w in layer.get_weights()])
    return layer


# --- FadeIn (ProGAN section 3, figure 2) ------------------------------------------------------

def _fade(level, stage, alpha):
    layer = FadeIn(level)
    layer.assign_growth(stage, alpha)
    return layer


def fade_in_reference(layer, x):
    """ProGAN's (1 - alpha) old + alpha new for the level being grown; the new path alone for
    a level already grown, the old one for a level not reached."""
    old, new = (np.asarray(a, np.float64) for a in x)
    stage, alpha = (float(w) for w in layer.get_weights())
    if stage > layer.level:
        weight = 1.0
    elif stage == layer.level:
        weight = alpha
    else:
        weight = 0.0
    return (1.0 - weight) * old + weight * new


# --- ConstantInput, NoiseMap (StyleGAN section 2) ---------------------------------------------

def constant_reference(layer, x):
    constant = np.asarray(layer.get_weights()[0])
    return np.stack([constant] * x[0].shape[0])


# --- Truncation (StyleGAN appendix B) ---------------------------------------------------------

def truncation_reference(layer, x, psi, cutoff):
    w = np.asarray(x[0], np.float64)
    w_avg = np.asarray(layer.get_weights()[0], np.float64)
    out = w.copy()
    last = w.shape[1] if cutoff is None else min(cutoff, w.shape[1])
    for i in range(last):
        out[:, i] = w_avg + psi * (w[:, i] - w_avg)
    return out


CASES = [
    LayerCase(
        id="fade_in_growing_level",
        layer_class=FadeIn,
        make=lambda: _fade(level=2, stage=2, alpha=0.3),
        inputs=lambda rng: [rng.normal(size=(2, 4, 4, 3)).astype(np.float32),
                            rng.normal(size=(2, 4, 4, 3)).astype(np.float32)],
        reference=fade_in_reference,
    ),
    LayerCase(
        id="fade_in_level_grown_past",
        layer_class=FadeIn,
        make=lambda: _fade(level=1, stage=2, alpha=0.6),
        inputs=lambda rng: [rng.normal(size=(2, 4, 4, 3)).astype(np.float32),
                            rng.normal(size=(2, 4, 4, 3)).astype(np.float32)],
        reference=fade_in_reference,
    ),
    LayerCase(
        id="fade_in_level_not_reached",
        layer_class=FadeIn,
        make=lambda: _fade(level=2, stage=1, alpha=0.8),
        inputs=lambda rng: [rng.normal(size=(3, 2, 2, 4)).astype(np.float32),
                            rng.normal(size=(3, 2, 2, 4)).astype(np.float32)],
        reference=fade_in_reference,
    ),
    LayerCase(
        id="constant_input_4x4",
        layer_class=ConstantInput,
        make=lambda: _with_random_weights(ConstantInput((4, 4, 5)), (3, 7)),
        inputs=_normal(3, 7),
        reference=constant_reference,
    ),
    LayerCase(
        id="noise_map_fixed_at_inference",
        layer_class=NoiseMap,
        make=lambda: _with_random_weights(NoiseMap((4, 6)), (2, 4, 6, 3)),
        inputs=_normal(2, 4, 6, 3),
        reference=constant_reference,
        gradients="a noise source: its output depends on neither its input nor a trainable "
                  "weight (the learned scale is NoiseInjection's)",
    ),
    LayerCase(
        id="truncation_psi_half_cutoff_2",
        layer_class=Truncation,
        make=lambda: _with_random_weights(Truncation(psi=0.5, cutoff=2), (3, 4, 6)),
        inputs=_normal(3, 4, 6, scale=2.0),
        reference=lambda layer, x: truncation_reference(layer, x, 0.5, 2),
    ),
    LayerCase(
        id="truncation_negative_psi_all_layers",
        layer_class=Truncation,
        make=lambda: _with_random_weights(Truncation(psi=-0.5, cutoff=None), (2, 3, 5)),
        inputs=_normal(2, 3, 5),
        reference=lambda layer, x: truncation_reference(layer, x, -0.5, None),
    ),
]

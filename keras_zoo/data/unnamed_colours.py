"""Shapes captions with objects in colours the captions never name (for compositional zero-shot
tests of CLIP-like models).

CLIP's zero-shot test on the shapes captions holds some (colour, shape) pairs out of training
(``keras_zoo.tasks.multimodal_retrieval.HELD_OUT``). With four named colours and three shapes,
every shape is seen in only two or three colours, and the image tower learns colour-shape
conjunctions: a linear shape probe trained on the seen pairs' image embeddings scores 0.02 on
the held-out pairs (measured, tests/models/multimodal/test_contrastive.py). ``recolour`` adds
training pairs whose object is painted in a colour outside the named ones (purple to magenta,
cyan, or grey to white) and whose caption drops the colour word ("a small triangle"): every
shape is then seen in many colours, and no held-out pair is ever drawn or named (hues near the
named colours are excluded).

    images, texts = recolour(images, texts, fraction=0.5, seed=0)
"""

from __future__ import annotations

import colorsys

import numpy as np

from keras_zoo.data import captions

#: Hue bands (degrees) of the unnamed colours, away from red (0), yellow (~55), green (~128)
#: and blue (~225): cyan and purple-magenta. A third of the recoloured objects are grey-white.
UNNAMED_HUES = ((170.0, 195.0), (265.0, 325.0))
#: The object pixels: every named colour has a channel >= 210, the background noise is < 48.
_OBJECT_LEVEL = 100


def unnamed_colour(rng):
    """One RGB colour (uint8 triple) the captions never name."""
    if rng.random() < 1 / 3:
        level = int(rng.integers(150, 256))
        return np.array([level] * 3, np.uint8)
    low, high = UNNAMED_HUES[int(rng.integers(len(UNNAMED_HUES)))]
    hue = rng.uniform(low, high) / 360.0
    rgb = colorsys.hsv_to_rgb(hue, rng.uniform(0.6, 1.0), rng.uniform(0.75, 1.0))
    return np.round(np.array(rgb) * 255).astype(np.uint8)


def drop_colour_word(caption):
    """The caption without its colour words ("a small red circle" -> "a small circle")."""
    return " ".join(w for w in caption.split() if w not in captions.COLOURS)


def recolour(images, texts, fraction, seed=0):
    """``images`` and ``texts`` followed by ``round(fraction * N)`` recoloured copies of randomly
    chosen pairs: each copy's objects painted in one unnamed colour, its caption without the
    colour word.

    Args:
        images: uint8 ``[N, H, W, 3]`` shapes-captions images (named colours on a dark noisy
            background).
        texts: their ``N`` captions.
        fraction: copies added per original pair, in ``[0, 1]``.
        seed: everything is a function of it.
    """
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[-1] != 3 or images.dtype != np.uint8:
        raise ValueError(f"recolour: images must be uint8 [N, H, W, 3], got {images.dtype} "
                         f"{images.shape}.")
    if len(texts) != len(images):
        raise ValueError(f"recolour: {len(images)} images but {len(texts)} texts.")
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not (
            0 <= fraction <= 1):
        raise ValueError(f"recolour: fraction must be a number in [0, 1], got {fraction!r}.")
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(len(images), int(round(fraction * len(images))), replace=False))
    copies = images[chosen].copy()
    for copy in copies:
        copy[copy.max(axis=-1) >= _OBJECT_LEVEL] = unnamed_colour(rng)
    new_texts = [drop_colour_word(str(texts[i])) for i in chosen]
    return (np.concatenate([images, copies]),
            np.concatenate([np.asarray(texts, dtype=object), np.array(new_texts, dtype=object)]))

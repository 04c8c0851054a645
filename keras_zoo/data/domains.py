"""Synthetic image domains for image-to-image translation, drawn from ``shapes.generate``.

Each domain pair renders the same shape masks two ways, so a pair is exactly aligned
(Pix2pix) and an unpaired set is the same two renderings of *different* shapes (CycleGAN,
DiscoGAN: no image of one domain has its counterpart in the other).

    source, target = keras_zoo.data.domains.load("outline_to_filled", "train", (32, 32))
    a, b = keras_zoo.data.domains.load("red_to_blue_unpaired", "train", (32, 32))
    images, domain = keras_zoo.data.domains.load_labelled("colors", "train", (32, 32))
"""

from __future__ import annotations

import numpy as np

from keras_zoo.data import shapes

BACKGROUND = 16
WHITE = (235, 235, 235)
RED = (220, 40, 40)
BLUE = (40, 40, 220)
GREEN = (40, 200, 40)
#: Multi-domain sets (StarGAN): name -> the colours, one domain each.
LABELLED = {"colors": (RED, GREEN, BLUE)}


def _erode(mask):
    """4-neighbour binary erosion (a pixel stays if it and its 4 neighbours are inside)."""
    padded = np.pad(mask, ((0, 0), (1, 1), (1, 1)))
    return (mask & padded[:, :-2, 1:-1] & padded[:, 2:, 1:-1]
            & padded[:, 1:-1, :-2] & padded[:, 1:-1, 2:])


def _paint(masks, color):
    images = np.full(masks.shape + (3,), BACKGROUND, np.uint8)
    images[masks] = color
    return images


def _outline(masks):
    return _paint(masks & ~_erode(masks), WHITE)


def _filled(masks):
    return _paint(masks, WHITE)


def _red(masks):
    return _paint(masks, RED)


def _blue(masks):
    return _paint(masks, BLUE)


#: name -> (render source, render target)
DOMAINS = {
    "outline_to_filled": (_outline, _filled),
    "red_to_blue": (_red, _blue),
}
SPLIT_SEEDS = {"train": 0, "validation": 1, "test": 2}
SPLIT_SIZES = {"train": 400, "validation": 100, "test": 100}
_UNPAIRED = "_unpaired"


def _masks(n, image_size, seed):
    h, w = image_size
    data = shapes.generate(n, image_size=(h, w), seed=seed,
                           min_radius=max(2.0, 0.15 * min(h, w)),
                           max_radius=max(3.0, 0.4 * min(h, w)))
    return data["masks"].max(axis=1).astype(bool)


def names():
    return sorted(list(DOMAINS) + [n + _UNPAIRED for n in DOMAINS])


def load(name: str, split: str = "train", image_size=(32, 32), n: int | None = None):
    """``(source uint8 [N,H,W,3], target uint8 [N,H,W,3])``.

    Args:
        name: a key of ``DOMAINS`` (aligned pairs) or the same with ``"_unpaired"`` (the target
            images show other shapes than the sources).
        split: "train" (400), "validation" (100) or "test" (100); disjoint by seed.
        image_size: ``(height, width)``.
        n: number of images (default: the split's size).
    """
    base = name[: -len(_UNPAIRED)] if name.endswith(_UNPAIRED) else name
    if base not in DOMAINS:
        raise ValueError(f"Unknown domain pair {name!r}; expected one of {names()}.")
    if split not in SPLIT_SEEDS:
        raise ValueError(f"split must be one of {list(SPLIT_SEEDS)}, got {split!r}.")
    n = SPLIT_SIZES[split] if n is None else n
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}.")
    render_source, render_target = DOMAINS[base]
    seed = SPLIT_SEEDS[split]
    masks = _masks(n, tuple(image_size), seed)
    other = _masks(n, tuple(image_size), seed + 1000) if base != name else masks
    return render_source(masks), render_target(other)


def load_labelled(name: str = "colors", split: str = "train", image_size=(32, 32),
                  n: int | None = None):
    """``(images uint8 [N,H,W,3], domain labels int32 [N])`` of a multi-domain set: each shape
    painted in the colour of a random domain (``"colors"``: 0 red, 1 green, 2 blue)."""
    if name not in LABELLED:
        raise ValueError(f"Unknown labelled domain set {name!r}; expected one of "
                         f"{sorted(LABELLED)}.")
    if split not in SPLIT_SEEDS:
        raise ValueError(f"split must be one of {list(SPLIT_SEEDS)}, got {split!r}.")
    n = SPLIT_SIZES[split] if n is None else n
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}.")
    colours = LABELLED[name]
    masks = _masks(n, tuple(image_size), SPLIT_SEEDS[split])
    labels = np.random.default_rng(SPLIT_SEEDS[split] + 77).integers(0, len(colours), n)
    images = np.full(masks.shape + (3,), BACKGROUND, np.uint8)
    for i, (mask, label) in enumerate(zip(masks, labels, strict=True)):
        images[i][mask] = colours[label]
    return images, labels.astype(np.int32)


# --- Domain adaptation: labelled source digits, a shifted target domain of the same digits ---

#: name -> the target rendering of grey digits (uint8 [N,H,W,1] -> uint8 [N,H,W,3]).
ADAPTATION = ("digits_to_textured", "digits_to_inverted")


def _textured(digits, seed):
    """MNIST-M's construction (Ganin et al., JMLR 2016, section 5.1.1): |texture - digit| per
    channel, with smooth random colour textures in place of BSDS500 photo patches.

    The textures take values in [32, 144]: over full-range [0, 255] textures half of every
    stroke is inverted, and a linear classifier of the source pixels scored 0.07 on the target
    (below chance); in [32, 144] it scores about 0.4, the regime of MNIST-M's 0.52 source-only
    accuracy (Ganin et al., table 1).
    """
    import tensorflow as tf

    n, h, w, _ = digits.shape
    rng = np.random.default_rng(seed)
    coarse = rng.uniform(32, 144, size=(n, 4, 4, 3)).astype(np.float32)
    texture = tf.image.resize(coarse, (h, w), "bicubic").numpy()
    texture += rng.normal(0, 10, size=texture.shape)
    out = np.abs(np.clip(texture, 0, 255) - digits.astype(np.float32))
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def load_adaptation(name="digits_to_textured", domain="source", split="train", image_size=(32, 32)):
    """``(uint8 images [N,H,W,3], int32 labels [N])`` of one domain of an adaptation task.

    The source is the embedded digits (grey, repeated to RGB); the target is the same split
    rendered differently ("digits_to_textured": MNIST-M-like colour textures;
    "digits_to_inverted": 255 - pixel), in another order, so that no batch pairs an image with
    its own counterpart. Target labels exist for evaluation only: a domain-adaptation model
    must not train on them.

    Args:
        name: one of ``ADAPTATION``.
        domain: "source" or "target".
        split: "train", "validation" or "test" (the digits' fixed split).
        image_size: ``(height, width)``.
    """
    from keras_zoo.data import digits

    if name not in ADAPTATION:
        raise ValueError(f"Unknown adaptation task {name!r}; expected one of {list(ADAPTATION)}.")
    if domain not in ("source", "target"):
        raise ValueError(f"domain must be 'source' or 'target', got {domain!r}.")
    images, labels = digits.load(split, image_size=tuple(image_size), channels=1)
    if domain == "source":
        return np.repeat(images, 3, axis=-1), labels
    seed = SPLIT_SEEDS[split] + 500
    order = np.random.default_rng(seed).permutation(len(images))
    images, labels = images[order], labels[order]
    if name == "digits_to_inverted":
        return np.repeat(255 - images, 3, axis=-1), labels
    return _textured(images, seed), labels

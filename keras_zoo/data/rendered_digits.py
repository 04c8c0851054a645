"""Digits rendered at 28x28 with MNIST's preprocessing, from a seed: no network, 784 pixels of
their own (sklearn's ``digits`` are 8x8 images upscaled, 64 independent values).

Each image is one digit drawn with one of OpenCV's Hershey fonts (upright and italic; the
script fonts look handwritten) on a large canvas, warped by a
random affine transform (rotation, scale, shear, translation) and an elastic distortion
(Simard, Steinkraus & Platt, Best Practices for Convolutional Neural Networks Applied to Visual
Document Analysis, ICDAR 2003: a random displacement field smoothed by a Gaussian), then
preprocessed as LeCun et al. describe MNIST's: the ink's bounding box scaled (anti-aliased) to
fit a 20x20 box, aspect ratio kept, and placed in a 28x28 image with its centre of mass at the
centre; a slight blur softens the strokes. White digits on black, uint8 0..255.

The distortions are strong on purpose: the milder the variation, the larger the margins by
which a normally trained network separates the classes, and the more images survive a small
L-infinity attack. Measured (Madry et al.'s network, Adam 1e-3, batch 50, 15 epochs, PGD-40 of
step 0.01 at eps 0.1, the validation split): rotation 15 degrees, shear 0.35, elastic alpha
20-36: clean 1.0, 0.584 survive; 20 / 0.5 / 30-55: 1.0, 0.342; 25 / 0.6 / 40-70 with pen
skips: 0.990, 0.166; the setting below (30 / 0.7 / 50-85, pen skips in half): 0.976, 0.060.

``load_20k`` (``"rendered_digits_20k"``) is the same dataset with a training split of 20,000
images (its own seed) and the same validation and test images: on 4,000 images PGD adversarial
training overfits the attack (Schmidt et al., Adversarially Robust Generalization Requires More
Data, NeurIPS 2018). Measured (Madry et al.'s network, PGD-7 training at eps 0.1, Adam 1e-3
cosine, batch 50, 800 steps; PGD-40 at 0.1 on the validation split / on 500 training images):
4,000 images 0.640 / 0.756, 20,000 images 0.670 / 0.676. The recipe
``madry_rendered_digits_adversarial`` (2,400 steps) keeps 0.745 of the test digits at eps 0.1;
the same training without the attack leaves 0.047 (clean 0.994).
"""

from __future__ import annotations

import functools

import numpy as np

NUM_CLASSES = 10
#: Images per split (each class equally often); the splits are disjoint by seed.
SIZES = {"train": 4000, "validation": 500, "test": 1000}
_SPLIT_SEEDS = {"train": 0, "validation": 1, "test": 2}
SPLITS = tuple(SIZES)
#: The training split of ``load_20k`` (validation and test as ``load``'s).
LARGE_TRAIN_SIZE = 20000
_LARGE_TRAIN_SEED = 3

_CANVAS = 96  # the drawing's resolution before the 20x20 fit


def _fonts():
    import cv2

    upright = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_PLAIN, cv2.FONT_HERSHEY_DUPLEX,
               cv2.FONT_HERSHEY_COMPLEX, cv2.FONT_HERSHEY_TRIPLEX,
               cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, cv2.FONT_HERSHEY_SCRIPT_COMPLEX)
    return upright + tuple(f | cv2.FONT_ITALIC for f in upright)


def _draw(digit, rng, cv2, fonts):
    """One digit on a ``_CANVAS`` square, float32 0..1, before the MNIST-style fit."""
    font = fonts[int(rng.integers(len(fonts)))]
    # OpenCV 5's putText draws these strokes alike for every thickness >= 2 (measured: the
    # same pixels at 2, 5, 9 and 15); the width varies with the affine scale and the 20x20 fit.
    # The draw stays: the measured data (module docstring) is this seed stream.
    rng.integers(2, 12)
    thickness = 2
    scale = 2.2
    (w, h), _ = cv2.getTextSize(str(digit), font, scale, thickness)
    canvas = np.zeros((_CANVAS, _CANVAS), np.uint8)
    origin = ((_CANVAS - w) // 2, (_CANVAS + h) // 2)
    cv2.putText(canvas, str(digit), origin, font, scale, 255, thickness, cv2.LINE_AA)
    if rng.uniform() < 0.5:  # a pen skip: a thin gap across the strokes
        a, b = rng.uniform(20, _CANVAS - 20, size=(2, 2))
        cv2.line(canvas, tuple(int(v) for v in a), tuple(int(v) for v in b), 0,
                 int(rng.integers(2, 5)), cv2.LINE_AA)
    image = canvas.astype(np.float32) / 255.0

    # Affine: rotation, anisotropic scale, shear and translation about the centre.
    angle = np.deg2rad(rng.uniform(-30.0, 30.0))
    sx, sy = rng.uniform(0.5, 1.25), rng.uniform(0.8, 1.2)
    shear = rng.uniform(-0.7, 0.7)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    linear = rotation @ np.array([[1.0, shear], [0.0, 1.0]]) @ np.diag([sx, sy])
    centre = np.array([_CANVAS / 2, _CANVAS / 2])
    shift = rng.uniform(-4.0, 4.0, size=2)
    matrix = np.hstack([linear, (centre + shift - linear @ centre)[:, None]])
    image = cv2.warpAffine(image, matrix.astype(np.float32), (_CANVAS, _CANVAS),
                           flags=cv2.INTER_LINEAR, borderValue=0.0)

    # Elastic distortion (Simard et al. 2003): uniform [-1, 1] displacements, smoothed by a
    # Gaussian of sigma, scaled by alpha (their 28x28 alpha 34, sigma 4; in canvas pixels).
    factor = _CANVAS / 28.0
    sigma, alpha = 4.0 * factor, rng.uniform(50.0, 85.0) * factor
    dx, dy = (cv2.GaussianBlur(rng.uniform(-1, 1, (_CANVAS, _CANVAS)).astype(np.float32),
                               (0, 0), sigma) * alpha for _ in range(2))
    yy, xx = np.mgrid[0:_CANVAS, 0:_CANVAS].astype(np.float32)
    return cv2.remap(image, xx + dx, yy + dy, cv2.INTER_LINEAR, borderValue=0.0)


def _mnist_fit(image, rng, cv2):
    """MNIST's preprocessing: the ink's box scaled to fit 20x20, centred by centre of mass in
    28x28; then a slight blur. ``image`` float32 0..1 -> uint8 28x28."""
    ys, xs = np.nonzero(image > 0.05)
    crop = image[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    h, w = crop.shape
    ratio = 20.0 / max(h, w)
    size = (max(1, int(round(w * ratio))), max(1, int(round(h * ratio))))
    small = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
    mass = small.sum()
    cy = (small.sum(axis=1) * np.arange(small.shape[0])).sum() / mass
    cx = (small.sum(axis=0) * np.arange(small.shape[1])).sum() / mass
    shift = np.array([[1.0, 0.0, 13.5 - cx], [0.0, 1.0, 13.5 - cy]], np.float32)
    out = cv2.warpAffine(small, shift, (28, 28), flags=cv2.INTER_LINEAR, borderValue=0.0)
    out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.3, 0.7))
    out = out / max(float(out.max()), 1e-6)
    return np.clip(np.round(out * 255.0), 0, 255).astype(np.uint8)


def generate(n: int, seed: int = 0):
    """``n`` rendered digits: ``(uint8 images [n, 28, 28, 1], int32 labels [n])``.

    Args:
        n: number of images; the labels cycle 0..9 in a seeded random order, so every class
            has ``n // 10`` or ``n // 10 + 1`` images.
        seed: everything is a function of it.
    """
    import cv2

    rng = np.random.default_rng(seed)
    fonts = _fonts()
    labels = rng.permutation(np.arange(n) % NUM_CLASSES).astype(np.int32)
    images = np.zeros((n, 28, 28, 1), np.uint8)
    for i, digit in enumerate(labels):
        images[i, ..., 0] = _mnist_fit(_draw(int(digit), rng, cv2, fonts), rng, cv2)
    return images, labels


@functools.lru_cache(maxsize=len(SIZES))
def _split(split):
    return generate(SIZES[split], seed=1000 + _SPLIT_SEEDS[split])


@functools.lru_cache(maxsize=1)
def _large_train(n):
    return generate(n, seed=1000 + _LARGE_TRAIN_SEED)


def load_20k(split="train", image_size=None, channels=None):
    """As ``load``, with 20,000 training images (``LARGE_TRAIN_SIZE``, drawn from a seed of
    their own) instead of 4,000; the same validation and test splits.

    Args:
        split: "train" (20,000), "validation" (500) or "test" (1,000).
        image_size: ``(height, width)``; ``None`` keeps 28x28 (bilinear resizing otherwise).
        channels: 1 or 3 (grey repeated); ``None`` keeps 1.
    """
    if split != "train":
        return load(split, image_size, channels)
    from keras_zoo.data.digits import resize_images

    images, labels = _large_train(LARGE_TRAIN_SIZE)
    return resize_images(images.copy(), image_size, channels), labels.copy()


def load(split="train", image_size=None, channels=None):
    """``(images uint8 [N,H,W,C], labels int32 [N])`` of one split.

    Args:
        split: "train" (4,000), "validation" (500) or "test" (1,000): fixed, drawn from
            disjoint seeds, every class equally often.
        image_size: ``(height, width)``; ``None`` keeps 28x28 (bilinear resizing otherwise).
        channels: 1 or 3 (grey repeated); ``None`` keeps 1.
    """
    if split not in SIZES:
        raise ValueError(f"split must be one of {list(SPLITS)}, got {split!r}.")
    from keras_zoo.data.digits import resize_images

    images, labels = _split(split)
    return resize_images(images.copy(), image_size, channels), labels.copy()

"""scikit-learn's handwritten digits (1,797 8x8 images, 10 classes): ships with scikit-learn, so
it needs no network. Resized on load to any model's input (28, 32, 64, 227 ...) and channels."""

from __future__ import annotations

import functools

import numpy as np

#: The fixed split: the same 20 % of each class is held out every time.
TEST_FRACTION = 0.2
VALIDATION_FRACTION = 0.1
SPLITS = ("train", "validation", "test", "all")


@functools.lru_cache(maxsize=1)
def _raw():
    from sklearn.datasets import load_digits

    digits = load_digits()
    # 0..16 grey levels -> 0..255 uint8, the raw pixels a camera or a client would send.
    images = np.round(digits.images * (255.0 / 16.0)).astype(np.uint8)[..., None]
    return images, digits.target.astype(np.int32)


@functools.lru_cache(maxsize=1)
def _split_indices():
    _, labels = _raw()
    rng = np.random.default_rng(0)
    parts = {"train": [], "validation": [], "test": []}
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        n_test = int(round(len(idx) * TEST_FRACTION))
        n_val = int(round(len(idx) * VALIDATION_FRACTION))
        parts["test"].append(idx[:n_test])
        parts["validation"].append(idx[n_test:n_test + n_val])
        parts["train"].append(idx[n_test + n_val:])
    return {k: np.sort(np.concatenate(v)) for k, v in parts.items()}


def resize_images(images: np.ndarray, image_size=None, channels=None) -> np.ndarray:
    """Resizes uint8 NHWC images bilinearly and repeats or averages channels; stays uint8."""
    if image_size is not None and tuple(image_size) != images.shape[1:3]:
        import tensorflow as tf

        resized = tf.image.resize(images.astype(np.float32), tuple(image_size), "bilinear")
        images = np.clip(np.round(resized.numpy()), 0, 255).astype(np.uint8)
    if channels is not None and channels != images.shape[-1]:
        if images.shape[-1] == 1:
            images = np.repeat(images, channels, axis=-1)
        elif channels == 1:
            images = np.round(images.mean(axis=-1, keepdims=True)).astype(np.uint8)
        else:
            raise ValueError(f"channels: cannot turn {images.shape[-1]} channels into {channels}.")
    return images


def load(split="train", image_size=None, channels=None):
    """``(images uint8 [N,H,W,C], labels int32 [N])`` of one split.

    Args:
        split: "train" (70 %), "validation" (10 %), "test" (20 %) or "all"; fixed, stratified.
        image_size: ``(height, width)``; ``None`` keeps 8x8.
        channels: 1 or 3 (grey repeated); ``None`` keeps 1.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {list(SPLITS)}, got {split!r}.")
    images, labels = _raw()
    if split != "all":
        idx = _split_indices()[split]
        images, labels = images[idx], labels[idx]
    return resize_images(images, image_size, channels), labels


NUM_CLASSES = 10

"""Procedurally drawn shapes with exact labels, boxes and instance masks, from a seed.

One generator serves classification (the class of the single object), detection (boxes and
classes) and segmentation (instance and semantic masks): the same image always has the same
annotations, and everything is computed from the drawn pixels, so boxes are exact.
"""

from __future__ import annotations

import numpy as np

CLASSES = ("circle", "square", "triangle")


def _shape_mask(kind, cx, cy, r, yy, xx):
    if kind == "circle":
        return (xx - cx) ** 2 + (yy - cy) ** 2 <= r ** 2
    if kind == "square":
        return (np.abs(xx - cx) <= r * 0.85) & (np.abs(yy - cy) <= r * 0.85)
    if kind == "triangle":  # apex up, base at cy + r
        top, bottom = cy - r, cy + r * 0.8
        inside_y = (yy >= top) & (yy <= bottom)
        half_width = (yy - top) / (bottom - top) * r
        return inside_y & (np.abs(xx - cx) <= half_width)
    raise ValueError(f"unknown shape {kind!r}; expected one of {CLASSES}.")


def _box(mask):
    ys, xs = np.nonzero(mask)
    return np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], np.float32)


def _iou(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    area = lambda z: (z[2] - z[0]) * (z[3] - z[1])  # noqa: E731
    return inter / (area(a) + area(b) - inter)


def generate(
    n: int,
    image_size=(64, 64),
    min_objects: int = 1,
    max_objects: int = 1,
    classes=CLASSES,
    min_radius: float | None = None,
    max_radius: float | None = None,
    max_overlap: float = 0.2,
    seed: int = 0,
):
    """Draws ``n`` images with 1..``max_objects`` shapes on a noisy dark background.

    Args:
        n: number of images.
        image_size: ``(height, width)``.
        min_objects, max_objects: objects per image (uniform in the range).
        classes: which shapes; class ``i`` is ``classes[i]``.
        min_radius, max_radius: object size in pixels (default 10 % and 30 % of the short side).
        max_overlap: largest IoU allowed between two boxes of an image.
        seed: everything is a function of it.

    Returns:
        A dict of numpy arrays, padded to ``max_objects`` (padding has class -1, box 0, mask 0):
        ``images`` uint8 [n,H,W,3]; ``labels`` int32 [n] (class of the largest object);
        ``boxes`` float32 [n,M,4] pixels ``(x_min, y_min, x_max, y_max)``; ``classes`` int32 [n,M];
        ``masks`` uint8 [n,M,H,W] (visible pixels of each instance); ``num_objects`` int32 [n];
        ``segmentation`` uint8 [n,H,W] (0 background, class + 1 elsewhere).
    """
    if not 1 <= min_objects <= max_objects:
        raise ValueError(
            f"need 1 <= min_objects <= max_objects, got min_objects={min_objects}, "
            f"max_objects={max_objects}."
        )
    unknown = [c for c in classes if c not in CLASSES]
    if unknown:
        raise ValueError(f"classes: unknown shapes {unknown}; expected some of {CLASSES}.")
    h, w = image_size
    short = min(h, w)
    r_min = min_radius if min_radius is not None else max(2.0, 0.1 * short)
    r_max = max_radius if max_radius is not None else max(r_min + 1, 0.3 * short)
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32) + 0.5

    out = {
        "images": np.zeros((n, h, w, 3), np.uint8),
        "labels": np.zeros((n,), np.int32),
        "boxes": np.zeros((n, max_objects, 4), np.float32),
        "classes": np.full((n, max_objects), -1, np.int32),
        "masks": np.zeros((n, max_objects, h, w), np.uint8),
        "num_objects": np.zeros((n,), np.int32),
        "segmentation": np.zeros((n, h, w), np.uint8),
    }
    for i in range(n):
        image = rng.integers(0, 48, size=(h, w, 3)).astype(np.float32)
        count = int(rng.integers(min_objects, max_objects + 1))
        placed = []  # (class, mask, box)
        for _ in range(count):
            for _attempt in range(50):
                kind = int(rng.integers(len(classes)))
                r = float(rng.uniform(r_min, r_max))
                cx = float(rng.uniform(r, w - r))
                cy = float(rng.uniform(r, h - r))
                mask = _shape_mask(classes[kind], cx, cy, r, yy, xx)
                if mask.sum() < 4:
                    continue
                box = _box(mask)
                if all(_iou(box, b) <= max_overlap for _, _, b in placed):
                    break
            else:
                continue  # no room left: the image keeps the objects it has
            color = rng.integers(96, 256, size=3).astype(np.float32)
            color[rng.integers(3)] = rng.integers(0, 64)  # saturated, far from the background
            image[mask] = color
            # A later object hides what it covers of earlier ones.
            placed = [(k, m & ~mask, b) for k, m, b in placed]
            placed.append((kind, mask, box))
        placed = [(k, m, _box(m)) for k, m, _ in placed if m.sum() > 0]
        out["images"][i] = image.astype(np.uint8)
        out["num_objects"][i] = len(placed)
        areas = [m.sum() for _, m, _ in placed]
        out["labels"][i] = placed[int(np.argmax(areas))][0]
        for j, (k, m, b) in enumerate(placed):
            out["classes"][i, j] = k
            out["boxes"][i, j] = b
            out["masks"][i, j] = m
            out["segmentation"][i][m] = k + 1
    return out


def load(split="train", image_size=(32, 32), channels=3, n=None, **kwargs):
    """``(images, labels)`` of single-object shape images, for classification.

    The splits are disjoint by seed: train 0, validation 1, test 2.
    """
    seeds = {"train": 0, "validation": 1, "test": 2}
    if split not in seeds:
        raise ValueError(f"split must be one of {list(seeds)}, got {split!r}.")
    sizes = {"train": 600, "validation": 100, "test": 200}
    data = generate(n or sizes[split], image_size=image_size, seed=seeds[split], **kwargs)
    images = data["images"]
    if channels == 1:
        images = np.round(images.mean(-1, keepdims=True)).astype(np.uint8)
    return images, data["labels"]


NUM_CLASSES = len(CLASSES)

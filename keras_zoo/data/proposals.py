"""Region proposals by selective search (Uijlings, van de Sande, Gevers & Smeulders, Selective
Search for Object Recognition, IJCV 2013), as R-CNN (Girshick et al. 2014) and Fast R-CNN
(Girshick 2015) use them, and the training data built from them.

Selective search runs outside the TF graph, with OpenCV's implementation
(``cv2.ximgproc.segmentation``, package ``opencv-contrib-python-headless``) in its "fast" mode,
the mode R-CNN uses (section 2.1): Felzenszwalb-Huttenlocher segmentations with ``k = 50,
100`` in the HSV and Lab colour spaces, grouped hierarchically by colour, texture, size and fill
similarities. OpenCV ranks the regions with C's ``rand()`` (the paper's pseudo-random
ranking), so we seed it (``srand``) before each image: the same image always gets the same
proposals in the same order. Results are cached in memory by the image's bytes and the
parameters, so a test or a recipe that asks twice pays once (a 64 x 64 image takes ~12 ms).
"""

from __future__ import annotations

import ctypes
import hashlib
import threading

import numpy as np

#: Selective search "fast" (Uijlings et al., Table 5): k = 50, 100 (``base_k``, ``base_k +
#: inc_k``) and Felzenszwalb's smoothing sigma 0.8.
FAST = {"base_k": 50, "inc_k": 50, "sigma": 0.8}

_CACHE: dict = {}
_LOCK = threading.Lock()


def _libc():
    return ctypes.CDLL(None)


def _check_image(image):
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[-1] != 3 or image.dtype != np.uint8:
        raise ValueError(f"image must be uint8 [height, width, 3] (RGB), got {image.dtype} "
                         f"{image.shape}.")
    return image


def selective_search(image, min_size=2, base_k=FAST["base_k"], inc_k=FAST["inc_k"],
                     sigma=FAST["sigma"], seed=0):
    """Selective search proposals of one image, in selective search's rank order.

    Args:
        image: uint8 ``[H, W, 3]`` RGB.
        min_size: boxes narrower or lower than this many pixels are dropped.
        base_k, inc_k, sigma: the "fast" mode's segmentations (``k = base_k, base_k + inc_k``).
        seed: of the pseudo-random ranking.

    Returns:
        float32 ``[P, 4]`` xyxy pixels, inside the image, without duplicates.
    """
    image = _check_image(image)
    key = (hashlib.sha1(image.tobytes()).hexdigest(), image.shape, min_size, base_k, inc_k,
           sigma, seed)
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key].copy()
        import cv2

        search = cv2.ximgproc.segmentation.createSelectiveSearchSegmentation()
        search.setBaseImage(np.ascontiguousarray(image[..., ::-1]))  # OpenCV wants BGR
        search.switchToSelectiveSearchFast(int(base_k), int(inc_k), float(sigma))
        _libc().srand(int(seed))
        rects = np.asarray(search.process(), np.float32).reshape(-1, 4)  # x, y, w, h
        boxes = np.concatenate([rects[:, :2], rects[:, :2] + rects[:, 2:]], axis=1)
        keep = ((boxes[:, 2] - boxes[:, 0]) >= min_size) & ((boxes[:, 3] - boxes[:, 1])
                                                            >= min_size)
        boxes = boxes[keep]
        _, first = np.unique(boxes, axis=0, return_index=True)
        boxes = boxes[np.sort(first)]
        _CACHE[key] = boxes
    return boxes.copy()


def batch_proposals(images, num_proposals, **options):
    """``[n, num_proposals, 4]`` float32: each image's first ``num_proposals`` selective search
    boxes, zero-padded (a zero box is padding for every consumer here).

    Args:
        images: uint8 ``[n, H, W, 3]``.
        num_proposals: boxes per image.
        options: of ``selective_search``.
    """
    if not isinstance(num_proposals, int) or num_proposals < 1:
        raise ValueError(f"num_proposals must be a positive int, got {num_proposals!r}.")
    out = np.zeros((len(images), num_proposals, 4), np.float32)
    for i, image in enumerate(images):
        boxes = selective_search(image, **options)[:num_proposals]
        out[i, :len(boxes)] = boxes
    return out


def proposals_for(images, num_proposals, **options):
    """``batch_proposals`` of float images in [0, 1] (eager tensors or arrays), for the
    detectors' ``detect(images)`` without explicit proposals (``keras-zoo predict``, the
    mAP callback). Selective search is not a TF op: this cannot run inside a graph."""
    import tensorflow as tf

    if not tf.executing_eagerly():
        raise ValueError("proposals: selective search cannot run inside a TF graph; pass "
                         "proposals (keras_zoo.data.proposals.batch_proposals) explicitly.")
    pixels = np.clip(np.round(np.asarray(images, np.float32) * 255.0), 0, 255).astype(np.uint8)
    return batch_proposals(pixels, num_proposals, **options)


def box_iou(a, b):
    """Pairwise IoU of xyxy boxes ``[M, 4]`` x ``[N, 4]`` in NumPy (0 for empty boxes)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    ix = np.clip(np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0],
                                                                      b[None, :, 0]), 0, None)
    iy = np.clip(np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1],
                                                                      b[None, :, 1]), 0, None)
    inter = ix * iy
    area = lambda z: (z[:, 2] - z[:, 0]) * (z[:, 3] - z[:, 1])  # noqa: E731
    union = area(a)[:, None] + area(b)[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def recall(proposals, gt_boxes, gt_classes, threshold=0.5):
    """The fraction of ground-truth objects covered by some proposal with IoU >= threshold."""
    found = total = 0
    for p, g, c in zip(proposals, gt_boxes, gt_classes, strict=True):
        g = np.asarray(g)[np.asarray(c) >= 0]
        p = np.asarray(p)[(np.asarray(p)[:, 2] - np.asarray(p)[:, 0]) > 0]
        total += len(g)
        if len(g) and len(p):
            found += int((box_iou(g, p).max(axis=1) >= threshold).sum())
    return found / max(total, 1)


def region_targets(proposals, gt_boxes, gt_classes, fg_iou=0.5, regression_iou=0.6):
    """R-CNN's per-region training targets (section 2.3 and appendix C), in NumPy.

    Every proposal and every ground-truth box of an image is a region. A region with IoU >=
    ``fg_iou`` with a ground-truth box is a positive of that box's class (label ``c + 1``),
    any other is background (label 0): the fine-tuning rule. Class-specific box regression
    learns from regions with IoU > ``regression_iou`` (0.6) with their box.

    Args:
        proposals: ``[n, P, 4]`` xyxy pixels (zero rows are padding).
        gt_boxes: ``[n, M, 4]``; gt_classes: ``[n, M]`` (-1 padding).

    Returns:
        A dict of flat arrays over all regions: ``image`` (index) int32, ``boxes`` float32
        ``[N, 4]``, ``labels`` int32, ``targets`` float32 ``[N, 4]`` (the matched box, xyxy),
        ``regress`` float32 (1 where box regression learns).
    """
    out = {"image": [], "boxes": [], "labels": [], "targets": [], "regress": []}
    for i, (p, g, c) in enumerate(zip(proposals, gt_boxes, gt_classes, strict=True)):
        real = np.asarray(c) >= 0
        g, c = np.asarray(g, np.float32)[real], np.asarray(c)[real]
        p = np.asarray(p, np.float32)
        p = p[(p[:, 2] - p[:, 0]) > 0]
        regions = np.concatenate([g, p])
        if len(g):
            overlaps = box_iou(regions, g)
            best = overlaps.argmax(axis=1)
            best_iou = overlaps.max(axis=1)
            labels = np.where(best_iou >= fg_iou, c[best] + 1, 0)
            targets = g[best]
        else:
            best_iou = np.zeros(len(regions))
            labels = np.zeros(len(regions), np.int64)
            targets = np.zeros_like(regions)
        out["image"].append(np.full(len(regions), i))
        out["boxes"].append(regions)
        out["labels"].append(labels)
        out["targets"].append(targets)
        out["regress"].append((best_iou > regression_iou).astype(np.float32))
    dtypes = {"image": np.int32, "boxes": np.float32, "labels": np.int32,
              "targets": np.float32, "regress": np.float32}
    return {k: np.concatenate(v).astype(dtypes[k]) if v else np.zeros((0,), dtypes[k])
            for k, v in out.items()}


def with_ground_truth(proposals, gt_boxes, gt_classes, num_proposals):
    """``[n, num_proposals, 4]``: each image's ground-truth boxes, then its proposals, zero
    padded: Fast R-CNN's training RoIs (its code adds the ground truth to the proposals, so
    every object has a perfect RoI)."""
    out = np.zeros((len(proposals), num_proposals, 4), np.float32)
    for i, (p, g, c) in enumerate(zip(proposals, gt_boxes, gt_classes, strict=True)):
        g = np.asarray(g, np.float32)[np.asarray(c) >= 0]
        p = np.asarray(p, np.float32)
        p = p[(p[:, 2] - p[:, 0]) > 0]
        boxes = np.concatenate([g, p])[:num_proposals]
        out[i, :len(boxes)] = boxes
    return out

"""Generalised intersection over union (Rezatofighi, Tsoi, Gwak, Sadeghian, Reid & Savarese,
Generalized Intersection over Union, CVPR 2019), pairwise, as DETR's box loss and matching cost
use it (Carion et al. 2020, section 3.1).

``GIoU(A, B) = IoU(A, B) - |C \\ (A u B)| / |C|`` with ``C`` the smallest box enclosing both; it
lies in ``(-1, 1]`` and, unlike IoU, still has a gradient when the boxes do not overlap.
"""

from __future__ import annotations

import tensorflow as tf


def _area(boxes):
    return (tf.maximum(boxes[..., 2] - boxes[..., 0], 0.0)
            * tf.maximum(boxes[..., 3] - boxes[..., 1], 0.0))


def generalized_iou(boxes1, boxes2, epsilon=1e-7):
    """Pairwise GIoU of xyxy boxes: ``[..., M, 4]`` x ``[..., N, 4]`` -> ``[..., M, N]``.

    Leading (batch) axes must match. ``epsilon`` keeps degenerate boxes (zero area, e.g. a
    prediction collapsed to a point) finite: two identical points have GIoU 0, not NaN.

    Args:
        boxes1: ``[..., M, 4]`` ``(x_min, y_min, x_max, y_max)``.
        boxes2: ``[..., N, 4]`` in the same units.
        epsilon: added to the union and to the enclosing area.
    """
    a = tf.expand_dims(tf.cast(boxes1, tf.float32), -2)  # [..., M, 1, 4]
    b = tf.expand_dims(tf.cast(boxes2, tf.float32), -3)  # [..., 1, N, 4]
    top_left = tf.maximum(a[..., :2], b[..., :2])
    bottom_right = tf.minimum(a[..., 2:], b[..., 2:])
    wh = tf.maximum(bottom_right - top_left, 0.0)
    intersection = wh[..., 0] * wh[..., 1]
    union = _area(a) + _area(b) - intersection
    iou = intersection / (union + epsilon)
    enclosing_wh = tf.maximum(tf.maximum(a[..., 2:], b[..., 2:])
                              - tf.minimum(a[..., :2], b[..., :2]), 0.0)
    enclosing = enclosing_wh[..., 0] * enclosing_wh[..., 1]
    return iou - (enclosing - union) / (enclosing + epsilon)

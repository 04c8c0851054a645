"""Intersection over union of xyxy boxes, through ``keras.utils.bounding_boxes.compute_iou``."""

from __future__ import annotations

import keras


def iou(boxes1, boxes2):
    """Pairwise IoU: ``[M, 4]`` x ``[N, 4]`` -> ``[M, N]`` (batched ``[B, M, 4]`` too).

    Degenerate boxes (zero area) have IoU 0 with everything.
    """
    return keras.utils.bounding_boxes.compute_iou(boxes1, boxes2, bounding_box_format="xyxy")

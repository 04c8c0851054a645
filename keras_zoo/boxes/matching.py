"""Matching anchors (default boxes) to ground truth, in the graph, for a padded batch.

Faster R-CNN (section 3.1.2) and SSD (section 2.2, "Matching strategy") use the same rule: an
anchor is positive if its IoU with some ground-truth box is at least ``positive_iou``, and each
ground-truth box's best anchor is positive whatever its IoU (so no object goes unmatched);
anchors under ``negative_iou`` with every box are negatives; the rest are ignored.
"""

from __future__ import annotations

from keras import ops

from keras_zoo.boxes.iou import iou


def match_anchors(anchors, gt_boxes, gt_classes, positive_iou=0.5, negative_iou=None):
    """Assigns every anchor a ground-truth box of its image, or background.

    Args:
        anchors: ``[N, 4]`` xyxy pixels.
        gt_boxes: ``[B, M, 4]`` xyxy pixels, padded.
        gt_classes: ``[B, M]`` int, ``-1`` marks padding.
        positive_iou: IoU from which an anchor is positive.
        negative_iou: IoU under which it is negative (default ``positive_iou``: no ignored band).

    Returns:
        A dict of ``boxes`` ``[B, N, 4]`` (the matched box, zeros for background), ``classes``
        ``[B, N]`` int32 (the matched class, -1 for background and ignored), ``indices``
        ``[B, N]`` int32 (the best ground-truth row, meaningful for positives), ``positive`` and
        ``negative`` ``[B, N]`` float32 masks.
    """
    negative_iou = positive_iou if negative_iou is None else negative_iou
    if not 0.0 <= negative_iou <= positive_iou <= 1.0:
        raise ValueError(f"need 0 <= negative_iou <= positive_iou <= 1, got negative_iou="
                         f"{negative_iou}, positive_iou={positive_iou}.")
    gt_boxes = ops.cast(gt_boxes, "float32")
    gt_classes = ops.cast(gt_classes, "int32")
    valid = ops.cast(gt_classes >= 0, "float32")  # [B, M]
    overlaps = iou(ops.cast(anchors, "float32"), gt_boxes)  # [B, N, M]
    # Padding never wins: its IoU becomes -1.
    overlaps = overlaps * valid[:, None, :] - (1.0 - valid[:, None, :])
    best_iou = ops.max(overlaps, axis=2)  # [B, N]
    best_gt = ops.argmax(overlaps, axis=2)  # [B, N]
    # Each real box claims its best anchor.
    num_anchors = ops.shape(overlaps)[1]
    claimed = ops.one_hot(ops.argmax(overlaps, axis=1), num_anchors, axis=1)  # [B, N, M]
    claimed = claimed * valid[:, None, :]
    forced = ops.max(claimed, axis=2) > 0  # [B, N]
    best_gt = ops.where(forced, ops.argmax(claimed, axis=2), best_gt)
    positive = forced | (best_iou >= positive_iou)
    negative = (~positive) & (best_iou < negative_iou)
    boxes = ops.take_along_axis(gt_boxes, ops.repeat(best_gt[..., None], 4, axis=-1), axis=1)
    classes = ops.take_along_axis(gt_classes, best_gt, axis=1)
    positive_f = ops.cast(positive, "float32")
    return {"boxes": boxes * positive_f[..., None],
            "classes": ops.where(positive, classes, -1),
            "indices": ops.cast(best_gt, "int32"),
            "positive": positive_f,
            "negative": ops.cast(negative, "float32")}

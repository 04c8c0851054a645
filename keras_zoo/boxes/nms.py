"""Non-maximum suppression inside the graph, batched, with TFLite builtin ops only.

TFLite has builtins for ``NON_MAX_SUPPRESSION_V4``/``V5`` (single image, single class), not for
``combined_non_max_suppression``. So a batch of images with several classes is one
NMS over all boxes, each moved by an offset that depends on its image and class (boxes of other
images or classes then never overlap), and the survivors are regrouped per image with
SCATTER_ND, TOPK_V2 and GATHER on int32: every op a builtin, memory linear in the batch.
"""

from __future__ import annotations

import tensorflow as tf


def batched_nms(boxes, scores, max_detections=20, iou_threshold=0.5, score_threshold=0.05,
                image_size=None, class_agnostic=False, return_indices=False,
                pre_nms_top_k=None):
    """Class-aware NMS per image, as a fixed-size, zero-padded result.

    Args:
        boxes: ``[B, N, 4]`` float, ``(x_min, y_min, x_max, y_max)`` in pixels.
        scores: ``[B, N, C]`` class probabilities (no background column).
        max_detections: detections kept per image (the outputs' second axis).
        iou_threshold: a box is dropped if it overlaps a better box of its class (and image)
            by more than this.
        score_threshold: candidates below it are never detections.
        image_size: ``(height, width)``; boxes are clipped to it (none if ``None``).
        class_agnostic: one NMS over all classes of an image (each box keeps its best class).
        pre_nms_top_k: keep only this many best-scoring boxes per image before NMS (Faster
            R-CNN's proposals: NMS over all anchors of a batch would be slow).
        return_indices: also return ``indices`` ``[B, D]`` int32, each detection's row in
            ``boxes`` (0 in padding), e.g. to gather a mask.

    Returns:
        A dict: ``boxes`` ``[B, D, 4]`` float32 pixels, ``scores`` ``[B, D]`` float32,
        ``classes`` ``[B, D]`` int32, ``num_detections`` ``[B]`` int32, sorted by score. Padding
        rows are zeros (class 0, score 0): read only the first ``num_detections`` rows.
    """
    boxes = tf.cast(boxes, tf.float32)
    scores = tf.cast(scores, tf.float32)
    if image_size is not None:
        h, w = image_size
        boxes = tf.minimum(tf.maximum(boxes, 0.0), tf.constant([w, h, w, h], tf.float32))
    batch = tf.shape(boxes)[0]
    n = tf.shape(boxes)[1]
    num_classes = scores.shape[-1]
    # Each box keeps its best class (one detection per box, as YOLO and SSD serve).
    best = tf.reduce_max(scores, axis=-1)  # [B, N]
    cls = tf.argmax(scores, axis=-1, output_type=tf.int32)  # [B, N]
    origin = None
    if pre_nms_top_k is not None and pre_nms_top_k < boxes.shape[1]:
        best, origin = tf.math.top_k(best, pre_nms_top_k)  # TOPK_V2, a builtin
        boxes = tf.gather(boxes, origin, batch_dims=1)
        cls = tf.gather(cls, origin, batch_dims=1)
        n = pre_nms_top_k
    flat_boxes = tf.reshape(boxes, [-1, 4])
    flat_scores = tf.reshape(best, [-1])
    flat_cls = tf.reshape(cls, [-1])
    image = image_indices(batch, n)
    # Disjoint coordinate ranges per (image, class): offsets larger than any box extent.
    extent = tf.reduce_max(tf.abs(flat_boxes)) + 1.0
    group = image * (1 if class_agnostic else num_classes) + (0 if class_agnostic else flat_cls)
    shifted = flat_boxes + tf.expand_dims(tf.cast(group, tf.float32) * 2.0 * extent, 1)
    # NMS v4 takes (y1, x1, y2, x2); the order of x and y does not change IoU.
    total = tf.shape(flat_scores)[0]
    selected, valid = tf.raw_ops.NonMaxSuppressionV4(
        boxes=shifted, scores=flat_scores, max_output_size=total,
        iou_threshold=tf.constant(iou_threshold, tf.float32),
        score_threshold=tf.constant(score_threshold, tf.float32),
        pad_to_max_output_size=True)
    out = regroup(selected, valid, flat_boxes, flat_scores, flat_cls, batch, max_detections, n)
    if not return_indices:
        out.pop("indices")
    elif origin is not None:
        out["indices"] = tf.gather(origin, out["indices"], batch_dims=1)
    return out


def image_indices(batch, count):
    """``[batch * count]`` int32: the image of each row of a ``[batch, count, ...]`` tensor
    flattened to ``[batch * count, ...]`` (the ``batch_indices`` of RoI layers)."""
    return tf.reshape(tf.tile(tf.expand_dims(tf.range(batch), 1), [1, count]), [-1])


def regroup(selected, valid, flat_boxes, flat_scores, flat_cls, batch, max_detections, n):
    """Gathers NMS survivors (sorted by score, over all images) into ``[B, D]`` slots, in
    memory linear in the batch (``O(B (N + D))``).

    Each survivor writes its rank in the NMS output into its own cell of a ``[B, N]`` grid
    (SCATTER_ND; cell = the candidate's row, so no two survivors share one); per image,
    TOPK_V2 of the grid picks the ``D`` best-ranked. The bookkeeping is in int32 (never
    quantised by an int8 conversion, where float masks would be).
    """
    m = tf.shape(selected)[0]
    alive = tf.range(m) < valid  # [M]
    # Survivor i (of M) writes M - i (the earlier, the larger); padding rows of ``selected``
    # go to an extra cell past the grid, dropped below.
    cell = tf.where(alive, selected, batch * n)
    grid = tf.scatter_nd(tf.expand_dims(cell, 1), tf.where(alive, m - tf.range(m), 0),
                         tf.expand_dims(batch * n + 1, 0))[:batch * n]
    # Columns of zeros make top_k legal when an image has fewer than D candidates.
    grid = tf.concat([tf.reshape(grid, [batch, n]),
                      tf.zeros([batch, max_detections], tf.int32)], axis=1)
    rank, within = tf.math.top_k(grid, max_detections)  # [B, D] each
    found = tf.cast(rank > 0, tf.int32)
    within = within * found
    index = tf.reshape(within + tf.expand_dims(tf.range(batch) * n, 1), [-1])  # [B*D]
    mask = tf.cast(tf.reshape(found, [-1]), tf.float32)
    boxes = tf.gather(flat_boxes, index) * tf.expand_dims(mask, 1)
    scores = tf.gather(flat_scores, index) * mask
    classes = tf.gather(flat_cls, index) * tf.reshape(found, [-1])
    return {"indices": within, "boxes": tf.reshape(boxes, [batch, max_detections, 4]),
            "scores": tf.reshape(scores, [batch, max_detections]),
            "classes": tf.reshape(classes, [batch, max_detections]),
            "num_detections": tf.reduce_sum(found, axis=1)}

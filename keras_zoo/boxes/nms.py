"""Non-maximum suppression inside the graph, batched, with TFLite builtin ops only.

TFLite has builtins for ``NON_MAX_SUPPRESSION_V4``/``V5`` (single image, single class), not for
``combined_non_max_suppression`` (KERAS3-NOTES). So a batch of images with several classes is one
NMS over all boxes, each moved by an offset that depends on its image and class (boxes of other
images or classes then never overlap), and the survivors are regrouped per image with
one-hot matrices (CUMSUM, ONE_HOT-free comparisons, MATMUL): every op a builtin.
"""

from __future__ import annotations

import tensorflow as tf


def batched_nms(boxes, scores, max_detections=20, iou_threshold=0.5, score_threshold=0.05,
                image_size=None, class_agnostic=False):
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
    flat_boxes = tf.reshape(boxes, [-1, 4])
    flat_scores = tf.reshape(best, [-1])
    flat_cls = tf.reshape(cls, [-1])
    image = tf.reshape(tf.tile(tf.expand_dims(tf.range(batch), 1), [1, n]), [-1])
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
    return regroup(selected, valid, image, flat_boxes, flat_scores, flat_cls, batch,
                   max_detections)


def regroup(selected, valid, image, flat_boxes, flat_scores, flat_cls, batch, max_detections):
    """Scatters NMS survivors (sorted by score, over all images) into ``[B, D]`` slots."""
    m = tf.shape(selected)[0]
    alive = tf.cast(tf.range(m) < valid, tf.float32)  # [M]
    sel_image = tf.gather(image, selected)
    # [M, B]: which image each survivor belongs to (zero rows for padding).
    in_image = tf.cast(tf.equal(tf.expand_dims(sel_image, 1), tf.expand_dims(tf.range(batch), 0)), tf.float32)
    in_image = in_image * tf.expand_dims(alive, 1)
    rank = tf.reduce_sum(tf.cumsum(in_image, axis=0) * in_image, axis=1) - 1.0  # [M]
    slot = tf.cast(tf.equal(tf.expand_dims(rank, 1),
                            tf.range(max_detections, dtype=tf.float32)), tf.float32)
    # [M, B*D]: survivor m goes to row (image, rank) if its rank is below D.
    place = tf.reshape(tf.expand_dims(in_image, 2) * tf.expand_dims(slot, 1), [m, -1])
    values = tf.concat([tf.gather(flat_boxes, selected),
                        tf.expand_dims(tf.gather(flat_scores, selected), 1),
                        tf.expand_dims(tf.cast(tf.gather(flat_cls, selected), tf.float32), 1)], axis=1)
    out = tf.reshape(tf.matmul(place, values, transpose_a=True), [batch, max_detections, 6])
    count = tf.reduce_sum(tf.reshape(place, [m, batch, max_detections]), axis=[0, 2])
    return {"boxes": out[..., :4], "scores": out[..., 4],
            "classes": tf.cast(tf.round(out[..., 5]), tf.int32),
            "num_detections": tf.cast(count, tf.int32)}

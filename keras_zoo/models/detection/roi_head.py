"""The Fast R-CNN RoI head (Girshick, Fast R-CNN, ICCV 2015), shared by Fast R-CNN, Faster
R-CNN and Mask R-CNN (and its loss by R-CNN): per-image RoI pooling of ``[B, P, 4]`` boxes, two
fully connected layers, a softmax classifier over ``C + 1`` classes (background first) and
per-class box regression; the sampling of RoIs into foreground and background (section 2.3,
"Mini-batch sampling"), the multi-task loss (equation 1, smooth L1 of equation 3) and the
decoding of per-class boxes for a class-aware NMS.

One implementation: ``fast_rcnn.py``, ``faster_rcnn.py`` and ``mask_rcnn.py`` import it.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from keras_zoo.blocks.roi import box_head_features
from keras_zoo.boxes import decode, encode, image_indices, iou, match_anchors
from keras_zoo.layers import RoIAlign, RoIPool
from keras_zoo.models.detection import common


class _BatchedRoI(keras.layers.Layer):
    """A RoI layer (``[features, boxes [K, 4], batch_indices [K]]``) applied to ``[B, P, 4]``
    boxes, ``P`` per image (static or not): returns ``[B, P, out_h, out_w, C]``."""

    def build(self, features_shape, boxes_shape=None):
        self.pool.build([features_shape, (None, 4), (None,)])

    def call(self, features, boxes):
        b, p = tf.shape(boxes)[0], tf.shape(boxes)[1]
        pooled = self.pool([features, tf.reshape(boxes, [-1, 4]), image_indices(b, p)])
        oh, ow = self.pool.output_size
        static_p = boxes.shape[1] if boxes.shape[1] is not None else p
        return tf.reshape(pooled, [b, static_p, oh, ow, features.shape[-1]])

    def compute_output_shape(self, features_shape, boxes_shape):
        return (features_shape[0], boxes_shape[1], *self.pool.output_size, features_shape[-1])


@keras.saving.register_keras_serializable(package="keras_zoo")
class BatchedRoIAlign(_BatchedRoI):
    """RoIAlign (``keras_zoo.layers.RoIAlign``, Mask R-CNN) of ``[B, P, 4]`` boxes, ``P`` per
    image: returns ``[B, P, out_h, out_w, C]``.

    Args:
        output_size, spatial_scale, sampling_ratio, aligned: RoIAlign's.
    """

    def __init__(self, output_size, spatial_scale, sampling_ratio=2, aligned=True, **kwargs):
        super().__init__(**kwargs)
        self.pool = RoIAlign(output_size, spatial_scale, sampling_ratio, aligned,
                             name="roi_align")

    @property
    def roi_align(self):
        return self.pool

    def get_config(self):
        r = self.pool
        return {**super().get_config(), "output_size": list(r.output_size),
                "spatial_scale": r.spatial_scale, "sampling_ratio": r.sampling_ratio,
                "aligned": r.aligned}


@keras.saving.register_keras_serializable(package="keras_zoo")
class BatchedRoIPool(_BatchedRoI):
    """RoI max pooling (``keras_zoo.layers.RoIPool``, Fast R-CNN section 2.1) of ``[B, P, 4]``
    boxes, ``P`` per image: returns ``[B, P, out_h, out_w, C]``.

    Args:
        output_size, spatial_scale: RoIPool's.
    """

    def __init__(self, output_size, spatial_scale, **kwargs):
        super().__init__(**kwargs)
        self.pool = RoIPool(output_size, spatial_scale, name="roi_pool")

    def get_config(self):
        return {**super().get_config(), "output_size": list(self.pool.output_size),
                "spatial_scale": self.pool.spatial_scale}


def box_head(pooled, num_classes, units, dropout=0.0):
    """Fast R-CNN's head on pooled RoI features ``[B, P, h, w, C]`` (Figure 1): ``fc6``,
    ``fc7`` (``keras_zoo.blocks.roi.box_head_features``: ReLU, optional dropout as in VGG-16's
    fully connected layers), a softmax
    classifier ``cls_score`` over ``num_classes + 1`` (background first) and per-class box
    deltas ``bbox_pred`` (``4 * num_classes``, zero-initialised).

    Args:
        pooled: the pooled RoI features.
        num_classes: object classes, without background.
        units: width of ``fc6`` and ``fc7`` (4096 for VGG-16).
        dropout: dropout rate after ``fc6`` and ``fc7`` (0.5 in VGG-16; 0 for none).

    Returns:
        ``(class_logits [B, P, C + 1], box_deltas [B, P, 4 C])``.
    """
    x = box_head_features(pooled, units, dropout)
    class_logits = keras.layers.Dense(num_classes + 1, name="cls_score")(x)
    box_deltas = keras.layers.Dense(num_classes * 4, name="bbox_pred",
                                    kernel_initializer="zeros")(x)
    return class_logits, box_deltas


def sample_subset(candidates, count, seed):
    """A uniformly random subset of ``candidates`` ([B, N] 0/1 float) of at most ``count``
    ([B, 1]) per row, as a 0/1 mask.

    ``seed`` is a ``keras.random.SeedGenerator`` (one draw per call): the model's own in the
    train step, whose state ``training.trainer.Backup`` saves, or ``seeded_map``'s batch-keyed
    one in a ``tf.data`` pipeline, so that a resumed run draws what the uninterrupted one drew.
    """
    noise = (tf.random.stateless_uniform(tf.shape(candidates), seed=seed.next())
             + (1.0 - candidates) * 2.0)
    rank = tf.argsort(tf.argsort(noise, axis=1), axis=1)
    return tf.cast(tf.cast(rank, tf.float32) < count, tf.float32) * candidates


def real_boxes(boxes):
    """``[B, P]`` 1.0 for boxes of positive width, 0.0 for the zero padding of a box list."""
    return tf.cast((boxes[..., 2] - boxes[..., 0]) > 0, tf.float32)


def sample_rois(proposals, gt_boxes, gt_classes, rois_per_image, seed, fg_fraction=0.25,
                fg_iou=0.5, bg_iou_low=0.0, negatives_per_positive=None):
    """Fast R-CNN's mini-batch sampling (section 2.3), in the graph.

    RoIs with IoU >= ``fg_iou`` with a ground-truth box (and each box's best RoI) are
    foreground, labelled with that box's class; RoIs whose best IoU is in ``[bg_iou_low,
    fg_iou)`` are background candidates. Per image, at most ``fg_fraction * rois_per_image``
    foreground RoIs are drawn at random, then background: the rest of ``rois_per_image``
    (the paper: 25 % foreground, background in ``[0.1, 0.5)``), or ``negatives_per_positive``
    per foreground RoI if given. Padding RoIs (zero width) are never drawn.

    Args:
        proposals: ``[B, P, 4]`` xyxy pixels (zero rows are padding).
        gt_boxes: ``[B, M, 4]`` xyxy pixels; gt_classes: ``[B, M]`` int, -1 padding.
        rois_per_image: ``R / N`` of the paper (64).
        seed: a ``keras.random.SeedGenerator`` (``sample_subset``).
        fg_fraction: the foreground share (0.25).
        fg_iou: the foreground IoU (0.5).
        bg_iou_low: the lowest IoU of a background RoI (0.1 in Fast R-CNN, 0 in Faster).
        negatives_per_positive: background per foreground RoI, or ``None`` to fill the batch.

    Returns:
        ``match_anchors``' dict (``boxes``, ``classes`` ...), with ``positive`` and
        ``negative`` replaced by the sampled foreground and background masks ``[B, P]``.
    """
    match = match_anchors(proposals, gt_boxes, gt_classes, fg_iou, fg_iou)
    real = real_boxes(proposals)
    pos = match["positive"] * real
    neg = match["negative"] * real
    if bg_iou_low > 0:
        valid = tf.cast(gt_classes >= 0, tf.float32)[:, None, :]
        best = tf.reduce_max(iou(proposals, gt_boxes) * valid - (1.0 - valid), axis=2)
        neg = neg * tf.cast(best >= bg_iou_low, tf.float32)
    batch = tf.shape(pos)[0]
    pos = sample_subset(pos, tf.fill([batch, 1], tf.cast(rois_per_image * fg_fraction,
                                                         tf.float32)), seed)
    num_pos = tf.reduce_sum(pos, 1, keepdims=True)
    if negatives_per_positive is None:
        quota = float(rois_per_image) - num_pos
    else:
        quota = negatives_per_positive * tf.maximum(num_pos, 1.0)
    return {**match, "positive": pos, "negative": sample_subset(neg, quota, seed)}


def head_loss(proposals, class_logits, box_deltas, sample, num_classes, box_weight=1.0,
              average_over="positives"):
    """Fast R-CNN's multi-task loss (equation 1) on sampled RoIs: softmax cross-entropy over
    ``C + 1`` classes plus ``box_weight`` (the paper's lambda = 1) times the smooth L1 of the
    true class's encoded deltas, on foreground RoIs only (``[u >= 1]``).

    Args:
        proposals: ``[B, P, 4]`` the RoIs; class_logits ``[B, P, C + 1]``; box_deltas
            ``[B, P, 4 C]``.
        sample: ``sample_rois``' dict (or any dict with ``positive``, ``negative``,
            ``classes``, ``boxes`` ``[B, P(, 4)]``).
        num_classes: ``C``.
        box_weight: lambda.
        average_over: ``"rois"`` (the paper: both terms averaged over the sampled RoIs) or
            ``"positives"`` (the box term averaged over the foreground ones).
    """
    if average_over not in ("rois", "positives"):
        raise ValueError(f"average_over must be 'rois' or 'positives', got {average_over!r}.")
    pos, neg = sample["positive"], sample["negative"]
    labels = tf.where(pos > 0, sample["classes"] + 1, 0)
    ce = tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=labels, logits=tf.cast(class_logits, tf.float32))
    count = tf.maximum(tf.reduce_sum(pos + neg), 1.0)
    cls = tf.reduce_sum(ce * (pos + neg)) / count
    shape = tf.shape(proposals)
    deltas = tf.reshape(tf.cast(box_deltas, tf.float32), [shape[0], shape[1], num_classes, 4])
    deltas = tf.gather(deltas, tf.maximum(sample["classes"], 0), batch_dims=2)
    targets = encode(proposals, sample["boxes"])
    loc = tf.reduce_sum(common.smooth_l1(deltas - targets), -1)
    norm = count if average_over == "rois" else tf.maximum(tf.reduce_sum(pos), 1.0)
    return cls + box_weight * tf.reduce_sum(loc * pos) / norm


def decode_head(proposals, class_logits, box_deltas, num_classes, rank_tie_break=0.0):
    """Per-class boxes and scores of the head for a class-aware NMS: candidate ``(RoI, class)``
    has the RoI moved by that class's deltas and scores only in its own class (the paper's
    per-class NMS, section 3). Padding RoIs score 0.

    Args:
        proposals, class_logits, box_deltas: the RoIs ``[B, P, 4]`` and the head's outputs.
        num_classes: ``C``.
        rank_tie_break: scores are multiplied by ``1 - rank_tie_break * i`` for the ``i``-th
            RoI. RoI max pooling gives nearly equal proposals (a pixel apart) identical
            features, so identical scores, and NMS would keep whichever its sort puts first,
            which differs between TF and TFLite; a tiny factor lets the better-ranked
            proposal (selective search's order) win everywhere. 0 leaves scores untouched.

    Returns:
        ``(boxes [B, P C, 4], scores [B, P C, C])``, candidates ordered RoI-major.
    """
    c = num_classes
    shape = tf.shape(proposals)
    b, p = shape[0], shape[1]
    probs = tf.nn.softmax(tf.cast(class_logits, tf.float32), -1)[..., 1:]
    deltas = tf.reshape(tf.cast(box_deltas, tf.float32), [b, p * c, 4])
    tiled = tf.reshape(tf.tile(tf.expand_dims(proposals, 2), [1, 1, c, 1]), [b, p * c, 4])
    boxes = decode(tiled, deltas)
    weight = real_boxes(proposals)
    if rank_tie_break:
        weight = weight * (1.0 - rank_tie_break * tf.cast(tf.range(p), tf.float32))
    scores = tf.expand_dims(probs * tf.expand_dims(weight, -1), 3) * tf.eye(c)
    return boxes, tf.reshape(scores, [b, p * c, c])

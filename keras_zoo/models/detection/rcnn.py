"""R-CNN (Girshick, Donahue, Darrell & Malik, Rich feature hierarchies for accurate object
detection and semantic segmentation, CVPR 2014)."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from keras_zoo.boxes import batched_nms, encode, image_indices
from keras_zoo.data.proposals import proposals_for as batch_proposals_for
from keras_zoo.layers import RoIAlign
from keras_zoo.models.detection import common
from keras_zoo.models.detection.fast_rcnn import NMS_TIE_EPSILON, RANK_TIE_BREAK
from keras_zoo.models.detection.roi_head import decode_head
from keras_zoo.models.registry import register


def warp_regions(images, boxes, batch_indices, size, context_padding=0):
    """R-CNN's region warping (section 2.1, appendix A): each box is dilated so that, once
    warped, ``context_padding`` pixels of image context surround it (the paper: 16 at 227),
    and its pixels are resampled anisotropically to ``size x size``.

    The warp is a bilinear RoIAlign with one sample per output pixel (builtin TFLite ops), so
    the training data and the served graph warp the same way. Context beyond the image border
    is 0 (black) where the paper fills it with the image mean.

    Args:
        images: float ``[B, H, W, 3]``.
        boxes: ``[K, 4]`` xyxy pixels; batch_indices: ``[K]`` int, each box's image.
        size: the warped side (227 in the paper, 224 for VGG-16).
        context_padding: warped pixels of context on each side.

    Returns:
        ``[K, size, size, 3]``.
    """
    boxes = tf.cast(boxes, tf.float32)
    scale = size / (size - 2.0 * context_padding)
    centre = (boxes[:, :2] + boxes[:, 2:]) / 2.0
    half = (boxes[:, 2:] - boxes[:, :2]) / 2.0 * scale
    dilated = tf.concat([centre - half, centre + half], axis=1)
    return RoIAlign(size, 1.0, sampling_ratio=1, aligned=True)(
        [images, dilated, tf.cast(batch_indices, tf.int32)])


@keras.saving.register_keras_serializable(package="keras_zoo")
class RCNN(common.Detector):
    """R-CNN: region proposals (selective search, ~2000 per image, outside the graph:
    ``keras_zoo.data.proposals``), each warped to a fixed size and classified by a CNN into
    ``C + 1`` classes (background first), with class-specific box regression (appendix C),
    then per-class NMS.

    The model itself is the per-region CNN: ``regions [N, S, S, 3]`` in [0, 1] ->
    ``{"class_logits" [N, C + 1], "box_deltas" [N, 4 C]}``. It trains through ``fit`` on
    warped regions with precomputed targets (the task's pipeline), as the paper fine-tunes:
    regions with IoU >= 0.5 with a ground-truth box are that box's class, the rest
    background; mini-batches of 128 with 32 positives (section 2.3). The box regressors learn
    from pool5 features on regions with IoU > 0.6, with the paper's least-squares loss on the
    normalised ``(t_x, t_y, t_w, t_h)``. ``detect(images, proposals)`` warps, classifies,
    regresses and runs per-class NMS in the graph (NMS IoU 0.3 as the paper).

    Deviations, documented: the fine-tuned softmax scores the regions instead of the
    post-hoc linear SVMs (the paper's appendix B measures 54.2 vs 58.5 mAP on VOC 2007 for
    that choice); the box regressors train jointly with fine-tuning in the same ``fit`` (the
    paper fits them afterwards by ridge regression on frozen pool5 features).

    Args:
        image_shape: ``(height, width, 3)`` of the served images.
        num_classes: object classes, without background (20 for VOC).
        backbone: a registered classifier's name (``include_top=False``; the paper's AlexNet,
            or VGG-16 for its best results) or ``None`` for a small conv stack of ``filters``.
        filters: the conv stack's widths (one 2x2 pooling each).
        region_size: the warped region's side (224 for VGG-16).
        context_padding: warped pixels of context around a region (16).
        head_units: the widths of fc6 and fc7 (4096).
        dropout: after fc6 and fc7 (0.5).
        num_proposals: proposals per image of the serving signature (2000).
        box_weight: weight of the box regression loss.
        max_detections, iou_threshold, score_threshold: of the served NMS.
        name: the model's name.
    """

    def __init__(self, image_shape=(500, 500, 3), num_classes=20, backbone="vgg16",
                 filters=(64, 128, 256, 512), region_size=224, context_padding=16,
                 head_units=4096, dropout=0.5, num_proposals=2000, box_weight=1.0,
                 max_detections=100, iou_threshold=0.3, score_threshold=0.05, name="rcnn",
                 **kwargs):
        image_shape = tuple(image_shape)
        common.validate("RCNN", image_shape, num_classes)
        if not isinstance(region_size, int) or region_size < 8:
            raise ValueError(f"RCNN: region_size must be an int >= 8, got {region_size!r}.")
        if not 0 <= context_padding < region_size / 2:
            raise ValueError(f"RCNN: context_padding must be in [0, region_size / 2), got "
                             f"{context_padding!r}.")
        if not isinstance(num_proposals, int) or num_proposals < 1:
            raise ValueError(f"RCNN: num_proposals must be a positive int, got "
                             f"{num_proposals!r}.")
        # === Functional Model ===
        regions = keras.Input((region_size, region_size, 3), name="regions")
        pool5 = common.backbone_features(regions, backbone, tuple(filters))[-1]
        pool5 = keras.layers.Flatten(name="pool5_flatten")(pool5)
        x = pool5
        for layer in ("fc6", "fc7"):
            x = keras.layers.Dense(head_units, activation="relu", name=layer)(x)
            if dropout:
                x = keras.layers.Dropout(dropout, name=f"{layer}_dropout")(x)
        outputs = {
            "class_logits": keras.layers.Dense(num_classes + 1, name="cls_score")(x),
            # Appendix C: class-specific linear regressors on pool5 features.
            "box_deltas": keras.layers.Dense(4 * num_classes, name="bbox_pred",
                                             kernel_initializer="zeros")(pool5),
        }
        super().__init__(regions, outputs, name=name, **kwargs)
        # === Config ===
        self.num_proposals = num_proposals
        self.region_size, self.context_padding = region_size, context_padding
        self.box_weight = float(box_weight)
        self._configure(dict(
            image_shape=list(image_shape), num_classes=num_classes, backbone=backbone,
            filters=list(filters), region_size=region_size, context_padding=context_padding,
            head_units=head_units, dropout=dropout, num_proposals=num_proposals,
            box_weight=box_weight, max_detections=max_detections,
            iou_threshold=iou_threshold, score_threshold=score_threshold),
            max_detections, iou_threshold, score_threshold)

    def warp(self, images, boxes, batch_indices, chunk=1024):
        """NumPy warped regions (``warp_regions`` in chunks of ``chunk`` boxes)."""
        images = tf.constant(images, tf.float32)
        parts = [warp_regions(images, boxes[i:i + chunk], batch_indices[i:i + chunk],
                              self.region_size, self.context_padding).numpy()
                 for i in range(0, len(boxes), chunk)]
        if not parts:
            return np.zeros((0, self.region_size, self.region_size, 3), np.float32)
        return np.concatenate(parts)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        labels = tf.cast(y["labels"], tf.int32)
        tf.debugging.assert_less(tf.reduce_max(tf.concat([labels, [0]], 0)),
                                 self.num_classes + 1,
                                 message=f"{self.name}: a region label is > num_classes="
                                         f"{self.num_classes}")
        ce = tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=labels, logits=tf.cast(y_pred["class_logits"], tf.float32))
        deltas = tf.reshape(tf.cast(y_pred["box_deltas"], tf.float32),
                            [-1, self.num_classes, 4])
        deltas = tf.gather(deltas, tf.maximum(labels - 1, 0), batch_dims=1)
        targets = encode(tf.cast(y["boxes"], tf.float32), tf.cast(y["targets"], tf.float32))
        regress = tf.cast(y["regress"], tf.float32) * tf.cast(labels > 0, tf.float32)
        squared = tf.reduce_sum(tf.square(deltas - targets), -1)
        loss = tf.reduce_mean(ce) + self.box_weight * tf.reduce_sum(squared * regress) / (
            tf.maximum(tf.reduce_sum(regress), 1.0))
        if self.losses:
            loss = loss + tf.add_n(self.losses)
        return loss

    def detect(self, images, proposals=None):
        """Final detections (the serving dict, NMS in the graph) of float images in [0, 1]
        and their proposals ``[B, P, 4]`` (computed here by selective search if ``None``,
        eagerly only) (zero boxes are padding)."""
        if proposals is None:
            proposals = batch_proposals_for(images, self.num_proposals)
        proposals = tf.cast(proposals, tf.float32)
        b, p = tf.shape(proposals)[0], tf.shape(proposals)[1]
        regions = warp_regions(images, tf.reshape(proposals, [-1, 4]), image_indices(b, p),
                               self.region_size, self.context_padding)
        out = self(regions, training=False)
        logits = tf.reshape(out["class_logits"], [b, p, self.num_classes + 1])
        deltas = tf.reshape(out["box_deltas"], [b, p, 4 * self.num_classes])
        boxes, scores = decode_head(proposals, logits, deltas, self.num_classes,
                                    rank_tie_break=RANK_TIE_BREAK)
        return batched_nms(boxes, scores, self.max_detections,
                           self.iou_threshold + NMS_TIE_EPSILON, self.score_threshold,
                           image_size=self.image_size)


register(
    "rcnn",
    task="region_detection",
    family="rcnn",
    # 16 proposals warped to 16 x 16: the int8 check calibrates and runs 32 images' regions.
    tiny=dict(image_shape=(64, 64, 3), num_classes=3, backbone=None, filters=(8, 16, 32),
              region_size=16, context_padding=1, head_units=32, dropout=0.0,
              num_proposals=16, max_detections=10),
    canonical=dict(image_shape=(500, 500, 3), num_classes=20, backbone="vgg16",
                   region_size=224, context_padding=16, head_units=4096, dropout=0.5,
                   num_proposals=2000),
    data="shapes_detection",
    recipe="rcnn",
    paper="Girshick et al., Rich feature hierarchies for accurate object detection and "
          "semantic segmentation (R-CNN), CVPR 2014",
    notes="selective search (fast mode, OpenCV) outside the graph: the serving signature "
          "takes uint8 images and num_proposals boxes per image (zero-padded) and warps, "
          "classifies, regresses and runs NMS in the graph; softmax instead of the paper's "
          "post-hoc SVMs; box regressors trained jointly (least squares on pool5).",
)(RCNN)

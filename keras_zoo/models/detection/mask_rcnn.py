"""Mask R-CNN (He, Gkioxari, Dollar & Girshick, Mask R-CNN, ICCV 2017)."""

from __future__ import annotations

import keras
import tensorflow as tf

from keras_zoo.boxes import batched_nms, image_indices, match_anchors
from keras_zoo.layers import RoIAlign
from keras_zoo.models.detection.faster_rcnn import FasterRCNN
from keras_zoo.models.detection.roi_head import BatchedRoIAlign
from keras_zoo.models.registry import register


def paste_masks(masks, boxes, image_size):
    """Pastes ``[K, m, m]`` mask probabilities into ``[K, H, W]`` images at ``boxes`` [K, 4].

    The inverse of cropping with RoIAlign is again a RoIAlign: the whole image, seen in the
    mask's coordinates, is the box ``-x1 * m / w ... (W - x1) * m / w``; sampling it once per
    output pixel (``sampling_ratio=1``) bilinearly resamples the mask onto the image, with
    builtin TFLite ops only. Outside its box a mask is 0.
    """
    h, w = image_size
    m = masks.shape[-1]
    bw = tf.maximum(boxes[:, 2] - boxes[:, 0], 1e-3)
    bh = tf.maximum(boxes[:, 3] - boxes[:, 1], 1e-3)
    x1, y1 = -boxes[:, 0] * m / bw, -boxes[:, 1] * m / bh
    frame = tf.stack([x1, y1, x1 + w * m / bw, y1 + h * m / bh], axis=1)
    k = tf.shape(masks)[0]
    pasted = RoIAlign((h, w), 1.0, sampling_ratio=1, aligned=True)(
        [tf.expand_dims(masks, -1), frame, tf.range(k)])[..., 0]
    cols = tf.range(w, dtype=tf.float32) + 0.5
    rows = tf.range(h, dtype=tf.float32) + 0.5
    inside_x = tf.cast((cols >= tf.expand_dims(boxes[:, 0], 1))
                       & (cols <= tf.expand_dims(boxes[:, 2], 1)), tf.float32)
    inside_y = tf.cast((rows >= tf.expand_dims(boxes[:, 1], 1))
                       & (rows <= tf.expand_dims(boxes[:, 3], 1)), tf.float32)
    return pasted * tf.expand_dims(inside_y, 2) * tf.expand_dims(inside_x, 1)


@keras.saving.register_keras_serializable(package="keras_zoo")
class MaskRCNN(FasterRCNN):
    """Mask R-CNN: Faster R-CNN with RoIAlign and a third branch predicting an ``m x m`` binary
    mask per class for each RoI (a small FCN: 3x3 convs, a 2x2 stride-2 deconvolution, a 1x1
    conv with one sigmoid channel per class; Figure 4).

    The mask loss (section 3) is the average per-pixel binary cross-entropy of the mask of the
    RoI's ground-truth class, on positive RoIs only; its target is the ground-truth instance
    mask cropped to the RoI with RoIAlign (so classes do not compete, unlike a softmax FCN).
    Serving returns ``masks`` ``[B, D, H, W]`` (probabilities) for the detections, pasted back
    into the image.

    Args:
        mask_pool_size: RoI feature size for the mask branch (14); the mask is twice that.
        mask_filters: the mask branch's convolution widths (256, four layers).
        mask_weight: the mask loss weight.
        Other args: as ``FasterRCNN``.
    """

    predicts_masks = True

    def __init__(self, input_shape=(800, 800, 3), num_classes=80, backbone="resnet50",
                 anchor_sizes=(32, 64, 128, 256, 512), head_units=1024, mask_pool_size=14,
                 mask_filters=(256, 256, 256, 256), mask_weight=1.0, name="mask_rcnn",
                 **kwargs):
        # Read by _extra_heads while FasterRCNN builds the graph.
        self.mask_pool_size, self.mask_filters = mask_pool_size, tuple(mask_filters)
        self.mask_size, self.mask_weight = 2 * mask_pool_size, float(mask_weight)
        super().__init__(input_shape=input_shape, num_classes=num_classes, backbone=backbone,
                         anchor_sizes=anchor_sizes, head_units=head_units, name=name, **kwargs)
        self._config.update({"mask_pool_size": mask_pool_size,
                             "mask_filters": list(mask_filters), "mask_weight": mask_weight})

    def _extra_heads(self, config, features, outputs):
        """The mask branch (Figure 4) on RoIAlign features of the proposals."""
        stride = config["input_shape"][0] / features.shape[1]
        x = BatchedRoIAlign(self.mask_pool_size, 1.0 / stride, name="mask_roi_align")(
            features, outputs["proposals"])
        for i, f in enumerate(self.mask_filters, start=1):
            x = keras.layers.TimeDistributed(
                keras.layers.Conv2D(f, 3, padding="same", activation="relu"),
                name=f"mask_conv{i}")(x)
        x = keras.layers.TimeDistributed(
            keras.layers.Conv2DTranspose(self.mask_filters[-1], 2, strides=2,
                                         activation="relu"), name="mask_deconv")(x)
        return {"mask_logits": keras.layers.TimeDistributed(
            keras.layers.Conv2D(config["num_classes"], 1), name="mask_logits")(x)}

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        loss = super().compute_loss(x, y, y_pred, sample_weight, training)
        return loss + self.mask_weight * self.mask_loss(y, y_pred)

    def mask_loss(self, y, y_pred):
        proposals = y_pred["proposals"]
        match = match_anchors(proposals, tf.cast(y["boxes"], tf.float32), y["classes"], 0.5)
        real = tf.cast((proposals[..., 2] - proposals[..., 0]) > 0, tf.float32)
        positive = tf.reshape(match["positive"] * real, [-1])
        masks = tf.cast(y["masks"], tf.float32)  # [B, M, H, W]
        b, m = tf.shape(masks)[0], tf.shape(masks)[1]
        image = image_indices(b, self.num_proposals)
        which = image * m + tf.reshape(match["indices"], [-1])
        flat = tf.reshape(masks, [-1, masks.shape[2], masks.shape[3], 1])
        target = RoIAlign(self.mask_size, 1.0, sampling_ratio=2, aligned=True)(
            [flat, tf.reshape(proposals, [-1, 4]), which])[..., 0]
        target = tf.stop_gradient(tf.cast(target >= 0.5, tf.float32))
        logits = tf.reshape(y_pred["mask_logits"],
                            [-1, self.mask_size, self.mask_size, self.num_classes])
        cls = tf.maximum(tf.reshape(match["classes"], [-1]), 0)
        logits = tf.gather(tf.transpose(logits, [0, 3, 1, 2]), cls, batch_dims=1)
        bce = tf.reduce_mean(
            tf.nn.sigmoid_cross_entropy_with_logits(labels=target, logits=logits), axis=[1, 2])
        return tf.reduce_sum(bce * positive) / tf.maximum(tf.reduce_sum(positive), 1.0)

    def detect(self, images):
        y_pred = self(images, training=False)
        boxes, scores = self.decode(y_pred)
        out = batched_nms(boxes, scores, self.max_detections, self.iou_threshold,
                          self.score_threshold, image_size=self.image_size,
                          return_indices=True)
        c, s = self.num_classes, self.mask_size
        proposal = out.pop("indices") // c  # candidates are (proposal, class), class fastest
        logits = tf.transpose(y_pred["mask_logits"], [0, 1, 4, 2, 3])  # [B, P, C, s, s]
        chosen = tf.gather(tf.gather(logits, proposal, batch_dims=1),
                           out["classes"], batch_dims=2)  # [B, D, s, s]
        d = self.max_detections
        h, w = self.image_size
        pasted = paste_masks(tf.sigmoid(tf.reshape(chosen, [-1, s, s])),
                             tf.reshape(out["boxes"], [-1, 4]), (h, w))
        valid = tf.cast(tf.range(d) < tf.expand_dims(out["num_detections"], 1), tf.float32)
        out["masks"] = tf.reshape(pasted, [-1, d, h, w]) * tf.reshape(valid, [-1, d, 1, 1])
        return out


register(
    "mask_rcnn",
    task="detection",
    family="rcnn",
    # 8 proposals, a narrow RPN and heads, one mask conv, 4 x 4 masks, 5 detections: the
    # served graph pastes every detection's mask into the image (the int8 check runs 64
    # images); 16 proposals, 8 x 8 masks and 10 detections until 2026-12-05 (the recipe pins
    # its own sizes). The backbone keeps its widths: narrower, the random detector's int8
    # boxes drift (0.66 of the float detections found at 8, 16, 32 filters; bar 0.8).
    tiny=dict(input_shape=(64, 64, 3), num_classes=3, backbone=None, filters=(16, 32, 64),
              anchor_sizes=(12, 24, 40), rpn_filters=16, num_proposals=8, rpn_batch=32,
              pool_size=3, head_units=32, mask_pool_size=2, mask_filters=(8,),
              max_detections=5),
    canonical=dict(input_shape=(800, 800, 3), num_classes=80, backbone="resnet50"),
    data="shapes_detection",
    recipe="detection_masks",
    paper="He et al., Mask R-CNN, ICCV 2017",
    notes="single-level features (no FPN): canonical is the paper's ResNet-50-C4-like variant "
          "with the registry's ResNet-50 (stride 32) and the FPN-style 4-conv mask head.",
)(MaskRCNN)

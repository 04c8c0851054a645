"""Faster R-CNN (Ren, He, Girshick & Sun, Faster R-CNN: Towards Real-Time Object Detection with
Region Proposal Networks, NeurIPS 2015)."""

from __future__ import annotations

import keras
import tensorflow as tf

from keras_zoo.boxes import batched_nms, decode, encode, grid_anchors, match_anchors
from keras_zoo.models.detection import common
from keras_zoo.models.detection.roi_head import (
    BatchedRoIAlign,
    box_head,
    decode_head,
    head_loss,
    sample_rois,
    sample_subset,
)
from keras_zoo.models.registry import register


@keras.saving.register_keras_serializable(package="keras_zoo")
class Proposals(keras.layers.Layer):
    """The RPN's proposals: anchors moved by the predicted deltas, clipped to the image, and
    ``num_proposals`` of them per image kept by NMS (IoU 0.7) on the objectness among the
    ``4 * num_proposals`` best (the paper: 6000 before NMS, 300 or 2000 after; section 3.3).

    No gradient flows through the proposals: the paper's "approximate joint training".

    Args:
        feature_size: ``(height, width)`` of the feature map.
        stride: image pixels per feature cell.
        sizes, ratios: the anchors' (``keras_zoo.boxes.grid_anchors``).
        image_size: ``(height, width)``.
        num_proposals: kept per image.
        iou_threshold: of the proposals' NMS.
    """

    def __init__(self, feature_size, stride, sizes, ratios, image_size, num_proposals=300,
                 iou_threshold=0.7, **kwargs):
        super().__init__(**kwargs)
        self.feature_size, self.stride = tuple(feature_size), stride
        self.sizes, self.ratios = tuple(sizes), tuple(ratios)
        self.image_size = tuple(image_size)
        self.num_proposals, self.iou_threshold = num_proposals, iou_threshold
        self.anchors = grid_anchors(self.feature_size, stride, self.sizes, self.ratios)

    def call(self, scores, deltas):
        boxes = decode(tf.constant(self.anchors), tf.cast(deltas, tf.float32))
        kept = batched_nms(boxes, tf.expand_dims(tf.sigmoid(tf.cast(scores, tf.float32)), -1),
                           self.num_proposals, self.iou_threshold, score_threshold=0.0,
                           image_size=self.image_size, class_agnostic=True,
                           pre_nms_top_k=4 * self.num_proposals)
        return tf.stop_gradient(kept["boxes"])

    def compute_output_shape(self, scores_shape, deltas_shape=None):
        return (scores_shape[0], self.num_proposals, 4)

    def get_config(self):
        return {**super().get_config(), "feature_size": list(self.feature_size),
                "stride": self.stride, "sizes": list(self.sizes), "ratios": list(self.ratios),
                "image_size": list(self.image_size), "num_proposals": self.num_proposals,
                "iou_threshold": self.iou_threshold}


@keras.saving.register_keras_serializable(package="keras_zoo")
class FasterRCNN(common.Detector):
    """Faster R-CNN: a region proposal network (RPN) on shared features proposes boxes from
    anchors of 3 scales x 3 ratios; RoI features of the proposals feed a Fast R-CNN head
    (class scores with background, per-class box deltas). One ``fit`` trains both.

    RPN training (section 3.1.2): anchors with IoU > 0.7 (and each object's best anchor) are
    positive, < 0.3 negative; 256 anchors per image are sampled, up to half positive; the loss
    is binary cross-entropy plus smooth L1 on the encoded deltas of the positives. Head training
    (Fast R-CNN section 2.3): proposals with IoU >= 0.5 are foreground, the rest background, up
    to 25 % foreground in the sampled set; cross-entropy plus smooth L1 on the true class's
    deltas. RoIAlign (Mask R-CNN) replaces RoI pooling, as in modern Faster R-CNNs.

    Args:
        input_shape: ``(height, width, 3)``.
        num_classes: object classes, without background.
        backbone: a registered classifier's name (``include_top=False``) or ``None`` for a
            small conv stack of ``filters``.
        filters: the conv stack's widths (one 2x2 pooling each).
        anchor_sizes, anchor_ratios: the anchors (the paper: 128, 256, 512 and 1:2, 1:1, 2:1).
        rpn_filters: the RPN's 3x3 conv (512 for VGG-16).
        num_proposals: proposals per image (the paper tests with 300).
        rpn_batch: anchors sampled per image for the RPN loss (256).
        pool_size: RoI feature size (7).
        head_units: the head's two fully connected layers (4096).
        max_detections, iou_threshold, score_threshold: of the served NMS.
        name: the model's name.
    """

    def __init__(self, input_shape=(600, 600, 3), num_classes=20, backbone="vgg16",
                 filters=(64, 128, 256, 512), anchor_sizes=(128, 256, 512),
                 anchor_ratios=(0.5, 1.0, 2.0), rpn_filters=512, num_proposals=300,
                 rpn_batch=256, pool_size=7, head_units=4096, max_detections=20,
                 iou_threshold=0.5, score_threshold=0.05, name="faster_rcnn", **kwargs):
        config = dict(
            input_shape=list(input_shape), num_classes=num_classes, backbone=backbone,
            filters=list(filters), anchor_sizes=list(anchor_sizes),
            anchor_ratios=list(anchor_ratios), rpn_filters=rpn_filters,
            num_proposals=num_proposals, rpn_batch=rpn_batch, pool_size=pool_size,
            head_units=head_units, max_detections=max_detections, iou_threshold=iou_threshold,
            score_threshold=score_threshold)
        inputs, features, outputs = self._graph(config)
        outputs.update(self._extra_heads(config, features, outputs))
        super().__init__(inputs, outputs, name=name, **kwargs)
        # === Config ===
        self.num_proposals, self.rpn_batch = num_proposals, rpn_batch
        # The anchor and RoI sampling of the losses: a model-owned generator, whose state
        # training.trainer.Backup saves, so that a resumed fit draws what the whole one drew.
        self.sampling_seed = keras.random.SeedGenerator(name="sampling_seed")
        fh, fw = features.shape[1:3]
        self.anchors = grid_anchors((fh, fw), input_shape[0] / fh, anchor_sizes, anchor_ratios)
        self._configure(config, max_detections, iou_threshold, score_threshold)

    def _graph(self, config):
        """``(inputs, features, outputs)`` of the RPN and the box head, from the config."""
        input_shape = tuple(config["input_shape"])
        num_classes, num_proposals = config["num_classes"], config["num_proposals"]
        common.validate(type(self).__name__, input_shape, num_classes)
        a = len(config["anchor_sizes"]) * len(config["anchor_ratios"])
        # === Functional Model ===
        inputs = keras.Input(input_shape, name="images")
        features = common.backbone_features(inputs, config["backbone"],
                                            tuple(config["filters"]))[-1]
        fh, fw = features.shape[1:3]
        stride = input_shape[0] / fh
        r = keras.layers.Conv2D(config["rpn_filters"], 3, padding="same", activation="relu",
                                name="rpn_conv")(features)
        rpn_scores = keras.layers.Reshape((fh * fw * a,), name="rpn_scores")(
            keras.layers.Conv2D(a, 1, name="rpn_cls")(r))
        rpn_deltas = keras.layers.Reshape((fh * fw * a, 4), name="rpn_deltas")(
            keras.layers.Conv2D(a * 4, 1, name="rpn_bbox", kernel_initializer="zeros")(r))
        proposals = Proposals((fh, fw), stride, config["anchor_sizes"],
                              config["anchor_ratios"], input_shape[:2], num_proposals,
                              name="proposals")(rpn_scores, rpn_deltas)
        pooled = BatchedRoIAlign(config["pool_size"], 1.0 / stride, name="roi_align")(
            features, proposals)
        class_logits, box_deltas = box_head(pooled, num_classes, config["head_units"])
        outputs = {"rpn_scores": rpn_scores, "rpn_deltas": rpn_deltas, "proposals": proposals,
                   "class_logits": class_logits, "box_deltas": box_deltas}
        return inputs, features, outputs

    def _extra_heads(self, config, features, outputs):
        """The hook of subclasses that add heads on the shared ``features`` and the RPN's
        ``outputs["proposals"]`` (Mask R-CNN's mask branch): a dict of extra outputs."""
        return {}

    def rpn_loss(self, y, y_pred):
        anchors = tf.constant(self.anchors)
        match = match_anchors(anchors, y["boxes"], y["classes"], 0.7, 0.3)
        pos, neg = match["positive"], match["negative"]
        half = tf.fill([tf.shape(pos)[0], 1], self.rpn_batch / 2)
        pos = sample_subset(pos, half, self.sampling_seed)
        neg = sample_subset(neg, self.rpn_batch - tf.reduce_sum(pos, 1, keepdims=True),
                            self.sampling_seed)
        logits = tf.cast(y_pred["rpn_scores"], tf.float32)
        bce = tf.nn.sigmoid_cross_entropy_with_logits(labels=pos, logits=logits)
        cls = tf.reduce_sum(bce * (pos + neg)) / tf.maximum(tf.reduce_sum(pos + neg), 1.0)
        targets = encode(anchors, match["boxes"])
        loc = tf.reduce_sum(common.smooth_l1(y_pred["rpn_deltas"] - targets), -1)
        return cls + tf.reduce_sum(loc * pos) / tf.maximum(tf.reduce_sum(pos), 1.0)

    def head_loss(self, y, y_pred):
        # Faster R-CNN's variant of Fast R-CNN's sampling: background from IoU 0, three per
        # foreground RoI; the box term averaged over the foreground RoIs.
        sample = sample_rois(y_pred["proposals"], y["boxes"], y["classes"], self.num_proposals,
                             self.sampling_seed, fg_fraction=0.25, fg_iou=0.5, bg_iou_low=0.0,
                             negatives_per_positive=3.0)
        return head_loss(y_pred["proposals"], y_pred["class_logits"], y_pred["box_deltas"],
                         sample, self.num_classes)

    def detection_loss(self, y, y_pred):
        return self.rpn_loss(y, y_pred) + self.head_loss(y, y_pred)

    def decode(self, y_pred):
        return decode_head(y_pred["proposals"], y_pred["class_logits"], y_pred["box_deltas"],
                           self.num_classes)


register(
    "faster_rcnn",
    task="detection",
    family="rcnn",
    tiny=dict(input_shape=(64, 64, 3), num_classes=3, backbone=None, filters=(16, 32, 64),
              anchor_sizes=(12, 24, 40), rpn_filters=64, num_proposals=32, rpn_batch=64,
              pool_size=4, head_units=128),
    canonical=dict(input_shape=(600, 600, 3), num_classes=20, backbone="vgg16",
                   anchor_sizes=(128, 256, 512)),
    data="shapes_detection",
    recipe="detection",
    paper="Ren et al., Faster R-CNN: Towards Real-Time Object Detection with Region Proposal "
          "Networks, NeurIPS 2015",
    notes="RoIAlign instead of RoI pooling; canonical VGG-16 features are stride 32 (the "
          "registry's include_top=False keeps pool5), the paper's conv5_3 is stride 16.",
)(FasterRCNN)

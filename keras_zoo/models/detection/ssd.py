"""SSD (Liu, Anguelov, Erhan, Szegedy, Reed, Fu & Berg, SSD: Single Shot MultiBox Detector,
ECCV 2016)."""

from __future__ import annotations

import keras
import tensorflow as tf

from keras_zoo.boxes import decode, encode, match_anchors, ssd_default_boxes
from keras_zoo.models.detection import common
from keras_zoo.models.registry import register


@keras.saving.register_keras_serializable(package="keras_zoo")
class SSD(common.Detector):
    """SSD: default boxes of several scales and aspect ratios on several feature maps, each map
    with 3x3 convolutional predictors of ``C + 1`` class scores (background first) and 4 box
    offsets per default box (section 2.1).

    Training (section 2.2): default boxes are matched to ground truth (the best one for each
    object, and every one with IoU >= 0.5), the loss is ``(L_conf + alpha L_loc) / N`` over the
    ``N`` matched boxes, with smooth L1 on the encoded offsets and softmax cross-entropy, and
    the negatives kept are the highest-loss ones, at most 3 per positive (hard negative mining).
    An image without objects keeps 3 hard negatives (the paper's loss is 0 there, which would
    never teach the background on empty images).

    Args:
        input_shape: ``(height, width, 3)``; the paper's SSD300 takes 300 x 300.
        num_classes: object classes, without the background (20 for VOC).
        backbone: a registered classifier's name (``include_top=False``; the paper uses VGG-16)
            or ``None`` for a small conv stack of ``filters``.
        filters: the conv stack's widths (one 2x2 pooling each).
        extra_filters: the extra feature layers (a 3x3 stride-2 conv each), which add coarser
            maps after the backbone's last one.
        num_backbone_maps: how many of the conv stack's last maps are predicted from (1 with a
            registered backbone).
        aspect_ratios: of the default boxes, besides the extra square (``{1, 2, 1/2}`` here;
            the paper also uses 3 and 1/3).
        s_min, s_max: the default boxes' smallest and largest scales (0.2, 0.9).
        alpha: the localisation loss weight (1).
        negative_ratio: negatives per positive (3).
        max_detections, iou_threshold, score_threshold: of the served NMS (the paper: 0.45).
        name: the model's name.
    """

    def __init__(self, input_shape=(300, 300, 3), num_classes=20, backbone="vgg16",
                 filters=(64, 128, 256, 512), extra_filters=(512, 256, 256, 256),
                 num_backbone_maps=1, aspect_ratios=(1.0, 2.0, 0.5), s_min=0.2, s_max=0.9,
                 alpha=1.0, negative_ratio=3, max_detections=20, iou_threshold=0.45,
                 score_threshold=0.05, name="ssd", **kwargs):
        input_shape = tuple(input_shape)
        common.validate("SSD", input_shape, num_classes)
        per_cell = len(aspect_ratios) + 1
        # === Functional Model ===
        inputs = keras.Input(input_shape, name="images")
        maps = common.backbone_features(inputs, backbone, tuple(filters))
        maps = maps[-(1 if backbone else num_backbone_maps):]
        x = maps[-1]
        for i, f in enumerate(extra_filters, start=1):
            x = keras.layers.Conv2D(f, 3, strides=2, padding="same", activation="relu",
                                    name=f"extra{i}")(x)
            maps.append(x)
        scores, offsets = [], []
        for k, feature in enumerate(maps):
            cls = keras.layers.Conv2D(per_cell * (num_classes + 1), 3, padding="same",
                                      name=f"conf{k}")(feature)
            loc = keras.layers.Conv2D(per_cell * 4, 3, padding="same", name=f"loc{k}")(feature)
            scores.append(keras.layers.Reshape((-1, num_classes + 1), name=f"conf{k}_flat")(cls))
            offsets.append(keras.layers.Reshape((-1, 4), name=f"loc{k}_flat")(loc))
        outputs = keras.layers.Concatenate(axis=-1, name="predictions")([
            keras.layers.Concatenate(axis=1, name="conf")(scores) if len(maps) > 1 else scores[0],
            keras.layers.Concatenate(axis=1, name="loc")(offsets) if len(maps) > 1 else offsets[0],
        ])
        super().__init__(inputs, outputs, name=name, **kwargs)
        # === Config ===
        self.alpha, self.negative_ratio = float(alpha), negative_ratio
        sizes = [tuple(m.shape[1:3]) for m in maps]
        self.default_boxes = ssd_default_boxes(sizes, input_shape[:2], aspect_ratios, s_min,
                                               s_max)
        self._configure(dict(
            input_shape=list(input_shape), num_classes=num_classes, backbone=backbone,
            filters=list(filters), extra_filters=list(extra_filters),
            num_backbone_maps=num_backbone_maps, aspect_ratios=list(aspect_ratios), s_min=s_min,
            s_max=s_max, alpha=alpha, negative_ratio=negative_ratio,
            max_detections=max_detections, iou_threshold=iou_threshold,
            score_threshold=score_threshold), max_detections, iou_threshold, score_threshold)

    def detection_loss(self, y, y_pred):
        y_pred = tf.cast(y_pred, tf.float32)
        logits, deltas = y_pred[..., :self.num_classes + 1], y_pred[..., self.num_classes + 1:]
        anchors = tf.constant(self.default_boxes)
        match = match_anchors(anchors, y["boxes"], y["classes"], positive_iou=0.5)
        positive = match["positive"]  # [B, N]
        labels = tf.where(positive > 0, match["classes"] + 1, 0)
        ce = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
        # Hard negative mining: the negatives with the highest loss, 3 per positive.
        num_pos = tf.reduce_sum(positive, axis=1, keepdims=True)
        num_neg = self.negative_ratio * tf.maximum(num_pos, 1.0)
        negative_ce = tf.where(positive > 0, -1.0, tf.stop_gradient(ce))
        rank = tf.argsort(tf.argsort(negative_ce, axis=1, direction="DESCENDING"), axis=1)
        hard = tf.cast(tf.cast(rank, tf.float32) < num_neg, tf.float32) * (1.0 - positive)
        targets = encode(anchors, match["boxes"])
        loc = tf.reduce_sum(common.smooth_l1(deltas - targets), axis=-1)
        total = (tf.reduce_sum(ce * (positive + hard))
                 + self.alpha * tf.reduce_sum(loc * positive))
        return total / tf.maximum(tf.reduce_sum(positive), 1.0)

    def decode(self, y_pred):
        y_pred = tf.cast(y_pred, tf.float32)
        probs = tf.nn.softmax(y_pred[..., :self.num_classes + 1], axis=-1)
        boxes = decode(tf.constant(self.default_boxes), y_pred[..., self.num_classes + 1:])
        return boxes, probs[..., 1:]


register(
    "ssd",
    task="detection",
    family="ssd",
    tiny=dict(input_shape=(64, 64, 3), num_classes=3, backbone=None, filters=(16, 32, 64),
              extra_filters=(64, 64), num_backbone_maps=1, s_min=0.15, s_max=0.6),
    canonical=dict(input_shape=(300, 300, 3), num_classes=20, backbone="vgg16",
                   extra_filters=(512, 256, 256, 256)),
    data="shapes_detection",
    recipe="ssd",
    paper="Liu et al., SSD: Single Shot MultiBox Detector, ECCV 2016",
    notes="canonical: registry VGG-16 features (stride 32, include_top=False) plus 4 extra "
          "stride-2 layers; the paper's SSD300 predicts from conv4_3 and fc7 (dilated) too.",
)(SSD)



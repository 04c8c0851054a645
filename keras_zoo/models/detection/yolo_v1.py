"""YOLO v1 (Redmon, Divvala, Girshick & Farhadi, You Only Look Once: Unified, Real-Time Object
Detection, CVPR 2016)."""

from __future__ import annotations

import keras
import tensorflow as tf

from keras_zoo.models.detection import common
from keras_zoo.models.registry import register


@keras.saving.register_keras_serializable(package="keras_zoo")
class YOLOv1(common.Detector):
    """YOLO v1: an ``S x S`` grid, each cell predicting ``B`` boxes of 5 numbers ``(x, y, w, h,
    confidence)`` and ``C`` class probabilities, trained with the paper's sum-squared loss
    (equation 3, ``lambda_coord = 5``, ``lambda_noobj = 0.5``).

    ``x, y`` are the box centre's offset in its cell, ``w, h`` the square roots of its size
    relative to the image, the confidence's target is the IoU of the predicted box with the
    ground truth, and the predictor "responsible" for an object is the one of its cell with the
    highest IoU. The paper's last layer is linear; here the 5 box numbers pass through a sigmoid
    (the ranges they must lie in) and the class scores through a softmax, which keeps the tiny
    configs stable (the loss is still the paper's sum of squares of those quantities).
    Detections are ``confidence * P(class | object)`` (section 2), then NMS in the graph.

    Args:
        input_shape: ``(height, width, 3)``; the paper's 448 x 448.
        num_classes: ``C`` (20 for VOC).
        grid_size: ``S`` (7).
        boxes_per_cell: ``B`` (2).
        backbone: a registered classifier's name used with ``include_top=False`` (the paper's
            own 24-layer network is not in the registry; it also reports a VGG-16 YOLO), or
            ``None`` for a small conv stack of ``filters``.
        filters: the conv stack's widths (one 2x2 pooling each).
        head_units: the hidden fully connected layer (4096).
        dropout: after it (0.5).
        lambda_coord, lambda_noobj: the loss weights.
        max_detections, iou_threshold, score_threshold: of the served NMS.
        name: the model's name.
    """

    def __init__(self, input_shape=(448, 448, 3), num_classes=20, grid_size=7, boxes_per_cell=2,
                 backbone=None, filters=(64, 128, 256, 512, 1024, 1024), head_units=4096,
                 dropout=0.5, lambda_coord=5.0, lambda_noobj=0.5, max_detections=20,
                 iou_threshold=0.5, score_threshold=0.2, name="yolo_v1", **kwargs):
        input_shape = tuple(input_shape)
        common.validate("YOLOv1", input_shape, num_classes)
        s, b, c = grid_size, boxes_per_cell, num_classes
        # === Functional Model ===
        inputs = keras.Input(input_shape, name="images")
        x = common.backbone_features(inputs, backbone, tuple(filters))[-1]
        x = keras.layers.Flatten(name="flatten")(x)
        x = keras.layers.Dense(head_units, name="fc1")(x)
        x = keras.layers.LeakyReLU(0.1, name="fc1_leaky")(x)
        x = keras.layers.Dropout(dropout, name="fc1_dropout")(x)
        x = keras.layers.Dense(s * s * (b * 5 + c), name="fc2")(x)
        outputs = keras.layers.Reshape((s, s, b * 5 + c), name="grid")(x)
        super().__init__(inputs, outputs, name=name, **kwargs)
        # === Config ===
        self.grid_size, self.boxes_per_cell = s, b
        self.lambda_coord, self.lambda_noobj = float(lambda_coord), float(lambda_noobj)
        self._configure(dict(
            input_shape=list(input_shape), num_classes=c, grid_size=s, boxes_per_cell=b,
            backbone=backbone, filters=list(filters), head_units=head_units, dropout=dropout,
            lambda_coord=lambda_coord, lambda_noobj=lambda_noobj, max_detections=max_detections,
            iou_threshold=iou_threshold, score_threshold=score_threshold),
            max_detections, iou_threshold, score_threshold)

    def _parse(self, y_pred):
        s, b, c = self.grid_size, self.boxes_per_cell, self.num_classes
        y_pred = tf.reshape(tf.cast(y_pred, tf.float32), [-1, s * s, b * 5 + c])
        box = tf.sigmoid(tf.reshape(y_pred[..., :b * 5], [-1, s * s, b, 5]))
        probs = tf.nn.softmax(y_pred[..., b * 5:], axis=-1)
        return box, probs

    def _cell_offsets(self):
        s = self.grid_size
        row, col = tf.meshgrid(tf.range(s, dtype=tf.float32), tf.range(s, dtype=tf.float32),
                               indexing="ij")
        return tf.reshape(col, [1, s * s, 1]), tf.reshape(row, [1, s * s, 1])

    def _to_pixels(self, box):
        """``[B, S*S, nb, 4]`` xyxy pixels from the parsed ``(x, y, sqrt w, sqrt h)``."""
        h, w = self.image_size
        col, row = self._cell_offsets()
        cx = (col + box[..., 0]) / self.grid_size * w
        cy = (row + box[..., 1]) / self.grid_size * h
        bw, bh = tf.square(box[..., 2]) * w, tf.square(box[..., 3]) * h
        return tf.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], axis=-1)

    def detection_loss(self, y, y_pred):
        s, c = self.grid_size, self.num_classes
        h, w = self.image_size
        box, probs = self._parse(y_pred)
        gt, classes = y["boxes"], y["classes"]
        valid = tf.cast(classes >= 0, tf.float32)  # [B, M]
        cx, cy = (gt[..., 0] + gt[..., 2]) / 2, (gt[..., 1] + gt[..., 3]) / 2
        col = tf.clip_by_value(tf.floor(cx / w * s), 0, s - 1)
        row = tf.clip_by_value(tf.floor(cy / h * s), 0, s - 1)
        # The cell containing an object's centre is responsible for it (one object per cell).
        in_cell = tf.one_hot(tf.cast(row * s + col, tf.int32), s * s) * valid[..., None]
        obj = tf.reduce_max(in_cell, axis=1)  # [B, S*S]
        owner = tf.argmax(in_cell, axis=1)  # [B, S*S]
        t_box = tf.gather(gt, owner, batch_dims=1)  # [B, S*S, 4]
        t_cls = tf.gather(classes, owner, batch_dims=1)
        t_col, t_row = tf.gather(col, owner, batch_dims=1), tf.gather(row, owner, batch_dims=1)
        t_cx = tf.gather(cx, owner, batch_dims=1) / w * s - t_col
        t_cy = tf.gather(cy, owner, batch_dims=1) / h * s - t_row
        t_sw = tf.sqrt(tf.maximum(t_box[..., 2] - t_box[..., 0], 0.0) / w)
        t_sh = tf.sqrt(tf.maximum(t_box[..., 3] - t_box[..., 1], 0.0) / h)
        pixels = self._to_pixels(box)  # [B, S*S, nb, 4]
        ious = tf.stop_gradient(_elementwise_iou(pixels, t_box[:, :, None, :]))
        responsible = tf.one_hot(tf.argmax(ious, axis=-1), self.boxes_per_cell) * obj[..., None]
        coord = (tf.square(box[..., 0] - t_cx[..., None]) + tf.square(box[..., 1] - t_cy[..., None])
                 + tf.square(box[..., 2] - t_sw[..., None])
                 + tf.square(box[..., 3] - t_sh[..., None]))
        conf = box[..., 4]
        loss = (self.lambda_coord * tf.reduce_sum(responsible * coord, axis=[1, 2])
                + tf.reduce_sum(responsible * tf.square(conf - ious), axis=[1, 2])
                + self.lambda_noobj * tf.reduce_sum((1.0 - responsible) * tf.square(conf),
                                                    axis=[1, 2])
                + tf.reduce_sum(obj[..., None] * tf.square(probs - tf.one_hot(t_cls, c)),
                                axis=[1, 2]))
        return tf.reduce_mean(loss)

    def decode(self, y_pred):
        box, probs = self._parse(y_pred)
        b, c = self.boxes_per_cell, self.num_classes
        pixels = tf.reshape(self._to_pixels(box), [-1, self.grid_size ** 2 * b, 4])
        scores = tf.reshape(box[..., 4:5] * tf.expand_dims(probs, 2),
                            [-1, self.grid_size ** 2 * b, c])
        return pixels, scores


def _elementwise_iou(a, b):
    x1, y1 = tf.maximum(a[..., 0], b[..., 0]), tf.maximum(a[..., 1], b[..., 1])
    x2, y2 = tf.minimum(a[..., 2], b[..., 2]), tf.minimum(a[..., 3], b[..., 3])
    inter = tf.maximum(x2 - x1, 0.0) * tf.maximum(y2 - y1, 0.0)
    area = lambda z: tf.maximum(z[..., 2] - z[..., 0], 0.0) * tf.maximum(z[..., 3] - z[..., 1], 0.0)  # noqa: E731,E501
    return inter / tf.maximum(area(a) + area(b) - inter, 1e-9)


register(
    "yolo_v1",
    task="detection",
    family="yolo",
    tiny=dict(input_shape=(64, 64, 3), num_classes=3, grid_size=4, boxes_per_cell=2,
              filters=(16, 32, 32, 64), head_units=128, dropout=0.0,
              score_threshold=0.05),
    canonical=dict(input_shape=(448, 448, 3), num_classes=20, grid_size=7, boxes_per_cell=2,
                   backbone="vgg16", head_units=4096),
    data="shapes_detection",
    recipe="detection",
    debts={"int8": "measured on the untrained tiny model: int8 shifts the decoded box centres "
                   "by 3-5 px on 16-px cell boxes (fc2 -> sigmoid -> cell offset arithmetic is "
                   "quantised), so only 0.375 of float detections are found at IoU >= 0.5"},
    paper="Redmon et al., You Only Look Once: Unified, Real-Time Object Detection, CVPR 2016",
    notes="canonical uses the paper's VGG-16 variant (Table 1) as backbone; the paper's own "
          "24-layer network is not a registered classifier.",
)(YOLOv1)

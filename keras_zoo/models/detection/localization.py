"""Single-object localisation: a classifier with a box-regression head (OverFeat, Sermanet et
al. 2014, section 4; the notes' "classification + localisation")."""

from __future__ import annotations

import keras
import tensorflow as tf

from keras_zoo.models.detection import common
from keras_zoo.models.registry import register


@keras.saving.register_keras_serializable(package="keras_zoo")
class Localizer(common.Detector):
    """One object per image: class scores (softmax) and one box, from shared features.

    The box is regressed as ``(c_x, c_y, w, h)`` relative to the image (sigmoid), trained with
    the L2 loss of OverFeat's regression network next to the classifier's cross-entropy:
    ``L = CE(class) + box_weight * ||b - b*||^2``. The target is the image's largest object.
    Serving returns the box in pixels with the class probability as its score (one detection;
    NMS is moot with a single box).

    Args:
        input_shape: ``(height, width, 3)``.
        num_classes: object classes.
        backbone: a registered classifier's name (``include_top=False``) or ``None`` for a
            small conv stack of ``filters``.
        filters: the conv stack's widths.
        units: the hidden fully connected layer of each head.
        box_weight: the box loss weight.
        name: the model's name.
    """

    def __init__(self, input_shape=(224, 224, 3), num_classes=20, backbone="vgg16",
                 filters=(32, 64, 128), units=256, box_weight=5.0, name="localizer", **kwargs):
        input_shape = tuple(input_shape)
        common.validate("Localizer", input_shape, num_classes)
        # === Functional Model ===
        inputs = keras.Input(input_shape, name="images")
        x = common.backbone_features(inputs, backbone, tuple(filters))[-1]
        x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
        c = keras.layers.Dense(units, activation="relu", name="cls_fc")(x)
        c = keras.layers.Dense(num_classes, activation="softmax", name="class_probabilities")(c)
        b = keras.layers.Dense(units, activation="relu", name="box_fc")(x)
        b = keras.layers.Dense(4, activation="sigmoid", name="box")(b)
        outputs = keras.layers.Concatenate(name="predictions")([c, b])
        super().__init__(inputs, outputs, name=name, **kwargs)
        # === Config ===
        self.box_weight = float(box_weight)
        self._configure(dict(input_shape=list(input_shape), num_classes=num_classes,
                               backbone=backbone, filters=list(filters), units=units,
                               box_weight=box_weight), 1, 0.5, 0.0)

    def detection_loss(self, y, y_pred):
        h, w = self.image_size
        boxes, classes = y["boxes"], y["classes"]
        area = (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])
        area = tf.where(classes >= 0, area, -1.0)
        largest = tf.argmax(area, axis=1)
        target = tf.gather(boxes, largest, batch_dims=1)
        label = tf.gather(classes, largest, batch_dims=1)
        has_object = tf.cast(label >= 0, tf.float32)
        scale = tf.constant([w, h, w, h], tf.float32)
        t = target / scale
        t = tf.stack([(t[:, 0] + t[:, 2]) / 2, (t[:, 1] + t[:, 3]) / 2, t[:, 2] - t[:, 0],
                      t[:, 3] - t[:, 1]], axis=-1)
        probs, box = y_pred[:, :self.num_classes], y_pred[:, self.num_classes:]
        ce = keras.losses.sparse_categorical_crossentropy(tf.maximum(label, 0), probs)
        l2 = tf.reduce_sum(tf.square(box - t), axis=-1)
        return tf.reduce_sum(has_object * (ce + self.box_weight * l2)) / tf.maximum(
            tf.reduce_sum(has_object), 1.0)

    def decode(self, y_pred):
        h, w = self.image_size
        probs, box = y_pred[:, :self.num_classes], y_pred[:, self.num_classes:]
        cx, cy, bw, bh = box[:, 0] * w, box[:, 1] * h, box[:, 2] * w, box[:, 3] * h
        pixels = tf.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], axis=-1)
        return tf.expand_dims(pixels, 1), tf.expand_dims(probs, 1)


register(
    "localizer",
    task="localization",
    family="localization",
    tiny=dict(input_shape=(64, 64, 3), num_classes=3, backbone=None, filters=(16, 32, 64),
              units=64),
    canonical=dict(input_shape=(224, 224, 3), num_classes=20, backbone="vgg16", units=4096),
    data="shapes_detection",
    recipe="detection",
    paper="Sermanet et al., OverFeat: Integrated Recognition, Localization and Detection using "
          "Convolutional Networks, ICLR 2014",
)(Localizer)

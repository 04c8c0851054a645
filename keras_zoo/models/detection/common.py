"""What every detector shares: the backbone, the base model class with in-graph target
assignment (``compute_loss``), decoding plus NMS (``detect``) and the serialisable config.

A detector is a functional ``keras.Model`` subclass: ``__init__`` builds the graph from its
arguments and ``get_config`` returns them, so ``.keras`` files reload with ``safe_mode=True``.
Its training targets are the padded ground truth itself, ``y = {"boxes": [B, M, 4] xyxy pixels,
"classes": [B, M] int (-1 padding)}``: each model matches it to its own outputs inside
``compute_loss``, so one ``tf.data`` pipeline serves every detector.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from keras_zoo.boxes import batched_nms


def conv_backbone(x, filters=(16, 32, 64), name="backbone"):
    """A small conv stack for tiny configs: per stage a 3x3 conv (BN, ReLU) and a 2x2 max pool.

    Returns the feature map after every stage (strides 2, 4, 8, ...).
    """
    features = []
    for i, f in enumerate(filters, start=1):
        x = keras.layers.Conv2D(f, 3, padding="same", use_bias=False, name=f"{name}_conv{i}")(x)
        x = keras.layers.BatchNormalization(name=f"{name}_bn{i}")(x)
        x = keras.layers.ReLU(name=f"{name}_relu{i}")(x)
        x = keras.layers.MaxPooling2D(2, name=f"{name}_pool{i}")(x)
        features.append(x)
    return features


def registry_backbone(inputs, backbone, drop_last_pool=False):
    """The feature extractor of a registered classifier (``include_top=False``), applied to
    ``inputs``; returns its feature map. ``drop_last_pool``: without its last max pooling
    (Fast R-CNN's RoI pooling replaces it; section 2.1)."""
    from keras_zoo import models

    entry = models.info(backbone)
    if entry.task != "classification":
        raise ValueError(f"backbone must be a registered classifier, got {backbone!r} "
                         f"(task {entry.task!r}).")
    net = models.get(backbone, include_top=False, weights=None,
                     input_shape=tuple(inputs.shape[1:]))
    if drop_last_pool and isinstance(net.layers[-1], keras.layers.MaxPooling2D):
        net = keras.Model(net.inputs, net.layers[-2].output, name=f"{net.name}_conv")
    return net(inputs)


def backbone_features(inputs, backbone, filters, drop_last_pool=False):
    """``[feature maps]``: of the conv stack of ``filters`` (``backbone=None``), or of a
    registered classifier (``registry_backbone``; ``drop_last_pool`` applies to it only)."""
    if backbone is None:
        return conv_backbone(inputs, filters)
    return [registry_backbone(inputs, backbone, drop_last_pool)]


def check_num_classes(classes, num_classes, name="model"):
    """A clear error when the data has classes the head cannot predict."""
    classes = np.asarray(classes)
    top = int(classes.max()) if classes.size else -1
    if top >= num_classes:
        raise ValueError(f"{name}: the data has class id {top}, but num_classes={num_classes} "
                         f"(ids 0..{num_classes - 1}); build the model with num_classes >= "
                         f"{top + 1}.")


def validate(name, input_shape, num_classes):
    if len(input_shape) != 3 or input_shape[-1] != 3 or not all(
            isinstance(s, int) and s > 0 for s in input_shape):
        raise ValueError(f"{name}: input_shape must be (height, width, 3), got {input_shape!r}.")
    if not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"{name}: num_classes must be a positive int, got {num_classes!r}.")


def smooth_l1(x, beta=1.0):
    """Fast R-CNN's smooth L1 (equation 3): 0.5 x^2 / beta if |x| < beta, else |x| - 0.5 beta."""
    a = tf.abs(x)
    return tf.where(a < beta, 0.5 * a * a / beta, a - 0.5 * beta)


#: Methods of detectors that are straight-line tensor code (no Python control flow on tensors).
_GRAPH_METHODS = ("compute_loss", "detection_loss", "rpn_loss", "head_loss", "mask_loss",
                  "decode", "detect")


class Detector(keras.Model):
    """Base of keras-zoo's detectors (not registered itself).

    Subclasses build the graph, then call ``super().__init__(inputs, outputs, name=...)`` and
    ``self._configure(...)``, and implement ``detection_loss(y, y_pred)`` (a scalar) and
    ``decode(y_pred)`` (``boxes [B, N, 4]`` pixels, ``scores [B, N, C]``).
    """

    #: Whether the model predicts instance masks (training targets then include ``masks``
    #: ``[B, M, H, W]`` and serving returns ``masks``); Mask R-CNN sets it.
    predicts_masks = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # AutoGraph has nothing to convert in these methods, and converting them went wrong:
        # after fit had traced Mask R-CNN's compute_loss, tracing its detect in the same
        # process called a converted detection_loss in place of decode.
        for method in _GRAPH_METHODS:
            if method in cls.__dict__:
                setattr(cls, method, tf.autograph.experimental.do_not_convert(cls.__dict__[method]))

    def _configure(self, config, max_detections, iou_threshold, score_threshold):
        """Records the constructor's arguments (``get_config``), ``num_classes``, the image
        size (``image_shape`` or ``input_shape``) and the served NMS's settings."""
        self._config = dict(config)
        self.num_classes = config["num_classes"]
        self._image_size = tuple((config.get("image_shape") or config["input_shape"])[:2])
        self.max_detections = max_detections
        self.iou_threshold = iou_threshold
        self.score_threshold = score_threshold

    @property
    def image_size(self):
        """``(height, width)`` of the images the detector serves (for R-CNN not its input,
        which is warped regions; for Fast R-CNN a part of its inputs)."""
        return self._image_size

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        boxes = tf.cast(y["boxes"], tf.float32)
        classes = tf.cast(y["classes"], tf.int32)
        tf.debugging.assert_less(
            tf.reduce_max(tf.concat([tf.reshape(classes, [-1]), [-1]], 0)),
            self.num_classes,
            message=f"{self.name}: a ground-truth class id is >= num_classes="
                    f"{self.num_classes}")
        loss = self.detection_loss({"boxes": boxes, "classes": classes}, y_pred)
        if self.losses:
            loss = loss + tf.add_n(self.losses)
        return loss

    def detection_loss(self, y, y_pred):
        raise NotImplementedError

    def decode(self, y_pred):
        raise NotImplementedError

    def detect(self, images):
        """Final detections of float images in [0, 1]: the serving dict (NMS in the graph)."""
        boxes, scores = self.decode(self(images, training=False))
        return batched_nms(boxes, scores, self.max_detections, self.iou_threshold,
                           self.score_threshold, image_size=self.image_size)

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable, **self._config}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

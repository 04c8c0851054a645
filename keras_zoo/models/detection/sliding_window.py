"""A sliding-window detector, in the fully convolutional form of OverFeat (Sermanet, Eigen,
Zhang, Mathieu, Fergus & LeCun, OverFeat: Integrated Recognition, Localization and Detection
using Convolutional Networks, ICLR 2014)."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from keras_zoo.boxes import decode, encode, match_anchors
from keras_zoo.models.detection import common
from keras_zoo.models.registry import register


def window_classifier(window_size, num_classes, filters, units, box_regression,
                      name="window_classifier"):
    """The window classifier as a fully convolutional network (OverFeat section 3.5).

    Per stage a 3x3 ``valid`` convolution (ReLU) and a 2x2 max pooling; then the "fully
    connected" layers as convolutions: one whose kernel covers what is left of a window, and a
    1x1 convolution per output. On a ``window_size`` crop it outputs ``1 x 1``; on a larger
    image one cell per window position, every ``2 ** len(filters)`` pixels, each equal to the
    classifier applied to that crop (no padding anywhere, so no cell sees past its window).

    Returns:
        ``(model, stride)``: the model maps ``[B, h, w, 3]`` to ``{"class_logits" [B, h', w',
        C + 1], ("box_deltas" [B, h', w', 4])}``.
    """
    size = window_size
    for _ in filters:
        size = (size - 2) / 2
    if size < 1 or size != int(size):
        # Each stage must halve an even size, or pooling would drop the window's last
        # pixels and the window would not be what the classifier sees.
        n = len(filters)
        valid = [2 ** n * k + 2 ** (n + 1) - 2 for k in range(1, 6)]
        raise ValueError(f"window_size={window_size} does not fit {n} stages of 3x3 valid "
                         f"conv + 2x2 pooling exactly; use one of {valid}, ...")
    inputs = keras.Input((None, None, 3), name="windows")
    x = inputs
    for i, f in enumerate(filters, start=1):
        x = keras.layers.Conv2D(f, 3, activation="relu", name=f"conv{i}")(x)
        x = keras.layers.MaxPooling2D(2, name=f"pool{i}")(x)
    size = int(size)
    x = keras.layers.Conv2D(units, size, activation="relu", name="fc1")(x)
    outputs = {"class_logits": keras.layers.Conv2D(num_classes + 1, 1, name="cls")(x)}
    if box_regression:
        outputs["box_deltas"] = keras.layers.Conv2D(4, 1, name="bbox",
                                                    kernel_initializer="zeros")(x)
    return keras.Model(inputs, outputs, name=name), 2 ** len(filters)


def window_grid(output_size, stride, window_size, scale_xy):
    """xyxy pixel boxes ``[h' w', 4]`` of the windows of one scale, in the original image:
    cell ``(i, j)`` is the crop at ``(j stride, i stride)`` of the resized image."""
    h, w = output_size
    sx, sy = scale_xy
    ys, xs = np.meshgrid(np.arange(h) * stride, np.arange(w) * stride, indexing="ij")
    xs, ys = xs.reshape(-1).astype(np.float32), ys.reshape(-1).astype(np.float32)
    return np.stack([xs / sx, ys / sy, (xs + window_size) / sx, (ys + window_size) / sy], -1)


def hard_negatives(loss, positive, negative, ratio):
    """Bootstrapping (hard negative mining): per image, the ``ratio`` x positives (at least
    ``ratio``) highest-loss negatives, as a 0/1 mask."""
    num = ratio * tf.maximum(tf.reduce_sum(positive, axis=1, keepdims=True), 1.0)
    ranked = tf.where(negative > 0, tf.stop_gradient(loss), -1.0)
    rank = tf.argsort(tf.argsort(ranked, axis=1, direction="DESCENDING"), axis=1)
    return tf.cast(tf.cast(rank, tf.float32) < num, tf.float32) * negative


@keras.saving.register_keras_serializable(package="keras_zoo")
class SlidingWindowDetector(common.Detector):
    """A CNN window classifier (object classes + background) slid over an image pyramid.

    The classifier is fully convolutional (``window_classifier``), so one pass over each
    scale scores every window at once, as OverFeat does (section 3.5): a window of
    ``window_size`` pixels of an image resized by ``s`` is a window of ``window_size / s``
    pixels of the original. Each window also regresses its box (OverFeat section 4,
    class-agnostic here). Training, in the graph on the padded ground truth: windows with IoU
    >= ``positive_iou`` with an object (and each object's best window) are positives of its
    class, the others negatives; the loss is the softmax cross-entropy over the positives and
    the hardest ``negative_ratio`` negatives per positive (bootstrapping), plus the smooth L1
    of the positives' box deltas, divided by the number of positives. Serving: NMS over all
    windows of all scales, in the graph.

    Args:
        input_shape: ``(height, width, 3)``.
        num_classes: object classes, without background.
        window_size: the classifier's input side, in pixels of a resized image.
        scales: the image pyramid's resize factors (> 1 finds windows smaller than
            ``window_size``, < 1 larger ones).
        filters: the classifier's conv widths (3x3 valid conv + 2x2 pooling each).
        units: the width of the (convolutional) fully connected layer.
        box_regression: whether windows also regress their boxes.
        positive_iou: IoU from which a window is an object.
        negative_ratio: hard negatives per positive.
        max_detections, iou_threshold, score_threshold: of the served NMS.
        name: the model's name.
    """

    def __init__(self, input_shape=(256, 256, 3), num_classes=20, window_size=62,
                 scales=(1.0, 0.75, 0.5, 0.35), filters=(32, 64, 128), units=512,
                 box_regression=True, positive_iou=0.5, negative_ratio=3, max_detections=20,
                 iou_threshold=0.5, score_threshold=0.05, name="sliding_window", **kwargs):
        input_shape = tuple(input_shape)
        common.validate("SlidingWindowDetector", input_shape, num_classes)
        scales = tuple(float(s) for s in scales)
        if not scales or any(s <= 0 for s in scales):
            raise ValueError(f"SlidingWindowDetector: scales must be positive numbers, got "
                             f"{scales!r}.")
        h, w = input_shape[:2]
        sizes = [(int(round(h * s)), int(round(w * s))) for s in scales]
        if any(min(size) < window_size for size in sizes):
            raise ValueError(f"SlidingWindowDetector: every scaled image must hold a window of "
                             f"window_size={window_size}; scales={scales} give {sizes}.")
        # === Layers ===
        classifier, stride = window_classifier(window_size, num_classes, tuple(filters),
                                               units, box_regression)
        # === Functional Model ===
        inputs = keras.Input(input_shape, name="images")
        logits, deltas, windows = [], [], []
        for k, size in enumerate(sizes):
            x = inputs if size == (h, w) else keras.layers.Resizing(
                *size, interpolation="bilinear", name=f"scale{k}_resize")(inputs)
            out = classifier(x)
            oh, ow = out["class_logits"].shape[1:3]
            windows.append(window_grid((oh, ow), stride, window_size,
                                       (size[1] / w, size[0] / h)))
            logits.append(keras.layers.Reshape((oh * ow, num_classes + 1),
                                               name=f"scale{k}_logits")(out["class_logits"]))
            if box_regression:
                deltas.append(keras.layers.Reshape((oh * ow, 4), name=f"scale{k}_deltas")(
                    out["box_deltas"]))

        def join(parts, name):
            return parts[0] if len(parts) == 1 else keras.layers.Concatenate(
                axis=1, name=name)(parts)

        outputs = {"class_logits": join(logits, "class_logits")}
        if box_regression:
            outputs["box_deltas"] = join(deltas, "box_deltas")
        super().__init__(inputs, outputs, name=name, **kwargs)
        # === Config ===
        self.stride = stride
        self.window_size, self.scale_sizes = window_size, sizes
        self.windows = np.concatenate(windows).astype(np.float32)
        self.box_regression = box_regression
        self.positive_iou, self.negative_ratio = float(positive_iou), negative_ratio
        self._configure(dict(
            input_shape=list(input_shape), num_classes=num_classes, window_size=window_size,
            scales=list(scales), filters=list(filters), units=units,
            box_regression=box_regression, positive_iou=positive_iou,
            negative_ratio=negative_ratio, max_detections=max_detections,
            iou_threshold=iou_threshold, score_threshold=score_threshold),
            max_detections, iou_threshold, score_threshold)

    @property
    def classifier(self):
        """The window classifier (``window_classifier``), shared by all scales."""
        return self.get_layer("window_classifier")

    def detection_loss(self, y, y_pred):
        windows = tf.constant(self.windows)
        match = match_anchors(windows, y["boxes"], y["classes"], self.positive_iou)
        positive, negative = match["positive"], match["negative"]
        labels = tf.where(positive > 0, match["classes"] + 1, 0)
        ce = tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=labels, logits=tf.cast(y_pred["class_logits"], tf.float32))
        hard = hard_negatives(ce, positive, negative, self.negative_ratio)
        total = tf.reduce_sum(ce * (positive + hard))
        if self.box_regression:
            targets = encode(windows, match["boxes"])
            loc = tf.reduce_sum(common.smooth_l1(
                tf.cast(y_pred["box_deltas"], tf.float32) - targets), axis=-1)
            total += tf.reduce_sum(loc * positive)
        return total / tf.maximum(tf.reduce_sum(positive), 1.0)

    def decode(self, y_pred):
        probs = tf.nn.softmax(tf.cast(y_pred["class_logits"], tf.float32), axis=-1)[..., 1:]
        windows = tf.constant(self.windows)
        if self.box_regression:
            boxes = decode(windows, tf.cast(y_pred["box_deltas"], tf.float32))
        else:
            boxes = tf.tile(windows[None], [tf.shape(probs)[0], 1, 1])
        return boxes, probs


register(
    "sliding_window",
    task="detection",
    family="sliding_window",
    tiny=dict(input_shape=(64, 64, 3), num_classes=3, window_size=18,
              scales=(1.33, 1.0, 0.67, 0.5), filters=(16, 32), units=64),
    canonical=dict(input_shape=(256, 256, 3), num_classes=20, window_size=62,
                   scales=(1.0, 0.75, 0.5, 0.35), filters=(32, 64, 128), units=512),
    data="shapes_detection",
    recipe="sliding_window",
    paper="Sermanet et al., OverFeat: Integrated Recognition, Localization and Detection using "
          "Convolutional Networks, ICLR 2014 (sliding windows as a convolution)",
    notes="the canonical config is a keras-zoo size, not a paper's: OverFeat's own networks "
          "are the registry's classifiers' business; this entry is the sliding-window method.",
)(SlidingWindowDetector)

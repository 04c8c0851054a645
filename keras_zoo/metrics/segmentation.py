"""Segmentation metrics from one confusion matrix over the pixels whose label is not ignored.

Keras' own ``MeanIoU``/``IoU`` accumulate the matrix (with ``ignore_class``); the subclasses
here read other figures from it: pixel accuracy (trace / total) and the Dice coefficient
``2 TP / (2 TP + FP + FN)``. A class absent from both the labels and the predictions has an
empty row and column: it is left out of the mean, as Keras' MeanIoU leaves it out.
"""

from __future__ import annotations

import keras
from keras import ops

#: The label of pixels that count nowhere (PASCAL VOC's "void" border).
IGNORE_LABEL = 255


def mean_iou(num_classes, ignore_label=IGNORE_LABEL, name="mean_iou"):
    """Keras' ``MeanIoU`` on logits or probabilities ``[..., K]`` (argmax taken) and sparse
    labels, pixels labelled ``ignore_label`` left out."""
    return keras.metrics.MeanIoU(num_classes, name=name, ignore_class=ignore_label,
                                 sparse_y_true=True, sparse_y_pred=False)


def class_iou(num_classes, class_id, ignore_label=IGNORE_LABEL, name=None):
    """Keras' ``IoU`` of one class (``iou_<class_id>``)."""
    return keras.metrics.IoU(num_classes, target_class_ids=[int(class_id)],
                             name=name or f"iou_{int(class_id)}", ignore_class=ignore_label,
                             sparse_y_true=True, sparse_y_pred=False)


@keras.saving.register_keras_serializable(package="keras_zoo")
class PixelAccuracy(keras.metrics.MeanIoU):
    """The fraction of non-ignored pixels whose argmax class is the label (Long et al. 2015,
    section 5: "pixel accuracy" = sum_i n_ii / sum_i t_i).

    Args:
        num_classes: K.
        ignore_label: pixels with this label count nowhere (None: none ignored).
        name: the metric's name.
    """

    def __init__(self, num_classes, ignore_label=IGNORE_LABEL, name="pixel_accuracy",
                 dtype=None, **kwargs):
        kwargs.pop("ignore_class", None)
        kwargs.pop("sparse_y_pred", None)
        kwargs.pop("sparse_y_true", None)
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_label,
                         sparse_y_true=True, sparse_y_pred=False, **kwargs)

    def result(self):
        cm = ops.cast(self.total_cm, "float32")
        total = ops.sum(cm)
        return ops.divide_no_nan(ops.trace(cm), total)

    def get_config(self):
        config = super().get_config()
        config["ignore_label"] = config.pop("ignore_class", None)
        return config


@keras.saving.register_keras_serializable(package="keras_zoo")
class Dice(PixelAccuracy):
    """The Dice coefficient (F1 score) per class, ``2 TP / (2 TP + FP + FN)``, averaged over the
    classes present in the labels or the predictions (Milletari et al. 2016 use it as a loss).

    Args:
        num_classes: K.
        ignore_label: pixels with this label count nowhere.
        name: the metric's name.
    """

    def __init__(self, num_classes, ignore_label=IGNORE_LABEL, name="dice", dtype=None,
                 **kwargs):
        super().__init__(num_classes, ignore_label=ignore_label, name=name, dtype=dtype,
                         **kwargs)

    def result(self):
        cm = ops.cast(self.total_cm, "float32")
        tp = ops.diagonal(cm)
        # Rows are labels, columns predictions: row + column sums = 2 TP + FN + FP.
        denominator = ops.sum(cm, axis=0) + ops.sum(cm, axis=1)
        present = ops.cast(denominator > 0, "float32")
        dice = ops.divide_no_nan(2.0 * tp, denominator)
        return ops.divide_no_nan(ops.sum(dice * present), ops.sum(present))


def segmentation_metrics(num_classes, ignore_label=IGNORE_LABEL, per_class=False):
    """The metrics a segmentation model compiles with: mean IoU, pixel accuracy, Dice (and one
    IoU per class if ``per_class``)."""
    metrics = [mean_iou(num_classes, ignore_label), PixelAccuracy(num_classes, ignore_label),
               Dice(num_classes, ignore_label)]
    if per_class:
        metrics += [class_iou(num_classes, k, ignore_label) for k in range(num_classes)]
    return metrics

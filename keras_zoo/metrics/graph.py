"""Node-classification accuracy over the labelled nodes only (Kipf & Welling 2017, section 5:
the accuracy on the test nodes; padding and unlabelled nodes carry the label -1)."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_zoo")
class NodeAccuracy(keras.metrics.Metric):
    """The fraction of labelled nodes whose argmax class is their label, accumulated over
    batches: ``sum [argmax y_pred = y] / sum [y != ignore_class]`` (a batch without a labelled
    node adds nothing).

    Args:
        ignore_class: the label of nodes that are not scored.
        name: the metric's name ("accuracy", so recipes' ``min_test_accuracy`` reads it).
    """

    def __init__(self, ignore_class=-1, name="accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.ignore_class = int(ignore_class)
        self.correct = self.add_variable(shape=(), initializer="zeros", name="correct")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.cast(y_true, "int32")
        if len(y_true.shape) == len(y_pred.shape):  # [B, N, 1] labels
            y_true = ops.squeeze(y_true, -1)
        labelled = ops.cast(ops.not_equal(y_true, self.ignore_class), "float32")
        if sample_weight is not None:
            labelled = labelled * ops.cast(ops.reshape(sample_weight, ops.shape(labelled)),
                                           "float32")
        hit = ops.cast(ops.equal(ops.cast(ops.argmax(y_pred, axis=-1), "int32"), y_true),
                       "float32")
        self.correct.assign_add(ops.sum(hit * labelled))
        self.count.assign_add(ops.sum(labelled))

    def result(self):
        return ops.divide_no_nan(self.correct, self.count)

    def reset_state(self):
        self.correct.assign(0.0)
        self.count.assign(0.0)

    def get_config(self):
        return {"ignore_class": self.ignore_class, "name": self.name, "dtype": self.dtype}

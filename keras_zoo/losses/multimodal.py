"""CLIP's symmetric contrastive loss (Radford et al., Learning Transferable Visual Models From
Natural Language Supervision, ICML 2021, Figure 3): cross-entropy over the rows and over the
columns of the ``[N, N]`` similarity logits of N matching pairs, whose diagonal holds the pairs."""

from __future__ import annotations

import keras


def symmetric_contrastive_loss(logits):
    """``(CE(logits, diag) + CE(logits^T, diag)) / 2``, per example (``[N]``)."""
    logits = keras.ops.convert_to_tensor(logits)
    n = keras.ops.shape(logits)[0]
    labels = keras.ops.arange(n)
    rows = keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
    columns = keras.losses.sparse_categorical_crossentropy(
        labels, keras.ops.transpose(logits), from_logits=True)
    return (rows + columns) / 2.0


@keras.saving.register_keras_serializable(package="keras_zoo")
class SymmetricContrastiveLoss(keras.losses.Loss):
    """The symmetric InfoNCE of CLIP on a batch of pair logits ``[N, N]`` (row i, column i
    match). ``y_true`` carries no information (the pairs are the diagonal) and is ignored; its
    batch size must still be N (any ``[N]`` array)."""

    def __init__(self, name="symmetric_contrastive", reduction="sum_over_batch_size"):
        super().__init__(name=name, reduction=reduction)

    def call(self, y_true, y_pred):
        return symmetric_contrastive_loss(y_pred)

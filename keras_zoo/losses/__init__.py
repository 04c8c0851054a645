"""Losses of keras-zoo that Keras does not ship: metric learning and contrastive learning."""

from keras_zoo.losses.metric_learning import (
    MINING,
    ContrastiveLoss,
    NTXentLoss,
    TripletLoss,
    contrastive_loss,
    info_nce,
    nt_xent,
    pairwise_distances,
    triplet_loss,
)
from keras_zoo.losses.multimodal import SymmetricContrastiveLoss, symmetric_contrastive_loss

__all__ = [
    "MINING",
    "ContrastiveLoss",
    "NTXentLoss",
    "SymmetricContrastiveLoss",
    "TripletLoss",
    "contrastive_loss",
    "info_nce",
    "nt_xent",
    "pairwise_distances",
    "symmetric_contrastive_loss",
    "triplet_loss",
]

"""Fast R-CNN's box head trunk (Girshick, Fast R-CNN, ICCV 2015, Figure 1): the two fully
connected layers ``fc6`` and ``fc7`` on pooled RoI features, whose ``fc7`` output is a region's
feature vector. The R-CNN detectors put the classifier and box regressor on it
(``keras_zoo.models.detection.roi_head.box_head``); VL-BERT and ViLBERT take it as the region
feature (``region_encoder="faster_rcnn"``), as both papers take a detector's region features.
"""

from __future__ import annotations

import math

import keras


def box_head_features(pooled, units, dropout=0.0):
    """``fc7`` features ``[B, P, units]`` of pooled RoI features ``[B, P, h, w, C]``: flatten
    (``roi_flatten``), ``fc6`` and ``fc7`` (ReLU, optional dropout after each as in VGG-16's
    fully connected layers).

    Args:
        pooled: the pooled RoI features.
        units: width of ``fc6`` and ``fc7`` (4096 for VGG-16).
        dropout: dropout rate after ``fc6`` and ``fc7`` (0.5 in VGG-16; 0 for none).
    """
    features = math.prod(pooled.shape[2:])
    x = keras.layers.Reshape((-1, features), name="roi_flatten")(pooled)
    for name in ("fc6", "fc7"):
        x = keras.layers.Dense(units, activation="relu", name=name)(x)
        if dropout:
            x = keras.layers.Dropout(dropout, name=f"{name}_dropout")(x)
    return x

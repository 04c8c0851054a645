"""Boxes shared by every detector: anchors, encoding, IoU, matching, NMS and mAP.

All boxes are ``(x_min, y_min, x_max, y_max)`` in pixels (Keras' ``"xyxy"``) unless a name says
otherwise; conversions and deltas go through ``keras.utils.bounding_boxes``.
"""

from keras_zoo.boxes.anchors import grid_anchors, ssd_default_boxes
from keras_zoo.boxes.coding import decode, encode
from keras_zoo.boxes.iou import iou
from keras_zoo.boxes.matching import match_anchors
from keras_zoo.boxes.metrics import MeanAveragePrecision, mean_average_precision
from keras_zoo.boxes.nms import batched_nms, image_indices

__all__ = ["MeanAveragePrecision", "batched_nms", "decode", "encode", "grid_anchors", "image_indices", "iou",
           "match_anchors", "mean_average_precision", "ssd_default_boxes"]

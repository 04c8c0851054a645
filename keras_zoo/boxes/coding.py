"""Box encoding relative to anchors (R-CNN, Girshick et al. 2014, appendix C; Faster R-CNN
equation 2): ``t_x = (x - x_a) / w_a``, ``t_y = (y - y_a) / h_a``, ``t_w = log(w / w_a)``,
``t_h = log(h / h_a)``, divided by ``variance`` (SSD's 0.1, 0.2). Keras' own
``keras.utils.bounding_boxes.encode_box_to_deltas`` / ``decode_deltas_to_boxes`` do the work.
"""

from __future__ import annotations

import keras

#: SSD's and Faster R-CNN's (Detectron) usual scaling of the deltas, (x, y, w, h).
VARIANCE = (0.1, 0.1, 0.2, 0.2)


def encode(anchors, boxes, variance=VARIANCE):
    """Deltas ``[..., 4]`` (t_x, t_y, t_w, t_h) of xyxy ``boxes`` relative to xyxy ``anchors``.

    Args:
        anchors: ``[N, 4]`` xyxy pixels.
        boxes: ``[N, 4]`` or ``[B, N, 4]`` xyxy pixels, one per anchor.
        variance: four divisors of the deltas, or ``None``.
    """
    return keras.utils.bounding_boxes.encode_box_to_deltas(
        anchors, boxes, anchor_format="xyxy", box_format="xyxy",
        encoding_format="center_xywh", variance=variance)


def decode(anchors, deltas, variance=VARIANCE):
    """The inverse of ``encode``: xyxy pixel boxes from deltas ``[N, 4]`` or ``[B, N, 4]``."""
    return keras.utils.bounding_boxes.decode_deltas_to_boxes(
        anchors, deltas, anchor_format="xyxy", box_format="xyxy",
        encoded_format="center_xywh", variance=variance)

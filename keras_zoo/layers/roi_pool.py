"""RoI max pooling (Girshick, Fast R-CNN, ICCV 2015, section 2.1)."""

import keras
from keras import ops

from keras_zoo.layers.roi_align import check_output_size, check_roi_shapes, gather_features


def _round_half_away(x):
    # Caffe / torchvision use C's round(), which rounds halves away from zero (ops.round is
    # round-half-to-even).
    return ops.sign(x) * ops.floor(ops.abs(x) + 0.5)


@keras.saving.register_keras_serializable(package="keras_zoo")
class RoIPool(keras.layers.Layer):
    """Region-of-interest max pooling: a fixed-size feature per box, with quantisation.

    Fast R-CNN (Girshick 2015, section 2.1): the box, rounded to feature-map cells, is divided
    into an ``H x W`` grid of sub-windows of about ``h/H x w/W`` cells, and each output is the
    max over its sub-window. As in the paper's Caffe code (and torchvision's ``roi_pool``):
    ``start = round(x1 * spatial_scale)``, ``end = round(x2 * spatial_scale)``, the box is
    ``end - start + 1`` cells (at least 1), bin ``p`` covers cells
    ``[floor(p * size / H), ceil((p + 1) * size / H))`` from ``start``, clipped to the map; an
    empty bin outputs 0.

    The bins are masks over rows and columns, so the max is two masked ``REDUCE_MAX`` (TFLite
    builtins) and its gradient goes to the arg-max cell, as in the paper's backward pass. The
    masks multiply the features shifted by their image's per-channel minimum (so every cell
    is >= 0 and a masked-out cell, 0, never wins), and the minimum is added back: every tensor
    stays in the features' own range, which int8 quantisation needs (pushing masked cells to
    -1e30 instead made the int8 LiteRT runtime abort).

    Args:
        output_size: ``(height, width)`` of the pooled feature (an int for a square); the
            paper's ``H x W`` (7 x 7 for VGG16).
        spatial_scale: feature-map cells per image pixel (1 / the backbone's stride, 1/16).

    Call inputs: ``[features [B,H,W,C], boxes [K,4] float (x_min, y_min, x_max, y_max) in
    image pixels, batch_indices [K] int]``; returns ``[K, output_h, output_w, C]``.
    """

    def __init__(self, output_size, spatial_scale=1.0, **kwargs):
        super().__init__(**kwargs)
        self.output_size = check_output_size("RoIPool", output_size)
        if not spatial_scale > 0:
            raise ValueError(f"RoIPool: spatial_scale must be > 0, got {spatial_scale!r}.")
        self.spatial_scale = float(spatial_scale)

    def build(self, input_shape):
        check_roi_shapes("RoIPool", input_shape)

    @staticmethod
    def _bin_masks(start, end, bins, size):
        """``[K, bins, size]`` membership of cells in bins, along one axis."""
        start = _round_half_away(start)
        length = ops.maximum(_round_half_away(end) - start + 1.0, 1.0)
        bin_size = length / bins
        p = ops.arange(bins, dtype="float32")[None, :]
        lo = ops.clip(ops.floor(p * bin_size[:, None]) + start[:, None], 0.0, float(size))
        hi = ops.clip(ops.ceil((p + 1.0) * bin_size[:, None]) + start[:, None], 0.0,
                      float(size))
        cells = ops.arange(size, dtype="float32")[None, None, :]
        return ops.cast((cells >= lo[..., None]) & (cells < hi[..., None]), "float32")

    def call(self, inputs):
        features, boxes, batch_indices = inputs
        _, h, w, _ = features.shape
        boxes = ops.cast(boxes, "float32") * self.spatial_scale
        out_h, out_w = self.output_size
        m_y = self._bin_masks(boxes[:, 1], boxes[:, 3], out_h, h)  # [K, out_h, H]
        m_x = self._bin_masks(boxes[:, 0], boxes[:, 2], out_w, w)  # [K, out_w, W]
        per_box = ops.cast(gather_features(features, batch_indices), "float32")  # [K,H,W,C]
        # Each image's per-channel minimum (an image is never empty; a set of boxes may be).
        floor = ops.take(ops.min(ops.cast(features, "float32"), axis=(1, 2), keepdims=True),
                         ops.cast(batch_indices, "int32"), axis=0)  # [K, 1, 1, C]
        shifted = per_box - floor  # >= 0: a masked-out cell (0) never beats a cell of the bin
        # Max over the columns of each column bin: [K, H, out_w, W, C] -> [K, H, out_w, C]
        # (``initial=0`` only makes an empty set of boxes legal: every product is >= 0).
        cols = ops.max(shifted[:, :, None, :, :] * m_x[:, None, :, :, None], axis=3,
                       initial=0.0)
        # Then over the rows of each row bin: [K, out_h, H, out_w, C] -> [K, out_h, out_w, C].
        pooled = ops.max(cols[:, None, :, :, :] * m_y[:, :, :, None, None], axis=2,
                         initial=0.0) + floor
        empty = ((ops.sum(m_y, axis=-1) == 0.0)[:, :, None]
                 | (ops.sum(m_x, axis=-1) == 0.0)[:, None, :])
        return ops.where(empty[..., None], 0.0, pooled)

    def compute_output_shape(self, input_shape):
        return (input_shape[1][0], *self.output_size, input_shape[0][-1])

    def get_config(self):
        return {**super().get_config(), "output_size": list(self.output_size),
                "spatial_scale": self.spatial_scale}

"""RoIAlign (He, Gkioxari, Dollar & Girshick, Mask R-CNN, ICCV 2017, section 3)."""

import keras
from keras import ops


def check_output_size(layer, output_size):
    """``output_size`` as a ``(height, width)`` pair of positive ints, or a clear ValueError."""
    size = (output_size, output_size) if isinstance(output_size, int) else tuple(output_size)
    if len(size) != 2 or not all(isinstance(s, int) and not isinstance(s, bool) and s > 0
                                 for s in size):
        raise ValueError(f"{layer}: output_size must be a positive int or a pair of positive "
                         f"ints (height, width), got {output_size!r}.")
    return size


def check_roi_shapes(layer, input_shape):
    """Validates ``[features [B,H,W,C], boxes [K,4], batch_indices [K]]`` shapes."""
    if not isinstance(input_shape, (list, tuple)) or len(input_shape) != 3:
        raise ValueError(f"{layer}: expects three inputs [features, boxes, batch_indices], "
                         f"got {input_shape!r}.")
    features, boxes, indices = (tuple(s) for s in input_shape)
    if len(features) != 4 or features[1] is None or features[2] is None:
        raise ValueError(f"{layer}: features must be [batch, height, width, channels] with a "
                         f"static height and width, got shape {features}.")
    if len(boxes) != 2 or boxes[-1] != 4:
        raise ValueError(f"{layer}: boxes must have shape [K, 4] (x_min, y_min, x_max, y_max), "
                         f"got shape {boxes}.")
    if len(indices) != 1:
        raise ValueError(f"{layer}: batch_indices must have shape [K], got shape {indices}.")
    return features


def gather_features(features, batch_indices):
    """The feature map of each box's image, ``[K, H, W, C]`` (a GATHER, a TFLite builtin)."""
    return ops.take(features, ops.cast(batch_indices, "int32"), axis=0)


@keras.saving.register_keras_serializable(package="keras_zoo")
class RoIAlign(keras.layers.Layer):
    """Region-of-interest align: a fixed-size feature per box, without quantisation.

    Mask R-CNN (He et al. 2017, section 3, "RoIAlign"): each box is divided into
    ``output_size`` bins; in each bin ``sampling_ratio x sampling_ratio`` regularly spaced points
    are bilinearly interpolated from the feature map and averaged. The semantics are those of
    torchvision's ``roi_align``: a box ``(x1, y1, x2, y2)`` in image pixels maps to
    ``x1 * spatial_scale - offset`` on the feature map, ``offset = 0.5`` if ``aligned`` (the
    half-pixel correction of Detectron2) else 0; without ``aligned``, boxes are at least one
    feature cell wide; a sample further than one cell outside the map is 0, a sample within
    one cell is clamped to the border.

    Bilinear interpolation is separable, and the average over a bin's grid of samples of
    ``w_y(y) * w_x(x)`` is the product of the averages, so each box becomes two small
    interpolation matrices ``A_y [output_h, H]`` and ``A_x [output_w, W]`` and the output is
    ``A_y F A_x^T`` per channel: GATHER and BATCH_MATMUL only, TFLite builtins (there is no
    builtin ``CropAndResize``, tensorflow #24407), with gradients to the feature map.

    Args:
        output_size: ``(height, width)`` of the pooled feature (an int for a square).
        spatial_scale: feature-map cells per image pixel (1 / the backbone's stride).
        sampling_ratio: samples per bin along each axis (a positive int; torchvision's
            adaptive ``<= 0`` would make the graph's shapes depend on the boxes).
        aligned: shift boxes by half a cell (pixel centres at half-integers).

    Call inputs: ``[features [B,H,W,C], boxes [K,4] float (x_min, y_min, x_max, y_max) in
    image pixels, batch_indices [K] int]``; returns ``[K, output_h, output_w, C]``.
    """

    def __init__(self, output_size, spatial_scale=1.0, sampling_ratio=2, aligned=False,
                 **kwargs):
        super().__init__(**kwargs)
        self.output_size = check_output_size("RoIAlign", output_size)
        if not isinstance(sampling_ratio, int) or sampling_ratio < 1:
            raise ValueError(f"RoIAlign: sampling_ratio must be a positive int, got "
                             f"{sampling_ratio!r}.")
        if not spatial_scale > 0:
            raise ValueError(f"RoIAlign: spatial_scale must be > 0, got {spatial_scale!r}.")
        self.spatial_scale = float(spatial_scale)
        self.sampling_ratio = sampling_ratio
        self.aligned = bool(aligned)

    def build(self, input_shape):
        check_roi_shapes("RoIAlign", input_shape)

    def _axis_weights(self, start, end, bins, size):
        """``[K, bins, size]``: the bin-averaged bilinear weights of the samples on one axis."""
        length = end - start
        if not self.aligned:
            length = ops.maximum(length, 1.0)
        bin_size = length / bins
        g = self.sampling_ratio
        # Sample t of bin p sits at start + (p + (t + 0.5) / g) * bin_size.
        steps = (ops.arange(bins * g, dtype="float32") // g
                 + (ops.arange(bins * g, dtype="float32") % g + 0.5) / g)
        coord = start[:, None] + steps[None, :] * bin_size[:, None]  # [K, bins * g]
        valid = ops.cast((coord >= -1.0) & (coord <= float(size)), "float32")
        coord = ops.maximum(coord, 0.0)
        low = ops.floor(coord)
        at_edge = low >= size - 1
        low = ops.where(at_edge, float(size - 1), low)
        high = ops.where(at_edge, float(size - 1), low + 1.0)
        frac = ops.where(at_edge, 0.0, coord - low)
        cells = ops.arange(size, dtype="float32")[None, None, :]
        weights = ((1.0 - frac)[..., None] * ops.cast(low[..., None] == cells, "float32")
                   + frac[..., None] * ops.cast(high[..., None] == cells, "float32"))
        weights = weights * valid[..., None]  # [K, bins * g, size]
        k = ops.shape(weights)[0]
        return ops.mean(ops.reshape(weights, (k, bins, g, size)), axis=2)

    def call(self, inputs):
        features, boxes, batch_indices = inputs
        _, h, w, c = features.shape
        boxes = ops.cast(boxes, "float32") * self.spatial_scale - (0.5 if self.aligned else 0.0)
        out_h, out_w = self.output_size
        a_y = self._axis_weights(boxes[:, 1], boxes[:, 3], out_h, h)  # [K, out_h, H]
        a_x = self._axis_weights(boxes[:, 0], boxes[:, 2], out_w, w)  # [K, out_w, W]
        per_box = ops.cast(gather_features(features, batch_indices), "float32")
        k = ops.shape(per_box)[0]
        rows = ops.matmul(a_y, ops.reshape(per_box, (k, h, w * c)))  # [K, out_h, W*C]
        rows = ops.reshape(rows, (k, out_h, w, c))
        # [K, 1, out_w, W] x [K, out_h, W, C] -> [K, out_h, out_w, C]
        return ops.matmul(a_x[:, None, :, :], rows)

    def compute_output_shape(self, input_shape):
        return (input_shape[1][0], *self.output_size, input_shape[0][-1])

    def get_config(self):
        return {**super().get_config(), "output_size": list(self.output_size),
                "spatial_scale": self.spatial_scale, "sampling_ratio": self.sampling_ratio,
                "aligned": self.aligned}

"""Cases for RoIAlign (torchvision ``roi_align`` semantics) and RoIPool (Fast R-CNN).

The references are plain loops over boxes, bins and samples, written from the papers and
torchvision's documented CPU kernel, independently of the layers' matrix formulation.
"""

import math

import numpy as np

from keras_zoo.layers import RoIAlign, RoIPool
from tests.layer_harness import LayerCase


def _bilinear(f, y, x):
    # torchvision's bilinear_interpolate: 0 beyond one cell outside, clamped within it.
    h, w = f.shape[:2]
    if y < -1.0 or y > h or x < -1.0 or x > w:
        return np.zeros(f.shape[-1])
    y, x = max(y, 0.0), max(x, 0.0)
    y0, x0 = int(y), int(x)
    if y0 >= h - 1:
        y0 = y1 = h - 1
        y = float(y0)
    else:
        y1 = y0 + 1
    if x0 >= w - 1:
        x0 = x1 = w - 1
        x = float(x0)
    else:
        x1 = x0 + 1
    ly, lx = y - y0, x - x0
    hy, hx = 1 - ly, 1 - lx
    return hy * hx * f[y0, x0] + hy * lx * f[y0, x1] + ly * hx * f[y1, x0] + ly * lx * f[y1, x1]


def roi_align_reference(features, boxes, indices, output_size, scale, ratio, aligned):
    ph, pw = output_size
    out = np.zeros((len(boxes), ph, pw, features.shape[-1]))
    offset = 0.5 if aligned else 0.0
    for k, (box, b) in enumerate(zip(boxes.astype(np.float64), indices, strict=True)):
        x1, y1, x2, y2 = box * scale - offset
        rw, rh = x2 - x1, y2 - y1
        if not aligned:
            rw, rh = max(rw, 1.0), max(rh, 1.0)
        bh, bw = rh / ph, rw / pw
        for i in range(ph):
            for j in range(pw):
                acc = 0.0
                for iy in range(ratio):
                    y = y1 + i * bh + (iy + 0.5) * bh / ratio
                    for ix in range(ratio):
                        x = x1 + j * bw + (ix + 0.5) * bw / ratio
                        acc = acc + _bilinear(features[b].astype(np.float64), y, x)
                out[k, i, j] = acc / (ratio * ratio)
    return out.astype(np.float32)


def roi_pool_reference(features, boxes, indices, output_size, scale):
    ph, pw = output_size
    h, w = features.shape[1:3]
    out = np.zeros((len(boxes), ph, pw, features.shape[-1]), np.float32)

    def c_round(v):  # C's round(): halves away from zero
        return math.floor(abs(v) + 0.5) * (1 if v >= 0 else -1)

    for k, (box, b) in enumerate(zip(boxes.astype(np.float64), indices, strict=True)):
        x1, y1, x2, y2 = (c_round(v * scale) for v in box)
        rw, rh = max(x2 - x1 + 1, 1), max(y2 - y1 + 1, 1)
        for i in range(ph):
            hs = min(max(math.floor(i * rh / ph) + y1, 0), h)
            he = min(max(math.ceil((i + 1) * rh / ph) + y1, 0), h)
            for j in range(pw):
                ws = min(max(math.floor(j * rw / pw) + x1, 0), w)
                we = min(max(math.ceil((j + 1) * rw / pw) + x1, 0), w)
                if he > hs and we > ws:
                    out[k, i, j] = features[b, hs:he, ws:we].max(axis=(0, 1))
    return out


def _roi_inputs(rng, batch=2, size=(9, 11), channels=3, image=(36, 44)):
    """Features of an image downsampled by 4, and boxes inside, across and beyond the border."""
    features = rng.normal(size=(batch, *size, channels)).astype(np.float32)
    ih, iw = image
    boxes = np.array([
        [4.0, 6.0, 30.0, 22.0],      # inside
        [-6.0, -3.0, 14.0, 9.0],     # crosses the top-left border
        [30.0, 25.0, 50.0, 41.0],    # crosses the bottom-right border
        [10.3, 11.7, 11.1, 12.2],    # smaller than a cell
        [0.0, 0.0, iw, ih],          # the whole image
        [39.0, 2.5, 47.5, 7.25],     # partly outside on the right
    ], np.float32)
    indices = np.array([0, 1, 1, 0, 1, 0], np.int32)
    return [features, boxes, indices]


def _align_case(name, output_size, ratio, aligned, scale=0.25):
    return LayerCase(
        id=name,
        layer_class=RoIAlign,
        make=lambda: RoIAlign(output_size, spatial_scale=scale, sampling_ratio=ratio,
                              aligned=aligned),
        inputs=_roi_inputs,
        reference=lambda layer, x: roi_align_reference(*x, layer.output_size, scale, ratio,
                                                       aligned),
    )


CASES = [
    _align_case("roi_align_aligned_ratio2", (3, 4), 2, True),
    _align_case("roi_align_unaligned_ratio2", 2, 2, False),
    _align_case("roi_align_aligned_ratio1", (2, 3), 1, True),
    _align_case("roi_align_unaligned_ratio3", (4, 2), 3, False),
    _align_case("roi_align_mask_rcnn_7x7", 7, 2, True, scale=0.25),
    LayerCase(
        id="roi_pool_fast_rcnn",
        layer_class=RoIPool,
        make=lambda: RoIPool((3, 2), spatial_scale=0.25),
        inputs=_roi_inputs,
        reference=lambda layer, x: roi_pool_reference(*x, layer.output_size, 0.25),
    ),
    LayerCase(
        id="roi_pool_unit_scale",
        layer_class=RoIPool,
        make=lambda: RoIPool(4, spatial_scale=1.0),
        inputs=lambda rng: [rng.normal(size=(1, 12, 10, 2)).astype(np.float32),
                            np.array([[1.0, 2.0, 8.0, 11.0], [-3.0, -3.0, 2.4, 2.5],
                                      [9.5, 0.0, 14.0, 3.0]], np.float32),
                            np.array([0, 0, 0], np.int32)],
        reference=lambda layer, x: roi_pool_reference(*x, layer.output_size, 1.0),
    ),
]

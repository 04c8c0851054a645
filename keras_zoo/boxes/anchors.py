"""Anchors (Faster R-CNN, Ren et al. 2015, section 3.1.1) and default boxes (SSD, Liu et al.
2016, section 2.2), as constant ``[N, 4]`` xyxy pixel arrays laid out like the heads' outputs:
row-major over the feature map, then anchors of a cell.
"""

from __future__ import annotations

import numpy as np


def _check_positive(name, values):
    values = np.asarray(values, np.float64).reshape(-1)
    if values.size == 0 or np.any(values <= 0):
        raise ValueError(f"{name} must be positive numbers, got {values.tolist()}.")
    return values


def grid_anchors(feature_size, stride, sizes=(128, 256, 512), ratios=(0.5, 1.0, 2.0)):
    """Faster R-CNN anchors: at each feature cell, ``len(sizes) * len(ratios)`` boxes.

    An anchor of size ``s`` and ratio ``r = h / w`` has area ``s^2``: ``w = s / sqrt(r)``,
    ``h = s * sqrt(r)``, centred on the cell's centre ``((j + 0.5) * stride, (i + 0.5) *
    stride)``. The paper's 3 scales x 3 ratios are ``sizes=(128, 256, 512)``,
    ``ratios=(0.5, 1, 2)`` on a stride-16 map.

    Args:
        feature_size: ``(height, width)`` of the feature map.
        stride: image pixels per feature cell.
        sizes: anchor sizes (square root of the area), in pixels.
        ratios: height / width ratios.

    Returns:
        float32 ``[height * width * len(sizes) * len(ratios), 4]``, order ``(i, j, size, ratio)``.
    """
    h, w = (feature_size, feature_size) if isinstance(feature_size, int) else feature_size
    if h < 1 or w < 1:
        raise ValueError(f"feature_size must be positive, got {feature_size!r}.")
    (stride,) = _check_positive("stride", stride)
    sizes = _check_positive("sizes", sizes)
    ratios = _check_positive("ratios", ratios)
    widths = (sizes[:, None] / np.sqrt(ratios)[None, :]).reshape(-1)
    heights = (sizes[:, None] * np.sqrt(ratios)[None, :]).reshape(-1)
    cy, cx = np.meshgrid((np.arange(h) + 0.5) * stride, (np.arange(w) + 0.5) * stride,
                         indexing="ij")
    cx, cy = cx.reshape(-1, 1), cy.reshape(-1, 1)
    boxes = np.stack([cx - widths / 2, cy - heights / 2, cx + widths / 2, cy + heights / 2], -1)
    return boxes.reshape(-1, 4).astype(np.float32)


def ssd_scales(num_maps, s_min=0.2, s_max=0.9):
    """SSD's scales (equation 4): ``s_k = s_min + (s_max - s_min) (k - 1) / (m - 1)``."""
    if num_maps == 1:
        return np.array([s_min])
    return s_min + (s_max - s_min) * np.arange(num_maps) / (num_maps - 1)


def ssd_default_boxes(feature_sizes, image_size, aspect_ratios=(1.0, 2.0, 0.5), s_min=0.2,
                      s_max=0.9):
    """SSD default boxes for several feature maps (section 2.2, "Choosing scales and aspect
    ratios for default boxes").

    On map ``k`` of size ``f_k``, cell ``(i, j)`` has centre ``((j + 0.5) / f_k, (i + 0.5) /
    f_k)`` of the image, and boxes of width ``s_k sqrt(a)`` and height ``s_k / sqrt(a)`` for each
    aspect ratio ``a``, plus a square of scale ``sqrt(s_k s_{k+1})`` (``s_{m+1} = 1``).

    Args:
        feature_sizes: ``[(h_1, w_1), ...]`` of the maps, finest first.
        image_size: ``(height, width)`` of the input, in pixels.
        aspect_ratios: width / height ratios (the paper's ``{1, 2, 3, 1/2, 1/3}``).
        s_min, s_max: the smallest and largest scales.

    Returns:
        float32 ``[sum_k h_k w_k (len(aspect_ratios) + 1), 4]`` xyxy pixels (may cross the border,
        as in the paper); ``boxes_per_cell = len(aspect_ratios) + 1``.
    """
    ih, iw = image_size
    ratios = _check_positive("aspect_ratios", aspect_ratios)
    scales = np.append(ssd_scales(len(feature_sizes), s_min, s_max), 1.0)
    out = []
    for k, size in enumerate(feature_sizes):
        fh, fw = (size, size) if isinstance(size, int) else size
        s, s_next = scales[k], scales[k + 1]
        ws = np.append(s * np.sqrt(ratios), np.sqrt(s * s_next)) * iw
        hs = np.append(s / np.sqrt(ratios), np.sqrt(s * s_next)) * ih
        cy, cx = np.meshgrid((np.arange(fh) + 0.5) / fh * ih, (np.arange(fw) + 0.5) / fw * iw,
                             indexing="ij")
        cx, cy = cx.reshape(-1, 1), cy.reshape(-1, 1)
        out.append(np.stack([cx - ws / 2, cy - hs / 2, cx + ws / 2, cy + hs / 2], -1)
                   .reshape(-1, 4))
    return np.concatenate(out).astype(np.float32)

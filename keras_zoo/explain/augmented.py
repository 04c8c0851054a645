"""Augmented Grad-CAM (Morbidelli, Carrera, Rossi, Fragneto & Boracchi, Augmented Grad-CAM:
Heat-Maps Super Resolution Through Augmentation, ICASSP 2020).

The low-resolution Grad-CAMs ``g_l`` of ``L`` augmented copies ``A_l x`` of an image (small
rotations and translations) are read as measurements of one high-resolution heat map ``h``:
``g_l = D A_l h``, with ``A_l`` the same warp applied to the map and ``D`` the downsampling to the
feature map's grid. ``h`` solves the regularised inverse problem of the paper's eq. 3,
``min_{h >= 0} 1/2 sum_l ||D A_l h - g_l||^2 + lambda TV(h)``, here with a smoothed total
variation and L-BFGS (the paper uses a subgradient method on the same objective).
"""

from __future__ import annotations

import numpy as np
import scipy.optimize
import scipy.sparse

from keras_zoo.explain import model_io
from keras_zoo.explain.class_activation import _grad_cam_feature_maps, normalize_max


def warp_matrix(size, angle, shift):
    """Sparse ``[H W, H W]`` bilinear warp: output pixel ``p`` samples the input at
    ``R(-angle) (p - centre - shift) + centre`` (a rotation about the centre, then a shift);
    samples outside the image are zero."""
    height, width = size
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    cy, cx = (height - 1) / 2.0, (width - 1) / 2.0
    dy, dx = yy - cy - shift[0], xx - cx - shift[1]
    cos, sin = np.cos(angle), np.sin(angle)
    sy = cos * dy - sin * dx + cy
    sx = sin * dy + cos * dx + cx
    y0, x0 = np.floor(sy), np.floor(sx)
    rows, cols, vals = [], [], []
    out = np.arange(height * width)
    for oy, ox in ((0, 0), (0, 1), (1, 0), (1, 1)):
        ny, nx = y0 + oy, x0 + ox
        weight = (1 - np.abs(sy - ny)) * (1 - np.abs(sx - nx))
        inside = (ny >= 0) & (ny < height) & (nx >= 0) & (nx < width) & (weight > 0)
        rows.append(out[inside.ravel()])
        cols.append((ny * width + nx).astype(np.int64)[inside])
        vals.append(weight[inside])
    return scipy.sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows),
                                                           np.concatenate(cols))),
                                   shape=(height * width, height * width))


def downsample_matrix(size, low):
    """Sparse ``[h w, H W]`` area average: each low-resolution cell is the mean of the pixels
    whose centres fall in it (the feature map's grid laid over the image)."""
    height, width = size
    h, w = low
    cell_y = np.minimum((np.arange(height) + 0.5) * h // height, h - 1).astype(np.int64)
    cell_x = np.minimum((np.arange(width) + 0.5) * w // width, w - 1).astype(np.int64)
    rows = (cell_y[:, None] * w + cell_x[None, :]).ravel()
    counts = np.bincount(rows, minlength=h * w).astype(np.float64)
    vals = 1.0 / counts[rows]
    return scipy.sparse.csr_matrix((vals, (rows, np.arange(height * width))),
                                   shape=(h * w, height * width))


def _tv(h, size, smooth=1e-3):
    """Smoothed isotropic total variation and its gradient."""
    img = h.reshape(size)
    gy = np.diff(img, axis=0, append=img[-1:])
    gx = np.diff(img, axis=1, append=img[:, -1:])
    norm = np.sqrt(gy ** 2 + gx ** 2 + smooth ** 2)
    value = norm.sum()
    py, px = gy / norm, gx / norm
    grad = np.zeros_like(img)
    grad[:-1] -= py[:-1]
    grad[1:] += py[:-1]
    grad[:, :-1] -= px[:, :-1]
    grad[:, 1:] += px[:, :-1]
    return value, grad.ravel()


def augmented_grad_cam(model, images, class_index=None, layer=None, num_augmentations=32,
                       max_angle=15.0, max_shift=0.1, tv_weight=1e-3, iterations=200, seed=0,
                       normalize=True, pixel_range=None):
    """Augmented Grad-CAM heat maps (Morbidelli et al. 2020) at the input's size.

    Args:
        model: a classifier (as ``grad_cam``).
        images: ``[H, W, C]`` or ``[B, H, W, C]`` in the model's input range.
        class_index: the class to explain (int or one per image); default the class predicted
            on the un-augmented image.
        layer: the feature-map layer's name (default as ``grad_cam``).
        num_augmentations: L, the augmented copies (the first is the image itself).
        max_angle: rotations are uniform in +-max_angle degrees.
        max_shift: shifts are uniform in +-max_shift of the image's side.
        tv_weight: lambda, relative to the squared norm of the Grad-CAMs.
        iterations: L-BFGS iterations of the super-resolution.
        seed: the augmentations are a function of it.
        normalize: divide each map by its maximum.
        pixel_range: the model's input range, when not [0, 1] (float) or [0, 255] (uint8).

    Returns:
        ``[H, W]`` (one image) or ``[B, H, W]`` float32, >= 0.
    """
    if isinstance(num_augmentations, bool) or not isinstance(num_augmentations, int) \
            or num_augmentations < 1:
        raise ValueError(f"num_augmentations must be a positive int, got {num_augmentations!r}.")
    batch, single = model_io.as_batch(model, images, pixel_range_=pixel_range)
    lo = model_io.pixel_range(model, pixel_range)[0]
    size = batch.shape[1:3]
    rng = np.random.default_rng(seed)
    angles = np.deg2rad(rng.uniform(-max_angle, max_angle, num_augmentations))
    shifts = rng.uniform(-max_shift, max_shift, (num_augmentations, 2)) * np.array(size)
    angles[0], shifts[0] = 0.0, 0.0
    warps = [warp_matrix(size, a, s) for a, s in zip(angles, shifts, strict=True)]
    classes = model_io.class_indices(class_index, model_io.Forward(model)(batch))
    results = []
    for b, image in enumerate(batch):
        pixels = image.reshape(-1, image.shape[-1]) - lo
        copies = np.stack([(w @ pixels).reshape(image.shape) + lo for w in warps]).astype(
            np.float32)
        low = _grad_cam_feature_maps(model, copies, np.full(len(copies), classes[b]), layer)
        down = downsample_matrix(size, low.shape[1:3])
        operator = scipy.sparse.vstack([down @ w for w in warps]).tocsr()
        measured = low.reshape(-1).astype(np.float64)
        scale = max(float(measured @ measured), 1e-12)
        weight = tv_weight * scale

        def objective(h, operator=operator, measured=measured, weight=weight):
            residual = operator @ h - measured
            tv, tv_grad = _tv(h, size)
            return 0.5 * residual @ residual + weight * tv, operator.T @ residual + weight * tv_grad

        start = np.clip(scipy.sparse.csr_matrix.transpose(down) @ low[0].ravel(), 0, None)
        solution = scipy.optimize.minimize(objective, start, jac=True, method="L-BFGS-B",
                                           bounds=[(0, None)] * start.size,
                                           options={"maxiter": iterations})
        results.append(solution.x.reshape(size))
    maps = np.stack(results).astype(np.float32)
    maps = normalize_max(maps) if normalize else maps
    return maps[0] if single else maps


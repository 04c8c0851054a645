"""RISE: Randomized Input Sampling for Explanation of black-box models (Petsiuk, Das & Saenko,
BMVC 2018): the saliency of pixel ``lambda`` for class ``c`` is the expected class probability
under random masks that keep it, ``S_c = 1 / (N p) sum_i f_c(I . M_i) M_i(lambda)`` (eq. 6).

Masks (section 3.2): a small ``s x s`` binary grid, each cell kept with probability ``p``,
upsampled bilinearly to ``(s + 1) C`` with ``C = ceil(H / s)`` and cropped at a random shift in
``[0, C)``, so that the masks are smooth and not aligned to the grid. Only forward passes are
needed: any callable returning class scores works (a uint8 serving model included).

Eq. 6 estimates ``E[f_c(I . M) | M(lambda) = 1]`` (eq. 5) by dividing by ``N p``, the expected
number of masks that keep a pixel. The number that actually keep it varies from pixel to pixel
(binomially, +-1/sqrt(N p) relative); for a confident classifier (``f_c ~ 1`` under most masks)
that variation is most of the map, and its maximum lands off the object. Dividing by the
masks' actual sum at each pixel, ``sum_i M_i(lambda)``, estimates the same expectation without
it (``coverage="empirical"``, the default; measured on held-out shapes with 500 masks: the map's
maximum within 2 px of the object on 100 % of 100 images, against 68 % with ``N p``).
``coverage="expected"`` is eq. 6 as printed.
"""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

from keras_zoo.explain import model_io
from keras_zoo.explain.class_activation import normalize_max


def rise_masks(num_masks, image_size, grid_size=7, p=0.5, seed=0):
    """``[N, H, W]`` float32 RISE masks in [0, 1] (Petsiuk et al. 2018, section 3.2).

    Args:
        num_masks: N.
        image_size: ``(H, W)``.
        grid_size: s, the cells per side of the binary grid.
        p: the probability that a cell is kept.
        seed: the masks are a function of it.
    """
    for arg, value in (("num_masks", num_masks), ("grid_size", grid_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{arg} must be a positive int, got {value!r}.")
    if not 0 < p <= 1:
        raise ValueError(f"p must be in (0, 1], got {p!r}.")
    height, width = image_size
    rng = np.random.default_rng(seed)
    cell = (math.ceil(height / grid_size), math.ceil(width / grid_size))
    up = ((grid_size + 1) * cell[0], (grid_size + 1) * cell[1])
    grids = (rng.random((num_masks, grid_size, grid_size)) < p).astype(np.float32)
    big = tf.image.resize(grids[..., None], up, "bilinear").numpy()[..., 0]
    shifts = np.stack([rng.integers(0, cell[0], num_masks), rng.integers(0, cell[1], num_masks)], 1)
    return np.stack([big[i, dy:dy + height, dx:dx + width]
                     for i, (dy, dx) in enumerate(shifts)]).astype(np.float32)


COVERAGES = ("empirical", "expected")


def rise(model, images, class_index=None, num_masks=1000, grid_size=7, p=0.5, batch_size=100,
         seed=0, masks=None, normalize=True, pixel_range=None, coverage="empirical"):
    """RISE saliency maps (Petsiuk et al. 2018, eq. 6) at the input's size.

    Args:
        model: a classifier: a Keras model or any callable from a float batch to class scores
            (probabilities, or logits to which a softmax is applied).
        images: ``[H, W, C]`` or ``[B, H, W, C]`` in the model's input range.
        class_index: the class to explain (int or one per image); default the predicted one.
        num_masks, grid_size, p, seed: the random masks (see ``rise_masks``).
        batch_size: masked images per forward pass.
        masks: ``[N, H, W]`` masks to use instead of random ones (with
            ``coverage="expected"``, ``p`` still scales the sum).
        normalize: divide each map by its maximum.
        pixel_range: the model's input range, when not [0, 1] (float) or [0, 255] (uint8).
        coverage: "empirical" (divide by the masks' sum at each pixel) or "expected" (by
            ``N p``, eq. 6).

    Returns:
        ``[H, W]`` (one image) or ``[B, H, W]`` float32, >= 0.
    """
    if coverage not in COVERAGES:
        raise ValueError(f"coverage={coverage!r}; expected one of {COVERAGES}.")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}.")
    batch, single = model_io.as_batch(model, images, pixel_range_=pixel_range)
    height, width = batch.shape[1:3]
    if masks is None:
        masks = rise_masks(num_masks, (height, width), grid_size, p, seed)
    masks = np.asarray(masks, np.float32)
    if masks.ndim != 3 or masks.shape[1:] != (height, width):
        raise ValueError(f"masks: expected [N, {height}, {width}], got {masks.shape}.")
    if coverage == "empirical":
        # A pixel no mask keeps has no estimate: 0 (the masks' sum floored to avoid 0/0).
        norm = np.maximum(masks.sum(0), 1e-6)
    else:
        norm = np.float32(len(masks) * p)
    forward = model_io.Forward(model, logits=False)

    def probabilities(x):
        out = forward(tf.convert_to_tensor(x))
        return (out if forward.probabilities_out(out) else tf.nn.softmax(out, -1)).numpy()

    classes = model_io.class_indices(class_index, probabilities(batch))
    lo = model_io.pixel_range(model, pixel_range)[0]
    maps = np.zeros((len(batch), height, width), np.float32)
    for b, image in enumerate(batch):
        for start in range(0, len(masks), batch_size):
            m = masks[start:start + batch_size]
            # Masked pixels take the range's low end (black), as the paper's I . M on [0, 1].
            masked = lo + (image[None] - lo) * m[..., None]
            scores = probabilities(masked)[:, classes[b]]
            maps[b] += np.tensordot(scores, m, axes=1)
        maps[b] /= norm
    return (normalize_max(maps) if normalize else maps)[0] if single else \
        (normalize_max(maps) if normalize else maps)

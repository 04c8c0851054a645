"""How good a heat map is: the pointing game (Zhang et al., Top-down Neural Attention by
Excitation Backprop, ECCV 2016) and the deletion / insertion AUC of RISE (Petsiuk et al.,
BMVC 2018, section 4.1)."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from keras_zoo.explain import model_io


def pointing_game(maps, masks, tolerance=0):
    """Whether each heat map's maximum falls inside its object's mask: ``[B]`` bool.

    Args:
        maps: ``[B, H, W]`` heat maps.
        masks: ``[B, H, W]`` object masks (nonzero inside).
        tolerance: a hit may lie this many pixels (Euclidean) outside the mask; Zhang et al.
            allow 15 pixels at 224 (about 2 at 32). 0: strictly inside.
    """
    from scipy.ndimage import distance_transform_edt

    maps, masks = np.asarray(maps), np.asarray(masks)
    if maps.shape != masks.shape:
        raise ValueError(f"masks: shape {masks.shape} differs from the maps' {maps.shape}.")
    if tolerance < 0:
        raise ValueError(f"tolerance must be >= 0 pixels, got {tolerance!r}.")
    hits = []
    for heat, mask in zip(maps, masks, strict=True):
        i, j = np.unravel_index(np.argmax(heat), heat.shape)
        if tolerance == 0 or not mask.any():
            hits.append(bool(mask[i, j] > 0))
        else:
            hits.append(bool(distance_transform_edt(mask == 0)[i, j] <= tolerance))
    return np.array(hits)


def _blur(images, sigma):
    radius = max(1, int(3 * sigma))
    t = np.arange(-radius, radius + 1, dtype=np.float32)
    k = np.exp(-0.5 * (t / sigma) ** 2)
    k /= k.sum()
    channels = images.shape[-1]
    kernel = np.zeros((len(k), len(k), channels, 1), np.float32)
    kernel[..., 0] = np.outer(k, k)[..., None]
    padded = tf.pad(images, [[0, 0], [radius, radius], [radius, radius], [0, 0]], "SYMMETRIC")
    return tf.nn.depthwise_conv2d(padded, kernel, [1, 1, 1, 1], "VALID").numpy()


def deletion_insertion(model, images, maps, class_index=None, steps=32, blur_sigma=None,
                       pixel_range=None):
    """Deletion and insertion AUC (Petsiuk et al. 2018, section 4.1) of each heat map.

    Deletion removes pixels (sets them to the range's low end) in decreasing order of saliency
    and follows the class probability: a good map makes it fall fast (low AUC). Insertion adds
    them to a blurred copy: a good map makes it rise fast (high AUC).

    Args:
        model: the classifier the maps explain.
        images: ``[B, H, W, C]`` in the model's input range.
        maps: ``[B, H, W]`` heat maps.
        class_index: the class followed (default the predicted one).
        steps: the number of equal pixel fractions removed / added.
        blur_sigma: the insertion's starting blur (default: a tenth of the image's side).
        pixel_range: the model's input range, when not [0, 1] (float) or [0, 255] (uint8).

    Returns:
        ``(deletion [B], insertion [B])`` AUCs in [0, 1] (trapezoids over the fraction).
    """
    batch, _ = model_io.as_batch(model, images, pixel_range_=pixel_range)
    maps = np.asarray(maps, np.float32).reshape(len(batch), -1)
    lo = model_io.pixel_range(model, pixel_range)[0]
    forward = model_io.Forward(model, logits=False)

    def probabilities(x):
        out = forward(tf.convert_to_tensor(x, tf.float32))
        return (out if forward.probabilities_out(out) else tf.nn.softmax(out, -1)).numpy()

    classes = model_io.class_indices(class_index, probabilities(batch))
    height, width, channels = batch.shape[1:]
    blurred = _blur(batch, blur_sigma or max(height, width) / 10.0)
    counts = np.linspace(0, height * width, steps + 1).round().astype(int)
    deletion, insertion = [], []
    for b in range(len(batch)):
        order = np.argsort(-maps[b], kind="stable")
        deleted, inserted = [], []
        for n in counts:
            keep = np.ones(height * width, np.float32)
            keep[order[:n]] = 0.0
            keep = keep.reshape(height, width, 1)
            deleted.append(lo + (batch[b] - lo) * keep)
            inserted.append(batch[b] * (1 - keep) + blurred[b] * keep)
        p_del = probabilities(np.stack(deleted))[:, classes[b]]
        p_ins = probabilities(np.stack(inserted))[:, classes[b]]
        x = counts / (height * width)
        deletion.append(float(np.trapezoid(p_del, x)))
        insertion.append(float(np.trapezoid(p_ins, x)))
    return np.array(deletion), np.array(insertion)

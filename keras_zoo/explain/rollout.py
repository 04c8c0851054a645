"""Attention rollout (Abnar & Zuidema, Quantifying Attention Flow in Transformers, ACL 2020)
behind the common call signature of ``keras_zoo.explain``: the library's
``rollout_for_image`` on the patch grid, resized to the input's size."""

from __future__ import annotations

import numpy as np

from keras_zoo.explain import model_io
from keras_zoo.explain.class_activation import normalize_max, upsample
from keras_zoo.models.classification.attention_maps import rollout_for_image


def attention_rollout(model, images, class_index=None, head_fusion="mean", normalize=True,
                      pixel_range=None):
    """The class token's rolled-out attention over the patches, at the input's size.

    Args:
        model: a ViT or DeiT built by keras-zoo (its encoder's attention weights are read).
        images: ``[H, W, C]`` or ``[B, H, W, C]`` in the model's input range.
        class_index: must be None: the rollout follows the class token, not one class.
        head_fusion: how the heads combine: "mean" (the paper), "max" or "min".
        normalize: divide each map by its maximum.
        pixel_range: the model's input range, when not [0, 1].

    Returns:
        ``[H, W]`` (one image) or ``[B, H, W]`` float32 in [0, 1].
    """
    if class_index is not None:
        raise ValueError(f"class_index={class_index!r}: attention rollout is not class-specific "
                         "(it follows the class token); pass None, or use grad_cam.")
    batch, single = model_io.as_batch(model, images, pixel_range_=pixel_range)
    maps = np.stack([rollout_for_image(model, image, head_fusion) for image in batch])
    maps = upsample(maps, batch.shape[1:3])
    maps = normalize_max(np.maximum(maps, 0)) if normalize else maps
    return maps[0] if single else maps

"""Attention maps and attention rollout of the ViT-family classifiers (ViT, DeiT).

``attention_maps(model, image)`` returns, for each encoder layer, the per-head attention weights
``softmax(Q K^T / sqrt(d))`` ``[heads, T, T]`` the model computed for that image (token 0 is the
class token, then the distillation token for DeiT, then the patches in row-major order).
``attention_rollout`` combines them as Abnar & Zuidema (Quantifying Attention Flow in
Transformers, ACL 2020) do: with the residual connection added as an identity,
``A_l' = normalise(0.5 A_l + 0.5 I)``, ``R = A_L' ... A_1'``; the class token's row of ``R``
over the patches, on the patch grid, says which image regions reach the class token.
``save_rollout_overlay`` writes it over the image as a PNG (``keras-zoo attention``,
``training/commands/attention.py``).

The maps are read from the functional graph: ``keras_zoo.blocks.transformer`` calls each
MultiHeadAttention with ``return_attention_scores=True``, so the weights are an intermediate
tensor of the model (no second implementation of attention here). Swin's windowed and CvT's
convolutional attention are not covered: their maps are per window / over squeezed keys.
"""

from __future__ import annotations

import os

import keras
import numpy as np

from keras_zoo.layers.patch_embedding import PatchEmbedding


def _attention_layers(model):
    layers = [layer for layer in model.layers
              if isinstance(layer, keras.layers.MultiHeadAttention)]
    if not layers:
        raise ValueError(
            f"{model.name}: no MultiHeadAttention layer; attention maps are available for models "
            "built on keras_zoo.blocks.transformer (ViT, DeiT).")
    return layers


def _patch_embedding(model):
    for layer in model.layers:
        if isinstance(layer, PatchEmbedding):
            return layer
    raise ValueError(f"{model.name}: no PatchEmbedding layer, so no patch grid for the rollout.")


def _scores_tensor(layer):
    output = layer.output
    if not isinstance(output, (list, tuple)) or len(output) != 2:
        raise ValueError(f"{layer.name} was not called with return_attention_scores=True; build "
                         "the model with keras_zoo.blocks.transformer_encoder_block.")
    return output[1]


def _batch(model, image):
    image = np.asarray(image, dtype=np.float32)
    expected = tuple(model.input_shape[1:])
    if image.ndim == len(expected):
        image = image[None]
    if tuple(image.shape[1:]) != expected:
        raise ValueError(f"{model.name}: image shape {image.shape[1:]} does not match the model's "
                         f"input {expected}.")
    return image


def attention_maps(model, image):
    """The per-layer, per-head attention weights of ``model`` for ``image``.

    Args:
        model: a ViT or DeiT built by keras-zoo.
        image: one image ``[H, W, C]`` (float in [0, 1], the model's input) or a batch
            ``[B, H, W, C]``.

    Returns:
        A list with one float32 array per encoder layer, in order: ``[heads, T, T]`` for one
        image, ``[B, heads, T, T]`` for a batch; each row sums to 1 (query -> keys).
    """
    layers = _attention_layers(model)
    single = np.asarray(image).ndim == len(model.input_shape) - 1
    batch = _batch(model, image)
    inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
    probe = keras.Model(inputs, [_scores_tensor(layer) for layer in layers])
    maps = probe(batch, training=False)
    maps = [np.asarray(m) for m in (maps if isinstance(maps, (list, tuple)) else [maps])]
    return [m[0] for m in maps] if single else maps


def attention_rollout(maps, num_tokens=1, grid_size=None, head_fusion="mean"):
    """Attention rollout (Abnar & Zuidema 2020) of one image's maps.

    Args:
        maps: ``attention_maps(model, image)`` for one image: a list of ``[heads, T, T]``.
        num_tokens: the leading non-patch tokens (1 for ViT, 2 for distilled DeiT).
        grid_size: ``(rows, cols)`` of the patch grid; default a square grid.
        head_fusion: how the heads combine: "mean" (the paper), "max" or "min".

    Returns:
        ``[rows, cols]`` float array, the class token's rolled-out attention to each patch,
        scaled to [0, 1].
    """
    fuse = {"mean": np.mean, "max": np.max, "min": np.min}.get(head_fusion)
    if fuse is None:
        raise ValueError(f"head_fusion must be 'mean', 'max' or 'min', got {head_fusion!r}.")
    tokens = maps[0].shape[-1]
    rollout = np.eye(tokens)
    for layer_maps in maps:
        if layer_maps.ndim != 3:
            raise ValueError(f"attention_rollout: expected [heads, T, T] per layer (one image), "
                             f"got {layer_maps.shape}.")
        a = 0.5 * fuse(layer_maps, axis=0) + 0.5 * np.eye(tokens)
        a = a / a.sum(axis=-1, keepdims=True)
        rollout = a @ rollout
    patches = rollout[0, num_tokens:]
    if grid_size is None:
        side = int(round(np.sqrt(patches.size)))
        grid_size = (side, side)
    if grid_size[0] * grid_size[1] != patches.size:
        raise ValueError(f"attention_rollout: grid {grid_size} does not hold {patches.size} "
                         "patches.")
    heat = patches.reshape(grid_size)
    heat = heat - heat.min()
    return heat / heat.max() if heat.max() > 0 else heat


def rollout_for_image(model, image, head_fusion="mean"):
    """``attention_rollout`` of ``model`` on one image, on the model's patch grid."""
    embedding = _patch_embedding(model)
    return attention_rollout(attention_maps(model, image), embedding.num_tokens,
                             embedding.grid_size, head_fusion)


def save_rollout_overlay(model, image, path, head_fusion="mean", alpha=0.5):
    """Writes the attention rollout of ``image`` over it as a PNG (``path``); returns the
    ``[rows, cols]`` rollout. Refuses to overwrite an existing file."""
    from matplotlib import colormaps
    from PIL import Image

    path = os.fspath(path)
    if os.path.exists(path):
        raise ValueError(f"{path!r} exists; keras-zoo does not overwrite files.")
    heat = rollout_for_image(model, image, head_fusion)
    image = np.asarray(image, dtype=np.float32)
    height, width = image.shape[:2]
    rgb = np.repeat(image, 3, axis=-1) if image.shape[-1] == 1 else image[..., :3]
    heat_img = Image.fromarray(np.uint8(heat * 255)).resize((width, height), Image.BICUBIC)
    colored = colormaps["jet"](np.asarray(heat_img) / 255.0)[..., :3]
    overlay = (1 - alpha) * np.clip(rgb, 0, 1) + alpha * colored
    Image.fromarray(np.uint8(np.round(overlay * 255))).save(path, format="PNG")
    return heat

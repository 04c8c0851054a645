"""Patch embedding of the Vision Transformer (Dosovitskiy et al., An Image is Worth 16x16 Words:
Transformers for Image Recognition at Scale, ICLR 2021, eq. 1), with DeiT's distillation token
(Touvron et al., Training data-efficient image transformers & distillation through attention,
ICML 2021), and the resampling of a trained position embedding to a new grid (ViT section 3.2,
"fine-tuning and higher resolution").
"""

from __future__ import annotations

import math

import keras
import numpy as np

__all__ = ["resample_position_embedding"]


def _grid(arg, value):
    if isinstance(value, (int, np.integer)):
        value = (int(value), int(value))
    value = tuple(int(v) for v in value)
    if len(value) != 2 or min(value) < 1:
        raise ValueError(f"resample_position_embedding: {arg} must be (rows, columns) of positive "
                         f"ints, got {value!r}.")
    return value


def resample_position_embedding(embedding, old_grid, new_grid, num_tokens=1):
    """Resamples a trained ViT position embedding to another patch grid.

    The first ``num_tokens`` rows (class and distillation tokens) are kept as they are; the
    remaining ``old_grid[0] * old_grid[1]`` rows are laid out on their 2-D grid (row-major, as
    the patches are) and resized bicubically to ``new_grid`` (ViT section 3.2: "we perform 2D
    interpolation of the pre-trained position embeddings, according to their location in the
    original image"). Bicubic with half-pixel centres and the Keys kernel a=-0.5
    (``tf.image.resize``), no antialiasing.

    Args:
        embedding: array ``[L, D]`` (or ``[1, L, D]``) with ``L = num_tokens + rows * cols``.
        old_grid: ``(rows, cols)`` (or an int for a square grid) the embedding was trained on.
        new_grid: ``(rows, cols)`` (or an int) of the target image size / patch size.
        num_tokens: the leading non-patch tokens (1: class token; 2: class + distillation).

    Returns:
        A float32 ``np.ndarray`` ``[num_tokens + new_rows * new_cols, D]`` (with the leading
        axis of size 1 kept if the input had one).
    """
    embedding = np.asarray(embedding)
    squeeze = embedding.ndim == 3
    if squeeze:
        if embedding.shape[0] != 1:
            raise ValueError("resample_position_embedding: a 3-D embedding must have a leading "
                             f"axis of 1, got shape {embedding.shape}.")
        embedding = embedding[0]
    if embedding.ndim != 2:
        raise ValueError("resample_position_embedding: embedding must be [length, depth], got "
                         f"shape {embedding.shape}.")
    old_grid, new_grid = _grid("old_grid", old_grid), _grid("new_grid", new_grid)
    if not isinstance(num_tokens, (int, np.integer)) or num_tokens < 0:
        raise ValueError(f"resample_position_embedding: num_tokens must be an int >= 0, got "
                         f"{num_tokens!r}.")
    expected = num_tokens + old_grid[0] * old_grid[1]
    if embedding.shape[0] != expected:
        raise ValueError(
            f"resample_position_embedding: the embedding has {embedding.shape[0]} positions, but "
            f"old_grid {old_grid} with num_tokens={num_tokens} needs {expected} "
            f"({old_grid[0]}*{old_grid[1]} + {num_tokens}).")
    tokens, patches = embedding[:num_tokens], embedding[num_tokens:]
    depth = embedding.shape[1]
    if new_grid == old_grid:
        resized = patches
    else:
        import tensorflow as tf

        image = patches.reshape(1, old_grid[0], old_grid[1], depth).astype(np.float32)
        resized = tf.image.resize(image, new_grid, method="bicubic", antialias=False).numpy()
        resized = resized.reshape(new_grid[0] * new_grid[1], depth)
    out = np.concatenate([tokens, resized], axis=0).astype(np.float32)
    return out[None] if squeeze else out


def _infer_old_grid(patches, new_grid):
    """The grid of a stored embedding with ``patches`` positions: square, or with the new grid's
    aspect ratio; None if neither fits."""
    side = math.isqrt(patches)
    if side * side == patches:
        return (side, side)
    rows, cols = new_grid
    scale = math.sqrt(patches / (rows * cols))
    guess = (round(rows * scale), round(cols * scale))
    return guess if guess[0] * guess[1] == patches else None


@keras.saving.register_keras_serializable(package="keras_zoo")
class PatchEmbedding(keras.layers.Layer):
    """ViT's patch embedding: ``z_0 = [x_class; (x_dist;) x_p^1 E; ...; x_p^N E] + E_pos``.

    The image ``[B, H, W, C]`` is cut into ``N = (H/P)(W/P)`` non-overlapping ``P x P`` patches,
    each flattened and linearly projected to ``D`` (a Conv2D with kernel and stride ``P``: the
    same map as the paper's ``E``, (P^2 C) x D, plus a bias), in row-major order. A learnable
    class token (ViT) and distillation token (DeiT) are prepended, and a learnable position
    embedding of ``(N + tokens) x D`` is added (ViT eq. 1). Output ``[B, tokens + N, D]``.

    The grid is fixed when the layer is built. Loading weights trained at another image size
    resamples the position embedding (``resample_position_embedding``: bicubic on the 2-D grid,
    tokens kept) when the stored grid can be inferred (square, or the new grid's aspect ratio);
    any other length is a ``ValueError`` naming both lengths.

    Args:
        patch_size: ``P`` (int) or ``(P_h, P_w)``.
        hidden_dim: the embedding width ``D``.
        class_token: prepend a learnable class token.
        distillation_token: prepend a learnable distillation token after the class token (DeiT).
        position_embedding: add a learnable position embedding.
        initializer: initializer of the tokens and position embedding (truncated normal 0.02,
            as in DeiT / timm).
        kernel_initializer: the projection's initializer.
        strides: the step between patches (default: ``patch_size``, non-overlapping); a smaller
            step overlaps them (AST, Gong et al. 2021, section 2.1: 16x16 patches every 10),
            ``N = (1 + (H - P_h) // S_h)(1 + (W - P_w) // S_w)``.
        use_bias: a bias in the projection (ViT's; the released CLIP's has none).

    Example:
        >>> tokens = PatchEmbedding(16, 768)(keras.Input((224, 224, 3)))  # [B, 197, 768]
    """

    def __init__(self, patch_size, hidden_dim, class_token=True, distillation_token=False,
                 position_embedding=True,
                 initializer=None,
                 kernel_initializer="glorot_uniform", strides=None, use_bias=True, **kwargs):
        super().__init__(**kwargs)
        if isinstance(patch_size, (int, np.integer)):
            patch_size = (int(patch_size), int(patch_size))
        patch_size = tuple(int(p) for p in patch_size)
        if len(patch_size) != 2 or min(patch_size) < 1:
            raise ValueError(
                f"PatchEmbedding: patch_size must be a positive int or (rows, cols), got "
                f"{patch_size!r}.")
        if not isinstance(hidden_dim, (int, np.integer)) or hidden_dim < 1:
            raise ValueError(f"PatchEmbedding: hidden_dim must be a positive int, got "
                             f"{hidden_dim!r}.")
        self.patch_size = patch_size
        if strides is None:
            strides = patch_size
        elif isinstance(strides, (int, np.integer)):
            strides = (int(strides), int(strides))
        strides = tuple(int(s) for s in strides)
        if len(strides) != 2 or min(strides) < 1:
            raise ValueError(f"PatchEmbedding: strides must be a positive int or (rows, cols), "
                             f"got {strides!r}.")
        self.strides = strides
        self.hidden_dim = int(hidden_dim)
        self.class_token = bool(class_token)
        self.distillation_token = bool(distillation_token)
        self.position_embedding = bool(position_embedding)
        self.initializer = keras.initializers.get(
            initializer or keras.initializers.TruncatedNormal(stddev=0.02))
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.num_tokens = int(self.class_token) + int(self.distillation_token)
        self.use_bias = bool(use_bias)
        self.projection = keras.layers.Conv2D(
            self.hidden_dim, self.patch_size, strides=self.strides, padding="valid",
            use_bias=self.use_bias, kernel_initializer=self.kernel_initializer,
            name="projection")
        self.grid_size = None

    def build(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError(f"PatchEmbedding: expected images [batch, height, width, channels], "
                             f"got shape {tuple(input_shape)}.")
        height, width = input_shape[1], input_shape[2]
        if height is None or width is None:
            raise ValueError("PatchEmbedding: the image height and width must be known (the "
                             f"position embedding has one row per patch), got {tuple(input_shape)}.")
        for axis, size, patch, step in (("height", height, self.patch_size[0], self.strides[0]),
                                        ("width", width, self.patch_size[1], self.strides[1])):
            if size < patch:
                raise ValueError(f"PatchEmbedding: image {axis} {size} is smaller than the patch "
                                 f"size {patch}.")
            if step == patch and size % patch:
                raise ValueError(
                    f"PatchEmbedding: image {axis} {size} is not divisible by the patch size "
                    f"{patch} ({size} = {size // patch}*{patch} + {size % patch}); pick an image "
                    "size that is a multiple of the patch size.")
        self.grid_size = (1 + (height - self.patch_size[0]) // self.strides[0],
                          1 + (width - self.patch_size[1]) // self.strides[1])
        self.num_patches = self.grid_size[0] * self.grid_size[1]
        self.projection.build(input_shape)
        depth = self.hidden_dim
        if self.class_token:
            self.class_token_weight = self.add_weight(
                shape=(1, 1, depth), initializer=self.initializer, name="class_token")
        if self.distillation_token:
            self.distillation_token_weight = self.add_weight(
                shape=(1, 1, depth), initializer=self.initializer, name="distillation_token")
        if self.position_embedding:
            self.position_embedding_weight = self.add_weight(
                shape=(self.num_tokens + self.num_patches, depth), initializer=self.initializer,
                name="position_embedding")

    def call(self, images):
        x = self.projection(images)
        x = keras.ops.reshape(x, (-1, self.num_patches, self.hidden_dim))
        tokens = []
        if self.class_token:
            tokens.append(self.class_token_weight)
        if self.distillation_token:
            tokens.append(self.distillation_token_weight)
        if tokens:
            prefix = keras.ops.concatenate(tokens, axis=1) if len(tokens) > 1 else tokens[0]
            # Adding zeros of the batch's shape broadcasts the tokens over the batch with
            # builtin TFLite ops (ADD), whatever the batch size.
            prefix = keras.ops.cast(prefix, x.dtype) + keras.ops.zeros_like(x[:, :1, :])
            x = keras.ops.concatenate([prefix, x], axis=1)
        if self.position_embedding:
            x = x + keras.ops.cast(self.position_embedding_weight, x.dtype)[None]
        return x

    def compute_output_shape(self, input_shape):
        rows = 1 + (input_shape[1] - self.patch_size[0]) // self.strides[0]
        cols = 1 + (input_shape[2] - self.patch_size[1]) // self.strides[1]
        return (input_shape[0], self.num_tokens + rows * cols, self.hidden_dim)

    def load_own_variables(self, store):
        """Loads the tokens and position embedding, resampling the latter to this layer's grid
        when it was saved at another image size."""
        if self.position_embedding and self.built:
            index = str(len(self._trainable_variables + self._non_trainable_variables) - 1)
            stored = np.asarray(store[index])
            if stored.shape != tuple(self.position_embedding_weight.shape):
                store = {k: store[k] for k in store.keys()}
                store[index] = self._resampled(stored)
        super().load_own_variables(store)

    def _resampled(self, stored):
        expected = self.num_tokens + self.num_patches
        if stored.ndim != 2 or stored.shape[1] != self.hidden_dim:
            raise ValueError(
                f"{self.name}: the stored position embedding has shape {stored.shape}, expected "
                f"[{expected}, {self.hidden_dim}] (or another length with depth "
                f"{self.hidden_dim}).")
        patches = stored.shape[0] - self.num_tokens
        old_grid = _infer_old_grid(patches, self.grid_size) if patches > 0 else None
        if old_grid is None:
            raise ValueError(
                f"{self.name}: the stored position embedding has {stored.shape[0]} positions; "
                f"this layer needs {expected} ({self.grid_size[0]}*{self.grid_size[1]} patches + "
                f"{self.num_tokens} tokens), and {stored.shape[0]} - {self.num_tokens} = "
                f"{patches} is no square grid nor one of aspect {self.grid_size}, so it cannot be "
                "resampled. Call resample_position_embedding with the old grid yourself.")
        return resample_position_embedding(stored, old_grid, self.grid_size, self.num_tokens)

    def get_config(self):
        return {**super().get_config(), "patch_size": self.patch_size,
                "hidden_dim": self.hidden_dim, "class_token": self.class_token,
                "distillation_token": self.distillation_token,
                "position_embedding": self.position_embedding,
                "initializer": keras.initializers.serialize(self.initializer),
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "strides": self.strides, "use_bias": self.use_bias}

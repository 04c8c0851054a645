"""Dense Prediction Transformer, DPT (Ranftl, Bochkovskiy & Koltun, "Vision Transformers for
Dense Prediction", ICCV 2021, section 3, figure 1).

A ViT encoder (patch embedding, pre-norm transformer layers) whose tokens are read at four
depths (layers 3, 6, 9, 12 of ViT-Base; 5, 12, 18, 24 of ViT-Large) and *reassembled* into
image-like maps at 1/4, 1/8, 1/16 and 1/32 of the input (eq. 5-7): Read (the readout/CLS token
ignored, added to every patch token, or concatenated and projected by a linear layer + GELU),
Concatenate (the patch tokens on their grid), Resample (a 1x1 convolution to D^ channels, then
a 4x4 stride-4 or 2x2 stride-2 transposed convolution, identity, or a 3x3 stride-2
convolution), then a 3x3 convolution to the fusion width. RefineNet-style *fusion* blocks
(residual convolutional units, addition, 2x bilinear upsampling, a 1x1 projection) combine them
from the coarsest up, and a task head gives the output at the input's size: segmentation
(3x3 convolution, BatchNorm, ReLU, dropout 0.1, 1x1 to the classes, 2x bilinear upsampling) or
depth (3x3 convolution to half the width, 2x upsampling, 3x3 to 32, ReLU, 1x1 to one channel).

Departures: the depth head ends in a softplus (a positive depth for the scale-invariant log
loss) where the paper's relative-depth model ends in a ReLU on inverse depth; the bilinear
upsamplings use half-pixel centres (Keras' UpSampling2D) where the authors' code aligns
corners.

Parameters: 109.7M (Base) and 341.8M (Large) against the paper's 112M and 343M. The layers are
the paper's; its figures count the authors' module, which also holds weights that never run:
the ViT backbone's final LayerNorm and 1000-class ImageNet head, and a first residual unit in
the coarsest fusion block, which has no skip input (1.95M for Base, 2.21M for Large). They are
not built here.

Pretrained encoder: ``weights="keras_hub:vit_base_patch16_384_imagenet"`` (DPT-Base; the
``vit_large_patch16_*`` presets build DPT-Large's hooks and widths) loads keras-hub's ViT, the
paper's, into the encoder, all but its final LayerNorm, which DPT does not use; the model keeps
its image size (position table resampled bicubically) and the reassemble, fusion and head
layers are new.
"""

from __future__ import annotations

import keras

from keras_zoo.blocks.transformer import transformer_encoder_block
from keras_zoo.layers.patch_embedding import PatchEmbedding
from keras_zoo.models.classification.vit import check_sizes as check_vit_sizes
from keras_zoo.models.registry import register
from keras_zoo.models.segmentation.common import (
    check_choice,
    check_image_shape,
    check_positive_int,
    check_sizes,
    multiple_of,
)
from keras_zoo.models.segmentation.segmenter import patch_map

PAPER = ("Ranftl, Bochkovskiy & Koltun, Vision Transformers for Dense Prediction, ICCV 2021")
READOUTS = ("ignore", "add", "project")
HEADS = ("segmentation", "depth")
#: Section 3 ("Reassemble"): ViT-Base reads layers {3, 6, 9, 12}, ViT-Large {5, 12, 18, 24}
#: (1-based); D^ = 96, 192, 384, 768 (Base) or 256, 512, 1024, 1024 (Large); fusion width 256.
BASE = dict(hidden_dim=768, num_layers=12, num_heads=12, mlp_dim=3072, hooks=(3, 6, 9, 12),
            reassemble_dims=(96, 192, 384, 768))
LARGE = dict(hidden_dim=1024, num_layers=24, num_heads=16, mlp_dim=4096, hooks=(5, 12, 18, 24),
             reassemble_dims=(256, 512, 1024, 1024))


def _read(tokens, readout, name):
    """Read (eq. 5): patch tokens ``[B, N, D]`` from ``[B, 1 + N, D]``."""
    patches = tokens[:, 1:]
    if readout == "ignore":
        return patches
    cls = tokens[:, :1]
    if readout == "add":
        return keras.layers.Add(name=f"{name}_readout_add")([patches, cls])
    # "project": concatenate the readout token to every patch token, then Linear + GELU.
    cls = keras.ops.zeros_like(patches[:, :, :1]) + cls
    x = keras.layers.Concatenate(name=f"{name}_readout_concat")([patches, cls])
    return keras.layers.Dense(tokens.shape[-1], activation="gelu",
                              name=f"{name}_readout_project")(x)


def _resample(x, dims, scale, name):
    """Resample_s (eq. 7): a 1x1 convolution to D^, then to 1/``scale`` of the image from the
    patch grid at 1/16 (p = 16; other patch sizes scale the factors alike)."""
    x = keras.layers.Conv2D(dims, 1, name=f"{name}_project")(x)
    if scale > 1:
        return keras.layers.Conv2DTranspose(dims, scale, strides=scale, name=f"{name}_up")(x)
    if scale < 1:
        stride = round(1 / scale)
        return keras.layers.Conv2D(dims, 3, strides=stride, padding="same",
                                   name=f"{name}_down")(x)
    return x


def check_hooks(name, hooks, reassemble_dims, num_layers):
    """``(hooks, reassemble_dims)`` as tuples: four increasing encoder layers in
    ``1..num_layers`` and their four reassemble widths, or a ValueError naming ``name``."""
    hooks, dims = tuple(hooks), tuple(reassemble_dims)
    if len(hooks) != 4 or len(dims) != 4:
        raise ValueError(f"{name}: hooks and reassemble_dims must have four entries, got "
                         f"{hooks} and {dims}.")
    if list(hooks) != sorted(set(hooks)) or hooks[0] < 1 or hooks[-1] > num_layers:
        raise ValueError(f"{name}: hooks must be increasing layers in 1..{num_layers}, got "
                         f"{hooks}.")
    return hooks, dims


def residual_conv_unit(x, features, batch_norm, name):
    """RefineNet's residual convolutional unit: ``x + conv(relu(conv(relu(x))))``."""
    y = x
    for i in (1, 2):
        y = keras.layers.ReLU(name=f"{name}_relu{i}")(y)
        y = keras.layers.Conv2D(features, 3, padding="same", use_bias=not batch_norm,
                                name=f"{name}_conv{i}")(y)
        if batch_norm:
            y = keras.layers.BatchNormalization(name=f"{name}_bn{i}")(y)
    return keras.layers.Add(name=f"{name}_add")([x, y])


def fusion_block(x, skip, features, batch_norm, name):
    """A fusion block (figure 1, right): ``RCU(skip)`` added to the coarser path, another RCU,
    2x bilinear upsampling and a 1x1 projection."""
    if skip is not None:
        skip = residual_conv_unit(skip, features, batch_norm, f"{name}_rcu1")
        x = keras.layers.Add(name=f"{name}_add")([x, skip])
    x = residual_conv_unit(x, features, batch_norm, f"{name}_rcu2")
    x = keras.layers.UpSampling2D(2, interpolation="bilinear", name=f"{name}_upsample")(x)
    return keras.layers.Conv2D(features, 1, name=f"{name}_project")(x)


def DPT(input_shape=(384, 384, 3), classes=150, head="segmentation", patch_size=16,
        hidden_dim=768, num_layers=12, num_heads=12, mlp_dim=3072, hooks=(3, 6, 9, 12),
        reassemble_dims=(96, 192, 384, 768), features=256, readout="project", dropout=0.0,
        head_dropout=0.1, name=None):
    """DPT, DPT-Base with the segmentation head by default.

    Args:
        input_shape: ``(H, W, C)``, sides multiples of ``2 * patch_size`` (the 1/32 map is a
            stride-2 convolution of the patch grid; a size error names the nearest).
        classes: K of the segmentation head (1 for the depth head).
        head: "segmentation" or "depth".
        patch_size, hidden_dim, num_layers, num_heads, mlp_dim, dropout: the ViT's.
        hooks: the four 1-based encoder layers reassembled (shallowest first).
        reassemble_dims: D^ of the four maps.
        features: the fusion width (256).
        readout: "ignore", "add" or "project" (the readout token's handling; "project" in
            the paper's models).
        head_dropout: the segmentation head's dropout (0.1).
        name: the model's name (default ``dpt`` / ``dpt_depth``).
    """
    check_choice("DPT", "head", head, HEADS)
    name = name or ("dpt" if head == "segmentation" else "dpt_depth")
    shape = check_image_shape(name, input_shape)
    check_choice(name, "readout", readout, READOUTS)
    check_positive_int(name, "classes", classes)
    check_positive_int(name, "features", features)
    if head == "depth" and classes != 1:
        raise ValueError(f"{name}: the depth head predicts one channel; got classes={classes}.")
    check_vit_sizes(name, hidden_dim, num_heads, num_layers, mlp_dim, patch_size)
    hooks, dims = check_hooks(name, hooks, reassemble_dims, num_layers)
    check_sizes(name, shape, multiple_of(2 * patch_size),
                f"a multiple of twice the patch size, {2 * patch_size}")
    grid = (shape[0] // patch_size, shape[1] // patch_size)

    inputs = keras.Input(shape, name="images")
    x = PatchEmbedding(patch_size, hidden_dim, name="patch_embedding")(inputs)
    x = keras.layers.Dropout(dropout, name="embedding_dropout")(x)
    taps = []
    for i in range(num_layers):
        x = transformer_encoder_block(
            x, num_heads=num_heads, key_dim=hidden_dim // num_heads, mlp_dim=mlp_dim,
            dropout=dropout, norm_first=True, activation="gelu", epsilon=1e-6,
            name=f"encoder_layer_{i}")
        if i + 1 in hooks:
            taps.append(x)
        if i + 1 == hooks[-1]:
            break
    # The patch grid is at 1/p; the four maps at p/4, p/8, p/16, p/32 times it (4, 2, 1, 1/2
    # for p = 16).
    scales = (patch_size / 4, patch_size / 8, patch_size / 16, patch_size / 32)
    maps = []
    for level, (tokens, d, s) in enumerate(zip(taps, dims, scales, strict=True), start=1):
        r = _read(tokens, readout, f"reassemble{level}")
        r = patch_map(r, grid, f"reassemble{level}_grid")
        s = int(s) if s >= 1 else s
        r = _resample(r, d, s, f"reassemble{level}")
        maps.append(keras.layers.Conv2D(features, 3, padding="same", use_bias=False,
                                        name=f"reassemble{level}_features")(r))
    batch_norm = head == "segmentation"
    x = fusion_block(maps[3], None, features, batch_norm, "fusion4")
    for level in (3, 2, 1):
        x = fusion_block(x, maps[level - 1], features, batch_norm, f"fusion{level}")
    if head == "segmentation":
        x = keras.layers.Conv2D(features, 3, padding="same", use_bias=False,
                                name="head_conv")(x)
        x = keras.layers.BatchNormalization(name="head_bn")(x)
        x = keras.layers.ReLU(name="head_relu")(x)
        if head_dropout:
            x = keras.layers.Dropout(head_dropout, name="head_dropout")(x)
        x = keras.layers.Conv2D(classes, 1, name="head_logits")(x)
        x = keras.layers.UpSampling2D(2, interpolation="bilinear", name="head_upsample")(x)
        outputs = keras.layers.Activation("linear", name="logits")(x)
    else:
        x = keras.layers.Conv2D(features // 2, 3, padding="same", name="head_conv1")(x)
        x = keras.layers.UpSampling2D(2, interpolation="bilinear", name="head_upsample")(x)
        x = keras.layers.Conv2D(32, 3, padding="same", activation="relu", name="head_conv2")(x)
        x = keras.layers.Conv2D(1, 1, name="head_conv3")(x)
        outputs = keras.layers.Activation("softplus", name="depth")(x)
    return keras.Model(inputs, outputs, name=name)


def DPTDepth(**kwargs):
    """DPT with the depth head (one positive channel); ``DPT``'s arguments."""
    return DPT(**{"head": "depth", "classes": 1, **kwargs})


#: A 4-layer, width-16 ViT with the paper's 16x16 patches on 32x32 images (a 2x2 grid), all
#: four layers tapped, fusion width 8: the maps at 4, 2, 1 and 1/2 times the grid take every
#: resampling (4x and 2x transposed convolutions, identity, a stride-2 convolution), where the
#: 4x4 patches before 2026-12-05 took identity and three strided convolutions. Four layers are
#: the fewest with four distinct hooks; the recipes pin the earlier sizes.
TINY = dict(input_shape=(32, 32, 3), patch_size=16, hidden_dim=16, num_layers=4, num_heads=2,
            mlp_dim=32, hooks=(1, 2, 3, 4), reassemble_dims=(4, 8, 16, 16), features=8)

register("dpt", task="segmentation", family="dpt", tiny={**TINY, "classes": 4},
         canonical=dict(input_shape=(384, 384, 3), classes=150),
         data="shapes", recipe="segmentation_transformer", paper=PAPER, params=110_004_566,
         notes="DPT-Base, segmentation head, readout 'project'.")(DPT)
register("dpt_depth", task="depth", family="dpt", tiny=TINY,
         canonical=dict(input_shape=(384, 384, 3)),
         data="depth_scenes", recipe="depth", paper=PAPER, params=109_696_385,
         notes="DPT-Base, depth head (softplus output), scale-invariant log loss.")(DPTDepth)

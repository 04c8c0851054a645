"""Depth Anything (Yang, Kang, Huang, Xu, Feng & Zhao, "Depth Anything: Unleashing the Power of
Large-Scale Unlabeled Data", CVPR 2024, section 3; "Depth Anything V2", NeurIPS 2024): DPT's
decoder (Ranftl et al., ICCV 2021) on a DINOv2 encoder (Oquab et al., "DINOv2: Learning Robust
Visual Features without Supervision", TMLR 2024).

The encoder is DINOv2's ViT: 14x14 patches, a class token and a learned position embedding
(trained at 518 x 518, a 37 x 37 grid), optional register tokens after them (Darcet et al.,
ICLR 2024), pre-norm layers whose two residual branches are each scaled by LayerScale (Touvron
et al., ICCV 2021), exact GELU, LayerNorm epsilon 1e-6. Four layers' tokens (V2: layers {3, 6,
9, 12} of ViT-S/B, {5, 12, 18, 24} of ViT-L), each through the encoder's final LayerNorm, drop
the class and register tokens (no readout) and are *reassembled* on the patch grid g: a 1x1
convolution to D^, then 4x / 2x transposed convolutions, identity, or a 3x3 stride-2
convolution over one pixel of zero padding on every side (4g, 2g, g, ceil(g / 2)), and a 3x3
convolution to the fusion width. DPT's fusion blocks (residual convolutional units, addition)
combine them from the coarsest up, each resized bilinearly with aligned corners to the next
map's size (the last to 8g); the head is a 3x3 convolution to half the width, a resize with
aligned corners to the image size, a 3x3 convolution to 32 + ReLU and a 1x1 to one channel.

Sizes (V2's released models): ViT-S (width 384, 6 heads) with D^ = 48, 96, 192, 384 and
fusion width 64; ViT-B (768) with 96, 192, 384, 768 and 128; ViT-L (1024) with 256, 512, 1024,
1024 and 256 (``SMALL``, ``BASE``, ``LARGE``). Parameters at 518 x 518: 24.71M, 97.17M and
334.13M against V2's 24.8M, 97.5M and 335.3M; the difference is the released code's residual
unit in the coarsest fusion block, which has no skip input and never runs (73,856, 295,168 and
1,180,160 parameters), not built here. The first Depth Anything (V1) has the same network; its
released code reads the last four layers (``hooks=(9, 10, 11, 12)`` for ViT-S/B).

Departures: the output is a softplus (a positive depth for the zoo's scale-invariant log loss)
where the papers' relative models end in a ReLU on affine-invariant inverse depth (disparity;
``output_activation="relu"``).

Pretrained weights: ``weights="keras_hub:depth_anything_v2_small"`` (``_base``, ``_large``)
loads keras-hub's ``DepthAnythingBackbone`` (Depth Anything V2: encoder, reassemble, fusion
and head), ``output_activation="relu"`` (the relative model's), and its image converter's
normalisation as the model's preprocessing; the model keeps its image size (the 518-px position
table resampled bicubically, as keras-hub's DINOv2 does).
"""

from __future__ import annotations

import keras

from keras_zoo.layers.align_corners_resize import AlignCornersResize
from keras_zoo.layers.layer_scale import LayerScale
from keras_zoo.layers.patch_embedding import PatchEmbedding
from keras_zoo.layers.register_tokens import RegisterTokens
from keras_zoo.models.classification.vit import check_sizes as check_vit_sizes
from keras_zoo.models.registry import register
from keras_zoo.models.segmentation.common import (
    check_choice,
    check_image_shape,
    check_positive_int,
    check_sizes,
    multiple_of,
)
from keras_zoo.models.segmentation.dpt import check_hooks, residual_conv_unit
from keras_zoo.models.segmentation.segmenter import patch_map

PAPER = ("Yang, Kang, Huang, Xu, Feng & Zhao, Depth Anything: Unleashing the Power of "
         "Large-Scale Unlabeled Data, CVPR 2024; Yang et al., Depth Anything V2, NeurIPS 2024")
OUTPUT_ACTIVATIONS = ("softplus", "relu", "linear")
#: The reassemble factors relative to the patch grid (4g, 2g, g, g / 2).
FACTORS = (4, 2, 1, 0.5)
SMALL = dict(hidden_dim=384, num_layers=12, num_heads=6, mlp_dim=1536, hooks=(3, 6, 9, 12),
             reassemble_dims=(48, 96, 192, 384), features=64)
BASE = dict(hidden_dim=768, num_layers=12, num_heads=12, mlp_dim=3072, hooks=(3, 6, 9, 12),
            reassemble_dims=(96, 192, 384, 768), features=128)
LARGE = dict(hidden_dim=1024, num_layers=24, num_heads=16, mlp_dim=4096,
             hooks=(5, 12, 18, 24), reassemble_dims=(256, 512, 1024, 1024), features=256)


def dinov2_layer(x, num_heads, mlp_dim, layer_scale, dropout, name):
    """One DINOv2 layer: ``z' = z + LS(MSA(LN(z)))``, ``z = z' + LS(MLP(LN(z')))``."""
    width = x.shape[-1]
    h = keras.layers.LayerNormalization(epsilon=1e-6, name=f"{name}_attention_norm")(x)
    h = keras.layers.MultiHeadAttention(num_heads, width // num_heads, dropout=dropout,
                                        name=f"{name}_attention")(h, h)
    h = keras.layers.Dropout(dropout, name=f"{name}_attention_dropout")(h)
    h = LayerScale(layer_scale, name=f"{name}_attention_scale")(h)
    x = keras.layers.Add(name=f"{name}_attention_add")([x, h])
    m = keras.layers.LayerNormalization(epsilon=1e-6, name=f"{name}_mlp_norm")(x)
    m = keras.layers.Dense(mlp_dim, activation="gelu", name=f"{name}_mlp_dense_1")(m)
    m = keras.layers.Dropout(dropout, name=f"{name}_mlp_dropout_1")(m)
    m = keras.layers.Dense(width, name=f"{name}_mlp_dense_2")(m)
    m = keras.layers.Dropout(dropout, name=f"{name}_mlp_dropout_2")(m)
    m = LayerScale(layer_scale, name=f"{name}_mlp_scale")(m)
    return keras.layers.Add(name=f"{name}_mlp_add")([x, m])


def _reassemble(tokens, skip, grid, dims, factor, features, name):
    """Patch tokens (the first ``skip`` dropped) on their grid, projected to ``dims`` and
    resampled by ``factor``, then a 3x3 convolution to the fusion width."""
    x = patch_map(tokens[:, skip:], grid, f"{name}_grid")
    x = keras.layers.Conv2D(dims, 1, name=f"{name}_project")(x)
    if factor > 1:
        x = keras.layers.Conv2DTranspose(dims, factor, strides=factor,
                                         name=f"{name}_resample")(x)
    elif factor < 1:
        x = keras.layers.ZeroPadding2D(1, name=f"{name}_pad")(x)
        x = keras.layers.Conv2D(dims, 3, strides=round(1 / factor), name=f"{name}_resample")(x)
    return keras.layers.Conv2D(features, 3, padding="same", use_bias=False,
                               name=f"{name}_features")(x)


def _fusion(x, skip, features, size, name):
    """A fusion block: ``RCU(skip)`` added, another RCU, a resize with aligned corners to
    ``size`` and a 1x1 projection."""
    if skip is not None:
        skip = residual_conv_unit(skip, features, False, f"{name}_rcu1")
        x = keras.layers.Add(name=f"{name}_add")([x, skip])
    x = residual_conv_unit(x, features, False, f"{name}_rcu2")
    x = AlignCornersResize(size, name=f"{name}_upsample")(x)
    return keras.layers.Conv2D(features, 1, name=f"{name}_project")(x)


def DepthAnything(input_shape=(518, 518, 3), patch_size=14, hidden_dim=384, num_layers=12,
                  num_heads=6, mlp_dim=1536, num_register_tokens=0, layer_scale=1e-5,
                  hooks=(3, 6, 9, 12), tap_norm=True, reassemble_dims=(48, 96, 192, 384),
                  features=64, head_features=32, output_activation="softplus", dropout=0.0,
                  name="depth_anything"):
    """Depth Anything, ViT-S (V2's Depth-Anything-V2-Small) by default.

    Args:
        input_shape: ``(H, W, C)``, sides multiples of ``patch_size`` (518 = 37 x 14 in the
            papers; a size error names the nearest).
        patch_size, hidden_dim, num_layers, num_heads, mlp_dim, dropout: the DINOv2 ViT's.
        num_register_tokens: register tokens after the class token (0; 4 in DINOv2's "with
            registers" models).
        layer_scale: LayerScale's initial value (1e-5, DINOv2's).
        hooks: the four 1-based encoder layers reassembled (shallowest first).
        tap_norm: pass each hooked layer's tokens through the encoder's final LayerNorm (the
            released models': DINOv2's ``get_intermediate_layers(norm=True)``).
        reassemble_dims: D^ of the four maps (4g, 2g, g, g / 2).
        features: the fusion width.
        head_features: the head's last hidden width (32).
        output_activation: "softplus" (positive depth, the zoo's), "relu" (the papers'
            relative inverse depth) or "linear".
        name: the model's name.
    """
    shape = check_image_shape(name, input_shape)
    check_vit_sizes(name, hidden_dim, num_heads, num_layers, mlp_dim, patch_size)
    for arg, value in (("features", features), ("head_features", head_features)):
        check_positive_int(name, arg, value)
    check_choice(name, "output_activation", output_activation, OUTPUT_ACTIVATIONS)
    if (isinstance(num_register_tokens, bool) or not isinstance(num_register_tokens, int)
            or num_register_tokens < 0):
        raise ValueError(f"{name}: num_register_tokens must be an int >= 0, got "
                         f"{num_register_tokens!r}.")
    hooks, dims = check_hooks(name, hooks, reassemble_dims, num_layers)
    check_sizes(name, shape, multiple_of(patch_size), f"a multiple of the patch size, "
                f"{patch_size}")
    grid = (shape[0] // patch_size, shape[1] // patch_size)

    inputs = keras.Input(shape, name="images")
    x = PatchEmbedding(patch_size, hidden_dim, name="patch_embedding")(inputs)
    if num_register_tokens:
        x = RegisterTokens(num_register_tokens, name="register_tokens")(x)
    x = keras.layers.Dropout(dropout, name="embedding_dropout")(x)
    norm = (keras.layers.LayerNormalization(epsilon=1e-6, name="encoder_norm")
            if tap_norm else None)
    taps = []
    for i in range(hooks[-1]):
        x = dinov2_layer(x, num_heads, mlp_dim, layer_scale, dropout, f"encoder_layer_{i}")
        if i + 1 in hooks:
            taps.append(norm(x) if norm is not None else x)
    maps = [_reassemble(tokens, 1 + num_register_tokens, grid, d, f, features,
                        f"reassemble{level}")
            for level, (tokens, d, f) in enumerate(zip(taps, dims, FACTORS, strict=True),
                                                   start=1)]
    x = None
    for level in (4, 3, 2, 1):
        # Each fusion output takes the size of the next finer map; the last doubles it.
        size = (tuple(maps[level - 2].shape[1:3]) if level > 1
                else (2 * maps[0].shape[1], 2 * maps[0].shape[2]))
        x = _fusion(maps[3] if x is None else x, None if x is None else maps[level - 1],
                    features, size, f"fusion{level}")
    x = keras.layers.Conv2D(features // 2, 3, padding="same", name="head_conv1")(x)
    x = AlignCornersResize(shape[:2], name="head_upsample")(x)
    x = keras.layers.Conv2D(head_features, 3, padding="same", activation="relu",
                            name="head_conv2")(x)
    x = keras.layers.Conv2D(1, 1, name="head_conv3")(x)
    outputs = keras.layers.Activation(output_activation, name="depth")(x)
    return keras.Model(inputs, outputs, name=name)


#: A 4-layer, width-16 DINOv2 with the papers' 14x14 patches on 42x42 images (an odd 3x3 grid,
#: as the papers' 37x37: the stride-2 map is ceil(3 / 2) = 2 and the fusion resizes are not
#: all doublings), all four layers tapped, fusion width 8. Four layers are the fewest with four
#: distinct hooks; the depth recipe pins the sizes before 2026-12-05 (4x4 patches on 32x32
#: images, width 32). No register tokens (the released Depth Anything models have none):
#: untrained, a register is a near-constant token whose variance int8 rounds to zero in the
#: taps' LayerNorm, and the blown-up token ruins the tensor's int8 scale (mean |log| error
#: 0.18 against 0.017 without it); tests/layer_cases/dinov2.py covers the layer.
TINY = dict(input_shape=(42, 42, 3), patch_size=14, hidden_dim=16, num_layers=4, num_heads=2,
            mlp_dim=32, hooks=(1, 2, 3, 4),
            reassemble_dims=(4, 8, 16, 16), features=8, head_features=8)

register("depth_anything", task="depth", family="depth_anything", tiny=TINY,
         canonical=dict(input_shape=(518, 518, 3)),
         data="depth_scenes", recipe="depth", paper=PAPER, params=24_710_849,
         notes="Depth-Anything-V2-Small: DINOv2 ViT-S/14 encoder, DPT decoder with aligned-"
               "corner resizing, softplus depth output.")(DepthAnything)

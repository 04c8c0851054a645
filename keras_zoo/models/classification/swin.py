"""Swin Transformer (Liu, Lin, Cao, Hu, Wei, Zhang, Lin & Guo, Swin Transformer: Hierarchical
Vision Transformer using Shifted Windows, ICCV 2021).

4x4 patches embedded to C channels, then four stages of Swin blocks at resolutions H/4 .. H/32,
separated by patch merging (``keras_zoo.layers.PatchMerging``). Consecutive blocks alternate
window attention (W-MSA) and shifted-window attention (SW-MSA) with a relative position bias
(``keras_zoo.layers.WindowAttention``). Swin-T: C=96, depths (2, 2, 6, 2), heads (3, 6, 12, 24);
Swin-S: depths (2, 2, 18, 2); Swin-B: C=128, heads (4, 8, 16, 32); Swin-L: C=192, heads
(6, 12, 24, 48); window 7 at 224x224 (28.29M / 49.61M / 87.77M / 196.53M parameters with 1000
classes, Table 1; the paper pre-trains Swin-B and Swin-L on ImageNet-22K and fine-tunes them
at 384x384 with window 12, ``input_shape=(384, 384, 3), window_size=12``).

Resolution change, by construction: Swin has no absolute position embedding, and its relative
position bias tables depend only on the window size, so weights trained at one image size load
unchanged into the same architecture at another, provided every stage's feature map is a
multiple of the window (the masks are constants recomputed for the new size). Where a stage's
map is not larger than the window, the window shrinks to the map and is not shifted (the
paper's code); a different shrunk window would change the table's size, and loading then fails
with Keras' shape error.
"""

from __future__ import annotations

import keras
import numpy as np

from keras_zoo.layers.patch_embedding import PatchEmbedding
from keras_zoo.layers.patch_merging import PatchMerging
from keras_zoo.layers.stochastic_depth import StochasticDepth
from keras_zoo.layers.window_attention import WindowAttention
from keras_zoo.models.classification import common
from keras_zoo.models.classification.vit import check_patches
from keras_zoo.models.registry import register

PAPER = ("Liu et al., Swin Transformer: Hierarchical Vision Transformer using Shifted Windows, "
         "ICCV 2021")


def _residual(shortcut, branch, rate, name):
    if rate > 0.0:
        return StochasticDepth(rate, name=f"{name}_drop_path")([shortcut, branch])
    return keras.layers.Add(name=f"{name}_add")([shortcut, branch])


def swin_block(x, *, num_heads, window_size, shift_size, mlp_ratio, drop_path, name):
    """One Swin block (eq. 3): ``z = (S)W-MSA(LN(z)) + z; z = MLP(LN(z)) + z`` on ``[B,H,W,C]``."""
    channels = x.shape[-1]
    h = keras.layers.LayerNormalization(epsilon=1e-5, name=f"{name}_norm1")(x)
    h = WindowAttention(num_heads, window_size, shift_size, name=f"{name}_attention")(h)
    x = _residual(x, h, drop_path, f"{name}_attention")
    h = keras.layers.LayerNormalization(epsilon=1e-5, name=f"{name}_norm2")(x)
    h = keras.layers.Dense(int(channels * mlp_ratio), activation="gelu", name=f"{name}_mlp_fc1")(h)
    h = keras.layers.Dense(channels, name=f"{name}_mlp_fc2")(h)
    return _residual(x, h, drop_path, f"{name}_mlp")


def stage_windows(name, size, window_size, num_stages):
    """``[(window, shift), ...]`` per stage for a ``(H/P, W/P)`` patch grid; ValueError if a
    window does not divide a stage's feature map or a map cannot be halved."""
    plan = []
    height, width = size
    for stage in range(num_stages):
        if stage:
            if height % 2 or width % 2:
                raise ValueError(
                    f"{name}: stage {stage + 1} merges 2x2 patches, but the feature map of stage "
                    f"{stage} is {height}x{width} (not even).")
            height, width = height // 2, width // 2
        if min(height, width) <= window_size:  # the whole map is one window: no shift
            window, shift = min(height, width), 0
        else:
            window, shift = window_size, window_size // 2
        if height % window or width % window:
            raise ValueError(
                f"{name}: the window size {window} does not divide stage {stage + 1}'s feature "
                f"map {height}x{width}; choose an image size whose stage maps are multiples of "
                "the window.")
        plan.append((window, shift))
    return plan


def SwinTransformer(
    patch_size=4,
    embed_dim=96,
    depths=(2, 2, 6, 2),
    num_heads=(3, 6, 12, 24),
    window_size=7,
    mlp_ratio=4.0,
    drop_path_rate=0.0,
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="swin_t",
):
    """The Swin Transformer, Swin-T by default (Liu et al. 2021).

    Args:
        patch_size: the patch side of the embedding (4).
        embed_dim: the width C of stage 1; stage i has ``C * 2^(i-1)``.
        depths: the number of blocks per stage.
        num_heads: the number of heads per stage.
        window_size: the window side M (7).
        mlp_ratio: the MLP's hidden width over the block's width (4).
        drop_path_rate: the stochastic-depth rate of the last block, rising linearly from 0
            (0.2 / 0.3 / 0.5 for T / S / B in the paper's ImageNet training).
        include_top, weights, input_tensor, input_shape, pooling, classes,
            classifier_activation: as in keras.applications (global average pooling, Dense).
        name: the model's name.
    """
    depths, num_heads = tuple(depths), tuple(num_heads)
    if len(depths) != len(num_heads) or not depths:
        raise ValueError(f"{name}: depths {depths} and num_heads {num_heads} must have the same "
                         "non-zero length (one per stage).")
    for stage, heads in enumerate(num_heads):
        if (embed_dim * 2 ** stage) % heads:
            raise ValueError(f"{name}: stage {stage + 1}'s width {embed_dim * 2 ** stage} is not "
                             f"divisible by its {heads} heads.")
    shape = common.validate_args(
        name=name, weights=weights, input_shape=input_shape, default_shape=(224, 224, 3),
        include_top=include_top, pooling=pooling, classes=classes, min_size=patch_size)
    if shape[0] is None or shape[1] is None:
        raise ValueError(f"{name}: the image height and width must be known (the attention "
                         f"masks depend on them), got {shape}.")
    check_patches(name, shape, patch_size)
    plan = stage_windows(name, (shape[0] // patch_size, shape[1] // patch_size), window_size,
                         len(depths))
    inputs = common.image_input(input_tensor, shape)
    x = PatchEmbedding(patch_size, embed_dim, class_token=False, position_embedding=False,
                       name="patch_embedding")(inputs)
    x = keras.layers.Reshape((shape[0] // patch_size, shape[1] // patch_size, embed_dim),
                             name="patch_grid")(x)
    x = keras.layers.LayerNormalization(epsilon=1e-5, name="patch_norm")(x)
    rates = np.linspace(0.0, drop_path_rate, sum(depths))
    block = 0
    for stage, (depth, heads, (window, shift)) in enumerate(zip(depths, num_heads, plan, strict=True)):
        if stage:
            x = PatchMerging(name=f"stage{stage}_merging")(x)
        for i in range(depth):
            x = swin_block(x, num_heads=heads, window_size=window,
                           shift_size=shift if i % 2 else 0, mlp_ratio=mlp_ratio,
                           drop_path=float(rates[block]), name=f"stage{stage + 1}_block{i}")
            block += 1
    x = keras.layers.LayerNormalization(epsilon=1e-5, name="norm")(x)
    x = common.classifier_head(x, include_top=include_top, pooling=pooling, classes=classes,
                               classifier_activation=classifier_activation)
    return common.finish(inputs, x, name=name, weights=weights, input_tensor=input_tensor)


def _variant(model_name, doc, **sizes):
    def builder(**kwargs):
        return SwinTransformer(**{**sizes, "name": model_name, **kwargs})

    builder.__name__ = builder.__qualname__ = model_name.replace("swin_", "Swin").upper().replace(
        "SWIN", "Swin")
    builder.__doc__ = f"{doc} ({PAPER}). Keyword arguments override ``SwinTransformer``'s."
    return builder


SwinT = _variant("swin_t", "Swin-T: C=96, depths (2, 2, 6, 2), heads (3, 6, 12, 24), window 7",
                 embed_dim=96, depths=(2, 2, 6, 2), num_heads=(3, 6, 12, 24))
SwinS = _variant("swin_s", "Swin-S: C=96, depths (2, 2, 18, 2), heads (3, 6, 12, 24), window 7",
                 embed_dim=96, depths=(2, 2, 18, 2), num_heads=(3, 6, 12, 24))
SwinB = _variant("swin_b", "Swin-B: C=128, depths (2, 2, 18, 2), heads (4, 8, 16, 32), window 7",
                 embed_dim=128, depths=(2, 2, 18, 2), num_heads=(4, 8, 16, 32))
SwinL = _variant("swin_l", "Swin-L: C=192, depths (2, 2, 18, 2), heads (6, 12, 24, 48), window 7",
                 embed_dim=192, depths=(2, 2, 18, 2), num_heads=(6, 12, 24, 48))

#: Two stages on 32x32 digits: 4x4 patches (8x8 map, windows of 4, two blocks: the second's
#: shifted by 2), patch merging to 4x4 (one window, no shift: one block, a second would repeat
#: it), widths 16 and 32.
TINY = dict(input_shape=(32, 32, 1), patch_size=4, embed_dim=16, depths=(2, 1), num_heads=(2, 4),
            window_size=4, classes=10)

for _name, _builder, _params in (("swin_t", SwinT, 28_288_354), ("swin_s", SwinS, 49_606_258),
                                 ("swin_b", SwinB, 87_768_224),
                                 ("swin_l", SwinL, 196_532_476)):
    register(
        _name,
        task="classification",
        family="swin",
        tiny=TINY,
        canonical=dict(input_shape=(224, 224, 3), classes=1000),
        paper=PAPER,
        params=_params,
        notes="Shifted windows by slicing + concatenation (TFLite has no ROLL); weights load at "
              "any image size whose stage maps are multiples of the window.",
    )(_builder)

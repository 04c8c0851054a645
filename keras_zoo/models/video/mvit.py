"""MViT: a transformer whose stages grow channels while pooling attention shrinks the
space-time resolution (Fan, Xiong, Mangalam, Li, Yan, Malik & Feichtenhofer, Multiscale Vision
Transformers, ICCV 2021)."""

import keras

from keras_zoo.layers.max_pooling_3d import SeparableMaxPooling3D
from keras_zoo.layers.pooling_attention import (
    MultiHeadPoolingAttention,
    SpatioTemporalPositionEmbedding,
)
from keras_zoo.models.video import common

PAPER = "Fan, Xiong, Mangalam, Li, Yan, Malik & Feichtenhofer, ICCV 2021"

#: MViT-B (Table 3): blocks, channels and heads of scale2 .. scale5.
MVIT_B = dict(depths=(1, 2, 11, 2), dims=(96, 192, 384, 768), heads=(1, 2, 4, 8))


def mvit_block(x, dim_out, heads, q_strides, kv_strides, mlp_ratio, name):
    """A multiscale transformer block (section 3.2): pre-norm MHPA with the residual pooled
    like the queries (max pooling, kernel stride + 1), then a pre-norm MLP whose output is
    ``dim_out``; where the width grows the residual is a linear map of the normed input."""
    dim = x.shape[-1]
    h = keras.layers.LayerNormalization(epsilon=1e-6, name=f"{name}_attention_norm")(x)
    h = MultiHeadPoolingAttention(dim, heads, q_strides, kv_strides, name=f"{name}_attention")(h)
    if tuple(q_strides) != (1, 1, 1):
        kernel = tuple(s + 1 if s > 1 else 1 for s in q_strides)
        x = SeparableMaxPooling3D(kernel, q_strides, "same", name=f"{name}_skip_pool")(x)
    x = keras.layers.Add(name=f"{name}_attention_add")([x, h])
    h = keras.layers.LayerNormalization(epsilon=1e-6, name=f"{name}_mlp_norm")(x)
    skip = x if dim_out == dim else keras.layers.Dense(dim_out, name=f"{name}_skip_proj")(h)
    m = keras.layers.Dense(int(mlp_ratio * dim), activation="gelu", name=f"{name}_mlp_1")(h)
    m = keras.layers.Dense(dim_out, name=f"{name}_mlp_2")(m)
    return keras.layers.Add(name=f"{name}_mlp_add")([skip, m])


def MViT(
    depths=MVIT_B["depths"],
    dims=MVIT_B["dims"],
    heads=MVIT_B["heads"],
    patch_kernel=(3, 7, 7),
    patch_strides=(2, 4, 4),
    kv_strides=(1, 8, 8),
    mlp_ratio=4.0,
    dropout=0.5,
    include_top=True,
    input_shape=(16, 224, 224, 3),
    pooling=None,
    classes=400,
    classifier_activation="softmax",
    name="mvit_b",
):
    """MViT-B 16x4 (Table 3): a cube embedding (3x7x7 convolution, stride 2x4x4, to 96
    channels), a separable spatio-temporal position embedding, four scales of multiscale
    blocks; the first block of scales 3-5 pools the queries by 1x2x2 (halving space) and the
    last block of scales 2-4 doubles the width in its MLP; keys and values are pooled in every
    block, by 1x8x8 at scale2 and adaptively after (so their grid stays 8 x 7 x 7 at 224
    px). LayerNorm, the tokens' mean, dropout and the classifier end it.

    The paper's video model reads a class token; this one averages the tokens instead (its
    MViTv2 successor's choice): the same parameters but 96.

    Args:
        depths, dims, heads: blocks, channels and heads of the four scales.
        patch_kernel, patch_strides: the cube embedding.
        kv_strides: the key/value pooling strides at scale2 (divided by each later scale's
            query stride).
        mlp_ratio: MLP hidden width / block width.
        dropout: before the classifier.
        include_top, pooling, classes, classifier_activation: as in keras.applications.
        input_shape: ``(T, H, W, 3)``.
        name: the model's name.
    """
    if not len(depths) == len(dims) == len(heads):
        raise ValueError(f"{name}: depths, dims and heads must have one entry per scale, got "
                         f"{depths}, {dims}, {heads}.")
    common.check_head(name, include_top, pooling, classes)
    inputs = common.clip_input(name, input_shape, min_frames=patch_strides[0],
                               min_size=16)
    x = keras.layers.Conv3D(dims[0], patch_kernel, strides=patch_strides, padding="same",
                            name="patch_embedding")(inputs)
    x = SpatioTemporalPositionEmbedding(name="position_embedding")(x)
    kv = list(kv_strides)
    for s, (n, heads_s) in enumerate(zip(depths, heads, strict=True)):
        for j in range(n):
            q = (1, 2, 2) if s > 0 and j == 0 else (1, 1, 1)
            if q != (1, 1, 1):
                kv = [max(1, a // b) for a, b in zip(kv, q, strict=True)]
            dim_out = dims[s + 1] if j == n - 1 and s + 1 < len(dims) else dims[s]
            x = mvit_block(x, dim_out, heads_s, q, tuple(kv), mlp_ratio,
                           f"scale{s + 2}_block{j + 1}")
    x = keras.layers.LayerNormalization(epsilon=1e-6, name="norm")(x)
    x = common.head(x, name, include_top, pooling, classes, classifier_activation, dropout)
    return keras.Model(inputs, x, name=name)


# One block at one scale (the battery's cost grows with the blocks).
TINY = dict(depths=(1,), dims=(8,), heads=(1,), patch_strides=(2, 2, 2),
            kv_strides=(1, 2, 2), dropout=0.0, input_shape=(8, 16, 16, 3), classes=4)

common.register_video(
    "mvit_b",
    MViT,
    family="mvit",
    tiny=TINY,
    canonical=dict(input_shape=(16, 224, 224, 3), classes=400),
    paper=PAPER,
    params=36_599_344,
    recipe="mvit",  # training/recipes/video_3d.py (issue 19)
    notes="MViT-B 16x4: 36,599,344 (Table 3 / Table 6: 36.6M); tokens averaged, no class "
          "token.",
)

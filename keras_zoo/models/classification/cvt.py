"""CvT: Convolutional vision Transformer (Wu, Xiao, Codella, Liu, Dai, Yuan & Zhang, CvT:
Introducing Convolutions to Vision Transformers, ICCV 2021).

Three stages, each a *convolutional token embedding* (an overlapping strided Conv2D + LayerNorm
on the 2-D token map: 7x7 stride 4, then 3x3 stride 2 twice) followed by Transformer blocks whose
attention projects Q, K, V with depthwise convolutions (``keras_zoo.layers.
ConvolutionalAttention``; K and V at stride 2). A class token joins the last stage only, and the
head reads it after a LayerNorm. No position embedding: the convolutions carry the positional
information (section 3.3). CvT-13: depths (1, 2, 10), widths (64, 192, 384), heads (1, 3, 6);
CvT-21: depths (1, 4, 16) (Table 2: 20M / 32M parameters at 224x224, 1000 classes).

Resolution change, by construction: with no position embedding and only convolutions and
attention over however many tokens there are, the weights of a CvT load unchanged into the same
architecture at any other input size.
"""

from __future__ import annotations

import keras
import numpy as np

from keras_zoo.layers.class_token import ClassToken
from keras_zoo.layers.conv_attention import ConvolutionalAttention
from keras_zoo.layers.stochastic_depth import StochasticDepth
from keras_zoo.models.classification import common
from keras_zoo.models.registry import register

PAPER = ("Wu et al., CvT: Introducing Convolutions to Vision Transformers, ICCV 2021")


def _residual(shortcut, branch, rate, name):
    if rate > 0.0:
        return StochasticDepth(rate, name=f"{name}_drop_path")([shortcut, branch])
    return keras.layers.Add(name=f"{name}_add")([shortcut, branch])


def cvt_block(x, cls, *, num_heads, mlp_ratio, drop_path, name):
    """One CvT block on a token map ``[B, H, W, C]`` (and a class token ``[B, 1, C]`` or None):
    ``z = ConvAttention(LN(z)) + z; z = MLP(LN(z)) + z``, the same LayerNorm and MLP applied to
    the map and the class token."""
    channels = x.shape[-1]
    norm1 = keras.layers.LayerNormalization(epsilon=1e-5, name=f"{name}_norm1")
    norm2 = keras.layers.LayerNormalization(epsilon=1e-5, name=f"{name}_norm2")
    fc1 = keras.layers.Dense(int(channels * mlp_ratio), activation="gelu", name=f"{name}_mlp_fc1")
    fc2 = keras.layers.Dense(channels, name=f"{name}_mlp_fc2")
    attention = ConvolutionalAttention(num_heads, channels, name=f"{name}_attention")
    if cls is None:
        x = _residual(x, attention(norm1(x)), drop_path, f"{name}_attention")
        return _residual(x, fc2(fc1(norm2(x))), drop_path, f"{name}_mlp"), None
    a, a_cls = attention([norm1(x), norm1(cls)])
    x = _residual(x, a, drop_path, f"{name}_attention")
    cls = _residual(cls, a_cls, drop_path, f"{name}_attention_cls")
    x = _residual(x, fc2(fc1(norm2(x))), drop_path, f"{name}_mlp")
    cls = _residual(cls, fc2(fc1(norm2(cls))), drop_path, f"{name}_mlp_cls")
    return x, cls


def CvT(
    depths=(1, 2, 10),
    embed_dims=(64, 192, 384),
    num_heads=(1, 3, 6),
    embed_kernels=(7, 3, 3),
    embed_strides=(4, 2, 2),
    embed_paddings=(2, 1, 1),
    mlp_ratio=4.0,
    drop_path_rate=0.0,
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="cvt_13",
):
    """The Convolutional vision Transformer, CvT-13 by default (Wu et al. 2021).

    Args:
        depths: the number of blocks per stage.
        embed_dims: each stage's width.
        num_heads: each stage's number of heads.
        embed_kernels: each stage's token-embedding kernel.
        embed_strides: each stage's token-embedding stride.
        embed_paddings: each stage's token-embedding zero padding (2, 1, 1: 224 -> 56, 28, 14).
        mlp_ratio: the MLP's hidden width over the stage width (4).
        drop_path_rate: the stochastic-depth rate of the last block, rising linearly from 0
            (the paper's last stage uses 0.1).
        include_top, weights, input_tensor, input_shape, pooling, classes,
            classifier_activation: as in keras.applications. The head is a Dense layer on the
            class token after a LayerNorm; with ``include_top=False``, ``pooling=None`` returns the
            last token map and "avg"/"max" pool it.
        name: the model's name.
    """
    stages = (depths, embed_dims, num_heads, embed_kernels, embed_strides, embed_paddings)
    if len({len(s) for s in stages}) != 1 or not depths:
        raise ValueError(f"{name}: depths, embed_dims, num_heads, embed_kernels, embed_strides and "
                         "embed_paddings "
                         f"need one entry per stage, got lengths {[len(s) for s in stages]}.")
    for dim, heads in zip(embed_dims, num_heads, strict=True):
        if dim % heads:
            raise ValueError(f"{name}: width {dim} is not divisible by its {heads} heads.")
    shape = common.validate_args(
        name=name, weights=weights, input_shape=input_shape, default_shape=(224, 224, 3),
        include_top=include_top, pooling=pooling, classes=classes,
        min_size=int(np.prod(embed_strides)))
    if shape[0] is None or shape[1] is None:
        raise ValueError(f"{name}: the image height and width must be known (the token maps are "
                         f"reshaped statically), got {shape}.")
    inputs = common.image_input(input_tensor, shape)
    rates = np.linspace(0.0, drop_path_rate, sum(depths))
    x, cls, block = inputs, None, 0
    last = len(depths) - 1
    for stage, (depth, dim, heads, kernel, stride, pad) in enumerate(zip(*stages, strict=True)):
        prefix = f"stage{stage + 1}"
        x = keras.layers.ZeroPadding2D(pad, name=f"{prefix}_embedding_pad")(x)
        x = keras.layers.Conv2D(dim, kernel, strides=stride, name=f"{prefix}_embedding")(x)
        x = keras.layers.LayerNormalization(epsilon=1e-5, name=f"{prefix}_embedding_norm")(x)
        if stage == last:
            cls = ClassToken(name="class_token")(x)
        for i in range(depth):
            x, cls = cvt_block(x, cls, num_heads=heads, mlp_ratio=mlp_ratio,
                               drop_path=float(rates[block]), name=f"{prefix}_block{i}")
            block += 1
    if include_top:
        cls = keras.layers.LayerNormalization(epsilon=1e-5, name="norm")(cls)
        cls = keras.layers.Flatten(name="class_token_flatten")(cls)
        outputs = keras.layers.Dense(classes, activation=classifier_activation,
                                     name="predictions")(cls)
    else:
        outputs = common.pool_features(x, pooling)
    return common.finish(inputs, outputs, name=name, weights=weights, input_tensor=input_tensor)


def CvT13(**kwargs):
    """CvT-13 (Wu et al. 2021): depths (1, 2, 10), widths (64, 192, 384), heads (1, 3, 6).
    Keyword arguments override ``CvT``'s."""
    return CvT(**{"depths": (1, 2, 10), "name": "cvt_13", **kwargs})


def CvT21(**kwargs):
    """CvT-21 (Wu et al. 2021): depths (1, 4, 16), widths (64, 192, 384), heads (1, 3, 6).
    Keyword arguments override ``CvT``'s."""
    return CvT(**{"depths": (1, 4, 16), "name": "cvt_21", **kwargs})


#: Two stages of one block on 32x32 digits: embeddings 3x3/2 to 16x16 (width 16, 1 head) and
#: 3x3/2 to 8x8 (width 32, 2 heads, class token).
TINY = dict(input_shape=(32, 32, 1), depths=(1, 1), embed_dims=(16, 32), num_heads=(1, 2),
            embed_kernels=(3, 3), embed_strides=(2, 2), embed_paddings=(1, 1), classes=10)

for _name, _builder, _params in (("cvt_13", CvT13, 20_023_208), ("cvt_21", CvT21, 31_664_552)):
    register(
        _name,
        task="classification",
        family="cvt",
        tiny=TINY,
        canonical=dict(input_shape=(224, 224, 3), classes=1000),
        paper=PAPER,
        params=_params,
        notes="No position embedding: weights load at any input size. Trainable parameters "
              "19,997,480 (CvT-13) / 31,622,696 (CvT-21); params counts BatchNorm statistics too. "
              "Attention scale d^-1/2 "
              "per head (the authors' code uses the full width).",
    )(_builder)

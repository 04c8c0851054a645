"""ViViT: a Video Vision Transformer on tubelet tokens, with joint spatio-temporal attention or a
factorised encoder (Arnab, Dehghani, Heigold, Sun, Lucic & Schmid, ViViT: A Video Vision
Transformer, ICCV 2021)."""

import keras

from keras_zoo.blocks.transformer import transformer_encoder_block
from keras_zoo.layers.class_token import ClassToken
from keras_zoo.layers.position_encoding import LearnedPositionEmbedding
from keras_zoo.models.video import common

PAPER = "Arnab, Dehghani, Heigold, Sun, Lucic & Schmid, ICCV 2021"
VARIANTS = ("spatio_temporal", "factorised_encoder")


def _encoder(tokens, layers, heads, mlp_dim, dropout, name):
    """ViT's encoder on ``tokens`` [B, N, D]: a class token in front, a learned position
    embedding added, ``layers`` pre-norm blocks, a final LayerNorm; returns the class token's
    output [B, D]."""
    n, d = tokens.shape[1:]
    x = keras.layers.Concatenate(axis=1, name=f"{name}_with_cls")(
        [ClassToken(name=f"{name}_cls")(tokens), tokens])
    pos = LearnedPositionEmbedding(n + 1, name=f"{name}_position_embedding")(x)
    x = keras.layers.Add(name=f"{name}_embedded")([x, pos])
    for i in range(layers):
        x = transformer_encoder_block(x, heads, d // heads, mlp_dim, dropout,
                                      name=f"{name}_layer{i}")
    x = keras.layers.LayerNormalization(epsilon=1e-6, name=f"{name}_norm")(x)
    x = keras.layers.Cropping1D((0, n), name=f"{name}_cls_output")(x)
    return keras.layers.Reshape((d,), name=f"{name}_cls_features")(x)


def ViViT(
    variant="factorised_encoder",
    tubelet=(2, 16, 16),
    hidden_dim=768,
    num_heads=12,
    mlp_dim=3072,
    spatial_layers=12,
    temporal_layers=4,
    dropout=0.0,
    include_top=True,
    input_shape=(32, 224, 224, 3),
    classes=400,
    classifier_activation="softmax",
    name="vivit_b",
):
    """ViViT (section 3): the clip is cut into non-overlapping ``t x h x w`` tubelets, each
    linearly projected to ``hidden_dim`` (tubelet embedding, section 3.2: a 3-D convolution
    with kernel = stride = the tubelet).

    - ``"spatio_temporal"`` (Model 1, section 3.3): all ``n_t n_h n_w`` tokens and a class
      token through one ViT encoder of ``spatial_layers`` layers.
    - ``"factorised_encoder"`` (Model 2): a spatial ViT encoder (``spatial_layers``) run on each
      time step's ``n_h n_w`` tokens, its class-token outputs (one per time step) through a
      temporal encoder (``temporal_layers``) with its own class token; late fusion.

    The position embedding is learned; in the factorised encoder the spatial one is shared
    over time steps and the temporal encoder has its own (the paper adds one spatio-temporal
    embedding to the tubelet tokens; written this way the spatial encoder is one network
    applied per time step).

    Args:
        variant: "spatio_temporal" or "factorised_encoder".
        tubelet: ``(t, h, w)``; must divide the clip's frames, height and width.
        hidden_dim, num_heads, mlp_dim: the encoder's width, heads and MLP width (ViT-B: 768,
            12, 3072).
        spatial_layers: layers of the (spatial, or only) encoder (ViT-B: 12).
        temporal_layers: layers of the temporal encoder (Model 2; the paper's ViViT-B: 4).
        dropout: in the encoder blocks.
        include_top: the classifier on the class token (else the [B, D] features).
        input_shape: ``(T, H, W, 3)``.
        classes, classifier_activation: the classifier.
        name: the model's name.
    """
    if variant not in VARIANTS:
        raise ValueError(f"{name}: variant must be one of {VARIANTS}, got {variant!r}.")
    if hidden_dim % num_heads:
        raise ValueError(f"{name}: hidden_dim {hidden_dim} is not divisible by num_heads "
                         f"{num_heads}.")
    common.check_head(name, include_top, None, classes)
    tt, th, tw = tubelet
    inputs = common.clip_input(name, input_shape, min_frames=tt, frame_multiple=tt,
                               min_size=max(th, tw))
    _, h, w, _ = input_shape
    if h % th or w % tw:
        raise ValueError(f"{name}: frames of {h}x{w} are not divisible by the tubelet's "
                         f"{th}x{tw}.")
    x = keras.layers.Conv3D(hidden_dim, tubelet, strides=tubelet, name="tubelet_embedding")(
        inputs)
    nt, nh, nw = x.shape[1:4]
    if variant == "spatio_temporal":
        x = keras.layers.Reshape((nt * nh * nw, hidden_dim), name="tokens")(x)
        x = _encoder(x, spatial_layers, num_heads, mlp_dim, dropout, "encoder")
    else:
        x = keras.layers.Reshape((nt, nh * nw, hidden_dim), name="tokens")(x)
        frame_tokens = keras.Input((nh * nw, hidden_dim), name="frame_tokens")
        spatial = keras.Model(
            frame_tokens,
            _encoder(frame_tokens, spatial_layers, num_heads, mlp_dim, dropout, "spatial"),
            name="spatial_encoder")
        x = keras.layers.TimeDistributed(spatial, name="spatial_encoding")(x)
        x = _encoder(x, temporal_layers, num_heads, mlp_dim, dropout, "temporal")
    if include_top:
        x = keras.layers.Dense(classes, activation=classifier_activation,
                               name="predictions")(x)
    return keras.Model(inputs, x, name=name)


def ViViTSpatioTemporal(**kwargs):
    """ViViT Model 1 (joint spatio-temporal attention). Args: any of ``ViViT``'s."""
    return ViViT(**{"variant": "spatio_temporal", "name": "vivit_b_spatio_temporal",
                    **kwargs})


# Its arguments are ViViT's (the registry refuses any other by name).
ViViTSpatioTemporal.__wrapped__ = ViViT


TINY = dict(tubelet=(2, 8, 8), hidden_dim=16, num_heads=2, mlp_dim=32, spatial_layers=1,
            temporal_layers=1, input_shape=(8, 16, 16, 3), classes=4)

common.register_video(
    "vivit_b",
    ViViT,
    family="vivit",
    tiny=TINY,
    canonical=dict(input_shape=(32, 224, 224, 3), classes=400),
    paper=PAPER,
    recipe="vivit",
    params=115_062_928,
    notes="ViViT-B/16x2, factorised encoder (Model 2): 12 spatial + 4 temporal layers; "
          "115.06M (Table 2: 115.1M).",
)

common.register_video(
    "vivit_b_spatio_temporal",
    ViViTSpatioTemporal,
    family="vivit",
    tiny=TINY,
    canonical=dict(input_shape=(32, 224, 224, 3), classes=400),
    paper=PAPER,
    recipe="vivit",
    params=88_954_000,
    notes="ViViT-B/16x2, Model 1: one 12-layer encoder over all 16 x 14 x 14 tubelet tokens; "
          "88.95M (Table 2: 88.9M).",
)

"""Vision Transformer (Dosovitskiy et al., An Image is Worth 16x16 Words: Transformers for Image
Recognition at Scale, ICLR 2021).

The image is cut into P x P patches, linearly embedded, prefixed with a class token, given a
learnable position embedding (``keras_zoo.layers.PatchEmbedding``), and run through L pre-norm
Transformer encoder layers (``keras_zoo.blocks.transformer``); the head reads the class token
after a final LayerNorm (eq. 1-4). Sizes (Table 1): B 12 layers / 768 / MLP 3072 / 12 heads,
L 24 / 1024 / 4096 / 16, H 32 / 1280 / 5120 / 16; the registry has B/16, B/32, L/16, L/32 and
H/14 (Table 2's and Table 5's models). ViT-B/16 at 224x224 with 1000 classes has 86,567,656
parameters.

Resolution change (section 3.2): build the same architecture at the new ``input_shape`` and load
the weights (``weights=path.weights.h5`` or ``model.load_weights``): the position embedding is
resampled bicubically on its 2-D grid, class token kept (``PatchEmbedding.load_own_variables``).

keras-hub's ``ViTBackbone`` is this architecture exactly (pre-norm, LayerNorm epsilon 1e-6,
exact GELU, attention biases): ``weights="keras_hub:vit_base_patch16_224_imagenet"`` loads it,
with its image converter's [-1, 1] scaling built in (``keras_zoo.weights``); every keras-hub ViT
preset (B/16, B/32, L/16, L/32, H/14) loads into the entry of its size.
"""

from __future__ import annotations

import keras

from keras_zoo.blocks.transformer import transformer_encoder_block
from keras_zoo.layers.patch_embedding import PatchEmbedding
from keras_zoo.models.classification import common
from keras_zoo.models.registry import register

PAPER = ("Dosovitskiy et al., An Image is Worth 16x16 Words: Transformers for Image Recognition "
         "at Scale, ICLR 2021")

#: (num_layers, hidden_dim, mlp_dim, num_heads) of Table 1.
SIZES = {
    "B": (12, 768, 3072, 12),
    "L": (24, 1024, 4096, 16),
    "H": (32, 1280, 5120, 16),
}


def check_sizes(name, hidden_dim, num_heads, num_layers, mlp_dim, patch_size):
    for arg, value in (("hidden_dim", hidden_dim), ("num_heads", num_heads),
                       ("num_layers", num_layers), ("mlp_dim", mlp_dim),
                       ("patch_size", patch_size)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name}: {arg} must be a positive int, got {value!r}.")
    if hidden_dim % num_heads:
        raise ValueError(f"{name}: hidden_dim {hidden_dim} is not divisible by num_heads "
                         f"{num_heads}.")


def check_patches(name, shape, patch_size):
    """A clear error before any layer is built: the patch size must divide the image."""
    for axis, size in (("height", shape[0]), ("width", shape[1])):
        if size is not None and size % patch_size:
            raise ValueError(
                f"{name}: image {axis} {size} is not divisible by the patch size {patch_size} "
                f"({size} = {size // patch_size}*{patch_size} + {size % patch_size}).")


def vit_encoder(inputs, *, patch_size, hidden_dim, num_layers, num_heads, mlp_dim, dropout,
                distillation_token=False):
    """Patch embedding, L pre-norm encoder layers and the final LayerNorm: ``[B, T, D]``."""
    x = PatchEmbedding(patch_size, hidden_dim, distillation_token=distillation_token,
                       name="patch_embedding")(inputs)
    x = keras.layers.Dropout(dropout, name="embedding_dropout")(x)
    for i in range(num_layers):
        x = transformer_encoder_block(
            x, num_heads=num_heads, key_dim=hidden_dim // num_heads, mlp_dim=mlp_dim,
            dropout=dropout, norm_first=True, activation="gelu", epsilon=1e-6,
            name=f"encoder_layer_{i}")
    return keras.layers.LayerNormalization(epsilon=1e-6, name="encoder_norm")(x)


def pool_tokens(x, pooling, num_tokens):
    """``include_top=False`` outputs: the sequence (None), or the mean / max of patch tokens."""
    if pooling is None:
        return x
    patches = x[:, num_tokens:]
    if pooling == "avg":
        return keras.layers.GlobalAveragePooling1D(name="avg_pool")(patches)
    return keras.layers.GlobalMaxPooling1D(name="max_pool")(patches)


def VisionTransformer(
    patch_size=16,
    hidden_dim=768,
    num_layers=12,
    num_heads=12,
    mlp_dim=3072,
    dropout=0.0,
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="vit",
):
    """The Vision Transformer, ViT-B/16 by default (Dosovitskiy et al. 2021).

    Args:
        patch_size: the patch side P (16 for "/16").
        hidden_dim: the token width D.
        num_layers: the number of encoder layers L.
        num_heads: attention heads per layer (D must be divisible by it).
        mlp_dim: the MLP's hidden width.
        dropout: dropout after the embedding, the attention and each MLP layer (0.1 in the
            paper's ImageNet-21k pre-training, 0 for fine-tuning).
        include_top, weights, input_tensor, input_shape, pooling, classes,
            classifier_activation: as in keras.applications. The head is a Dense layer on the
            class token; with ``include_top=False``, ``pooling=None`` returns the normalised
            token sequence ``[B, 1 + N, D]`` and "avg"/"max" pool the patch tokens. Weights
            saved at another image size load with the position embedding resampled.
        name: the model's name.

    Example:
        >>> model = VisionTransformer(input_shape=(32, 32, 1), patch_size=4, hidden_dim=32,
        ...                           num_layers=2, num_heads=2, mlp_dim=64, classes=10)
    """
    check_sizes(name, hidden_dim, num_heads, num_layers, mlp_dim, patch_size)
    shape = common.validate_args(
        name=name, weights=weights, input_shape=input_shape, default_shape=(224, 224, 3),
        include_top=include_top, pooling=pooling, classes=classes, min_size=patch_size)
    check_patches(name, shape, patch_size)
    inputs = common.image_input(input_tensor, shape)
    x = vit_encoder(inputs, patch_size=patch_size, hidden_dim=hidden_dim, num_layers=num_layers,
                    num_heads=num_heads, mlp_dim=mlp_dim, dropout=dropout)
    if include_top:
        x = keras.layers.Dense(classes, activation=classifier_activation,
                               name="predictions")(x[:, 0])
    else:
        x = pool_tokens(x, pooling, num_tokens=1)
    return common.finish(inputs, x, name=name, weights=weights, input_tensor=input_tensor)


def _variant(size, patch_size, model_name):
    num_layers, hidden_dim, mlp_dim, num_heads = SIZES[size]

    def builder(**kwargs):
        config = dict(patch_size=patch_size, hidden_dim=hidden_dim, num_layers=num_layers,
                      num_heads=num_heads, mlp_dim=mlp_dim, name=model_name)
        config.update(kwargs)
        return VisionTransformer(**config)

    builder.__name__ = builder.__qualname__ = f"ViT{size}{patch_size}"
    builder.__doc__ = (f"ViT-{size}/{patch_size} ({PAPER}): {num_layers} layers, width "
                       f"{hidden_dim}, MLP {mlp_dim}, {num_heads} heads, {patch_size}x"
                       f"{patch_size} patches. Keyword arguments override any of "
                       "``VisionTransformer``'s.")
    return builder


ViTB16 = _variant("B", 16, "vit_b16")
ViTB32 = _variant("B", 32, "vit_b32")
ViTL16 = _variant("L", 16, "vit_l16")
ViTL32 = _variant("L", 32, "vit_l32")
ViTH14 = _variant("H", 14, "vit_h14")

#: A 1-layer, width-32 ViT on 32x32 digits with 4x4 patches (64 patches + class token); the
#: "/32" entry keeps its coarser patches (8x8 on 32x32). (7x7 patches on 28x28, 16 patches,
#: passed everything but the int8 check's 0.9 top-1 agreement, at 0.8: too few tokens.) One
#: encoder layer runs every layer type; a second repeated it (the battery's cost goes with the
#: graph's ops).
TINY = dict(input_shape=(32, 32, 1), patch_size=4, hidden_dim=32, num_layers=1, num_heads=2,
            mlp_dim=64, classes=10)
TINY_PATCHES = {"vit_b16": {}, "vit_b32": dict(patch_size=8),
                "vit_l16": {}, "vit_l32": dict(patch_size=8), "vit_h14": {}}

# Canonical counts at 224x224 (H/14 also at 224, the paper's Table 1 size), 1000 classes.
for _name, _builder, _params in (("vit_b16", ViTB16, 86_567_656),
                                 ("vit_b32", ViTB32, 88_224_232),
                                 ("vit_l16", ViTL16, 304_326_632),
                                 ("vit_l32", ViTL32, 306_535_400),
                                 ("vit_h14", ViTH14, 632_045_800)):
    register(
        _name,
        task="classification",
        family="vit",
        tiny={**TINY, **TINY_PATCHES[_name]},
        canonical=dict(input_shape=(224, 224, 3), classes=1000),
        paper=PAPER,
        params=_params,
        notes="Pre-norm encoder, exact GELU, class-token head. Weights from another image size "
              "load with the position embedding resampled bicubically.",
    )(_builder)

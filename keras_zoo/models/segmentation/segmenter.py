"""Segmenter (Strudel, Garcia, Laptev & Schmid, "Segmenter: Transformer for Semantic
Segmentation", ICCV 2021, section 3): a ViT encoder over P x P patches and one of two decoders.

- Linear (section 3.2, "Linear decoder"): a point-wise linear layer maps each patch encoding to
  K class logits; the patch-level map ``(H/P) x (W/P) x K`` is upsampled bilinearly to the
  image.
- Mask transformer (section 3.2, "Mask Transformer"): K learnable class embeddings join the
  (projected) patch encodings in M transformer layers; the masks are the scalar products of the
  L2-normalised patch and class embeddings, ``(N x D) (D x K)``, layer-normalised over the
  classes, reshaped to the patch grid and upsampled bilinearly; a softmax over the classes (in
  the loss and the serving graph) gives the segmentation.

The encoder is the zoo's ViT (``keras_zoo.models.classification.vit.vit_encoder``); its class
token is dropped before the decoder. Segmenter-B/16 is ViT-B/16 (table 1: 86M parameters).

Pretrained encoder: ``weights="keras_hub:vit_base_patch16_384_imagenet"`` (any keras-hub ViT
preset, ``keras_zoo.weights``) loads keras-hub's ViT, the paper's, into the encoder; the model
keeps its image size and the position table is resampled bicubically to its patch grid (the
paper interpolates the pre-trained position embeddings too, section 4.2); the decoder is new.
"""

from __future__ import annotations

import keras

from keras_zoo.blocks.transformer import transformer_encoder_block
from keras_zoo.layers.constant_input import ConstantInput
from keras_zoo.models.classification.vit import check_sizes as check_vit_sizes
from keras_zoo.models.classification.vit import vit_encoder
from keras_zoo.models.registry import register
from keras_zoo.models.segmentation.common import (
    check_choice,
    check_image_shape,
    check_positive_int,
    check_sizes,
    multiple_of,
)

PAPER = ("Strudel, Garcia, Laptev & Schmid, Segmenter: Transformer for Semantic Segmentation, "
         "ICCV 2021")
DECODERS = ("linear", "mask")


def patch_grid(name, shape, patch_size):
    """``(H / P, W / P)``; a size error names the nearest multiples of the patch size."""
    check_sizes(name, shape, multiple_of(patch_size),
                f"a multiple of the patch size {patch_size}")
    return shape[0] // patch_size, shape[1] // patch_size


def patch_map(tokens, grid, name):
    """Patch tokens ``[B, N, D]`` laid out on their grid ``[B, H/P, W/P, D]`` (row-major, the
    order PatchEmbedding reads the patches in)."""
    return keras.layers.Reshape((grid[0], grid[1], tokens.shape[-1]), name=name)(tokens)


def Segmenter(input_shape=(512, 512, 3), classes=150, patch_size=16, hidden_dim=768,
              num_layers=12, num_heads=12, mlp_dim=3072, dropout=0.0, decoder="mask",
              decoder_layers=None, decoder_heads=None, class_embedding_stddev=None, name=None):
    """Segmenter, Seg-B/16 with the mask transformer by default (ADE20K: 512x512, 150 classes).

    Args:
        input_shape: ``(H, W, C)``, sides multiples of ``patch_size`` (a size error names the
            nearest).
        classes: K.
        patch_size, hidden_dim, num_layers, num_heads, mlp_dim, dropout: the ViT encoder's.
        decoder: "linear" or "mask".
        decoder_layers: M, the mask transformer's layers (None: 2, the paper's).
        decoder_heads: its attention heads (default ``num_heads``); its width is the encoder's
            and its MLP ``4 x`` the width.
        class_embedding_stddev: the class embeddings' initial (truncated normal) spread; 0.02
            is the official code's, made for a pre-trained encoder. With an encoder trained
            from scratch, 0.02 leaves the K unit class vectors nearly parallel at
            initialisation (cosines above 0.95: the attention update the class tokens share
            dominates them), every patch gets the same mask and training stalls at the class
            prior; 1.0 keeps them apart. None: 0.02. The three decoder options are the mask
            transformer's: with the linear decoder, setting any of them is an error.
        name: the model's name (default ``segmenter_<decoder>``).
    """
    check_choice("Segmenter", "decoder", decoder, DECODERS)
    name = name or f"segmenter_{decoder}"
    shape = check_image_shape(name, input_shape)
    check_positive_int(name, "classes", classes)
    mask_options = {"decoder_layers": decoder_layers, "decoder_heads": decoder_heads,
                    "class_embedding_stddev": class_embedding_stddev}
    given = sorted(option for option, value in mask_options.items() if value is not None)
    if decoder == "linear" and given:
        raise ValueError(f"{name}: {', '.join(given)} configure the mask transformer's decoder; "
                         "the linear decoder has none (decoder='mask' uses them).")
    decoder_layers = 2 if decoder_layers is None else decoder_layers
    class_embedding_stddev = 0.02 if class_embedding_stddev is None else class_embedding_stddev
    check_positive_int(name, "decoder_layers", decoder_layers)
    if isinstance(class_embedding_stddev, bool) or not isinstance(
            class_embedding_stddev, (int, float)) or not class_embedding_stddev > 0:
        raise ValueError(f"{name}: class_embedding_stddev must be a positive number, got "
                         f"{class_embedding_stddev!r}.")
    check_vit_sizes(name, hidden_dim, num_heads, num_layers, mlp_dim, patch_size)
    grid = patch_grid(name, shape, patch_size)
    decoder_heads = decoder_heads or num_heads
    check_vit_sizes(name, hidden_dim, decoder_heads, decoder_layers, 4 * hidden_dim, patch_size)

    inputs = keras.Input(shape, name="images")
    tokens = vit_encoder(inputs, patch_size=patch_size, hidden_dim=hidden_dim,
                         num_layers=num_layers, num_heads=num_heads, mlp_dim=mlp_dim,
                         dropout=dropout)
    patches = tokens[:, 1:]
    if decoder == "linear":
        logits = keras.layers.Dense(classes, name="decoder_linear")(patches)
    else:
        x = keras.layers.Dense(hidden_dim, name="decoder_projection")(patches)
        class_embeddings = ConstantInput(
            (classes, hidden_dim),
            initializer=keras.initializers.TruncatedNormal(stddev=class_embedding_stddev),
            name="class_embeddings")(x)
        x = keras.layers.Concatenate(axis=1, name="decoder_tokens")([x, class_embeddings])
        for i in range(decoder_layers):
            x = transformer_encoder_block(
                x, num_heads=decoder_heads, key_dim=hidden_dim // decoder_heads,
                mlp_dim=4 * hidden_dim, dropout=dropout, norm_first=True, activation="gelu",
                epsilon=1e-6, name=f"decoder_layer_{i}")
        x = keras.layers.LayerNormalization(epsilon=1e-6, name="decoder_norm")(x)
        n = grid[0] * grid[1]
        patch_embeddings = keras.layers.Dense(hidden_dim, use_bias=False,
                                              name="patch_projection")(x[:, :n])
        class_embeddings = keras.layers.Dense(hidden_dim, use_bias=False,
                                              name="class_projection")(x[:, n:])
        patch_embeddings = keras.layers.UnitNormalization(name="patch_l2")(patch_embeddings)
        class_embeddings = keras.layers.UnitNormalization(name="class_l2")(class_embeddings)
        # The patch-class product: one mask score per patch and class, [B, N, K].
        masks = keras.layers.Dot(axes=(2, 2), name="masks")([patch_embeddings,
                                                              class_embeddings])
        logits = keras.layers.LayerNormalization(epsilon=1e-5, name="mask_norm")(masks)
    x = patch_map(logits, grid, "patch_logits")
    x = keras.layers.UpSampling2D(patch_size, interpolation="bilinear", name="upsample")(x)
    logits = keras.layers.Activation("linear", name="logits")(x)
    return keras.Model(inputs, logits, name=name)


def SegmenterLinear(**kwargs):
    """Segmenter with the linear decoder; ``Segmenter``'s arguments."""
    return Segmenter(**{"decoder": "linear", **kwargs})


def SegmenterMask(**kwargs):
    """Segmenter with the mask transformer decoder; ``Segmenter``'s arguments."""
    return Segmenter(**{"decoder": "mask", **kwargs})


#: A 1-layer, width-32 ViT with 4x4 patches on 32x32 shapes (an 8x8 patch grid): one encoder
#: layer runs every layer type (the recipes widen and deepen it: training/recipes/segmentation).
TINY = dict(input_shape=(32, 32, 3), classes=4, patch_size=4, hidden_dim=32, num_layers=1,
            num_heads=2, mlp_dim=64)
CANONICAL = dict(input_shape=(512, 512, 3), classes=150)

register("segmenter_linear", task="segmentation", family="segmenter", tiny=TINY,
         canonical=CANONICAL, data="shapes", recipe="segmentation_segmenter", paper=PAPER,
         params=86_549_910,
         notes="Seg-B/16, linear decoder (ADE20K size: 512x512, 150 classes).")(SegmenterLinear)
register("segmenter_mask", task="segmentation", family="segmenter",
         tiny={**TINY, "decoder_layers": 1}, canonical=CANONICAL, data="shapes",
         recipe="segmentation_segmenter_mask", paper=PAPER, params=102_497_580,
         notes="Seg-B/16, mask transformer decoder with 2 layers.")(SegmenterMask)

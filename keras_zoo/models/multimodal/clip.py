"""CLIP (Radford et al., Learning Transferable Visual Models From Natural Language Supervision,
ICML 2021).

An image encoder and a text encoder map a batch of N (image, text) pairs to embeddings of one
width; their cosine similarities, scaled by a learned temperature (``CosineSimilarityLogits``),
form an ``[N, N]`` matrix whose diagonal holds the pairs, trained by the symmetric cross-entropy
(Figure 3; ``keras_zoo.losses.multimodal``). Zero-shot classification embeds one prompt per class
name ("a photo of a {name}" in the paper) and picks the class whose text embedding is closest to
the image's (section 3.1.2).

Image encoder (section 2.4): the ViT with an extra LayerNorm before the encoder ("ln_pre"), the
class token after a final LayerNorm, and a linear projection without bias. Text encoder: a
Transformer over word tokens with learned positions, a final LayerNorm and a linear projection
without bias. Departures, stated: the text is tokenised into words in the graph (a
``TextVectorization`` over a given vocabulary, not CLIP's 49,152-token byte-pair encoding), the
text Transformer attends to all non-padding tokens (CLIP masks it causally) and pools their mean
(CLIP reads the [EOS] token), the MLPs use exact GELU (CLIP: x sigmoid(1.702 x)), and the patch
projection has a bias (768 parameters for ViT-B/32).

Every departure is a switch, so the zoo's CLIP can be the released model (and load keras-hub's
``CLIPBackbone`` weights, ``keras_zoo.weights.keras_hub``): ``text_input="token_ids"`` (CLIP's
byte-pair token ids ``[B, sequence_length]`` in, ``vocabulary_size`` rows of token embeddings;
the tokenizer, ``keras_hub.models.CLIPTokenizer``, needs the preset's vocabulary and merges, a
download of their own), ``causal=True`` (each token attends to itself and those before it),
``text_pooling="eos"`` (the token at the largest id, CLIP's [EOS], as its ``text.argmax(-1)``),
``activation="quick_gelu"`` and ``patch_bias=False``. keras-hub's text tower ends with a
LayerNorm of epsilon 1e-6 where OpenAI's (PyTorch's default) has 1e-5: ``text_norm_epsilon``.
OpenCLIP's LAION models (ViT-H/14, g/14, bigG/14) use the exact GELU (``activation="gelu"``)
and, for g/14 and bigG/14, MLPs narrower than 4x the width (``vision_mlp_dim`` 6144 and 8192).
MetaCLIP 2 (Chuang et al., Meta CLIP 2: A Worldwide Scaling Recipe, 2025) is this network with
a multilingual vocabulary whose [EOS] is not the largest id: ``eos_token_id=2`` pools at the
first token of that id (keras-hub's ``MetaCLIP2Backbone``, whose text LayerNorm keeps 1e-5).
"""

from __future__ import annotations

import keras

from keras_zoo.blocks.transformer import transformer_encoder_block
from keras_zoo.data import text as text_data
from keras_zoo.layers.cosine_similarity_logits import CosineSimilarityLogits
from keras_zoo.layers.patch_embedding import PatchEmbedding
from keras_zoo.layers.position_encoding import LearnedPositionEmbedding
from keras_zoo.models.multimodal.ast import check_positive
from keras_zoo.models.registry import register

PAPER = ("Radford et al., Learning Transferable Visual Models From Natural Language Supervision, "
         "ICML 2021")


@keras.saving.register_keras_serializable(package="keras_zoo")
def quick_gelu(x):
    """``x * sigmoid(1.702 x)``: the GELU approximation of OpenAI's released CLIP (its
    ``QuickGELU``; Hendrycks & Gimpel 2016, section 2) and of keras-hub's ``CLIPBackbone``."""
    return x * keras.ops.sigmoid(1.702 * x)


#: ``activation`` values of the CLIP builders: the exact GELU or CLIP's sigmoid form.
ACTIVATIONS = {"gelu": "gelu", "quick_gelu": quick_gelu}
TEXT_INPUTS = ("words", "token_ids")


def _check_choice(owner, arg, value, choices):
    if value not in choices:
        raise ValueError(f"{owner}: {arg} must be one of {list(choices)}, got {value!r}.")


def encoder_stack(x, *, layers, width, heads, mlp_dim, attention_mask=None, prefix,
                  activation="gelu", final_epsilon=1e-5):
    """``layers`` pre-norm Transformer encoder layers and a final LayerNorm (epsilon
    ``final_epsilon``); ``activation`` a key of ``ACTIVATIONS``."""
    _check_choice(prefix + "encoder", "activation", activation, ACTIVATIONS)
    for i in range(layers):
        x = transformer_encoder_block(x, num_heads=heads, key_dim=width // heads,
                                      mlp_dim=mlp_dim, norm_first=True,
                                      activation=ACTIVATIONS[activation],
                                      attention_mask=attention_mask, epsilon=1e-5,
                                      name=f"{prefix}layer_{i}")
    return keras.layers.LayerNormalization(epsilon=final_epsilon, name=f"{prefix}final_norm")(x)


def _causal(mask_like):
    """``[B, T, T]`` True where query i may attend key j <= i (``mask_like``: ``[B, T]``)."""
    length = mask_like.shape[1]
    lower = keras.ops.cast(keras.ops.tril(keras.ops.ones((length, length))), "bool")
    rows = keras.ops.cast(keras.ops.ones_like(mask_like), "bool")[:, :, None]
    return keras.ops.logical_and(rows, lower[None])


def text_encoder(vocabulary, *, sequence_length, width, layers, heads, embed_dim,
                 pooling="mean", projection="text_projection", projection_bias=False,
                 name="text_encoder", text_input="words", vocabulary_size=None, causal=False,
                 activation="gelu", final_epsilon=1e-5, mlp_dim=None, eos_token_id=None):
    """Caption strings ``[B]`` (or token ids ``[B, sequence_length]``) -> text embeddings
    ``[B, embed_dim]`` (a ``keras.Model``).

    With ``text_input="words"`` the strings are lower-cased, stripped of punctuation and split
    on whitespace in the graph (``keras_zoo.data.text.vectorizer``: id 0 padding, 1
    out-of-vocabulary); tokens beyond ``sequence_length`` are dropped, and no token attends to
    padding. With ``"token_ids"`` the input is int32 ids of a ``vocabulary_size``-token
    vocabulary (CLIP's byte-pair encoding) and every position is a token, as in CLIP (its
    padding comes after [EOS], which a causal mask keeps out of [EOS]'s output). The outputs are
    pooled by their ``"mean"`` (the zoo's CLIP) or ``"sum"`` (VATT) over the words, padding
    excluded (an empty caption gives zeros, not NaN), or read at the ``"eos"`` token (CLIP:
    the position of the largest id, token ids only), then projected by a Dense layer named
    ``projection``. ``causal``: CLIP's causal self-attention mask. ``activation``,
    ``final_epsilon``: the MLPs' GELU form and the final LayerNorm's epsilon. ``mlp_dim``: the
    MLPs' width (4 x ``width`` by default). ``eos_token_id``: ``"eos"`` pooling reads the
    first token of this id (MetaCLIP 2: 2) instead of the largest id. Other args as in
    ``CLIP``.
    """
    _check_choice(name, "pooling", pooling, ("mean", "sum", "eos"))
    _check_choice(name, "text_input", text_input, TEXT_INPUTS)
    check_positive(name, sequence_length=sequence_length, width=width, heads=heads,
                   embed_dim=embed_dim)
    if not isinstance(layers, int) or isinstance(layers, bool) or layers < 0:
        # 0 layers: a bag of words (embeddings, positions, LayerNorm, pooling).
        raise ValueError(f"{name}: layers must be an int >= 0, got {layers!r}.")
    if text_input == "words":
        if vocabulary_size is not None:
            raise ValueError(f"{name}: vocabulary_size={vocabulary_size!r} is for "
                             "text_input='token_ids'; words take their vocabulary's size.")
        if pooling == "eos":
            raise ValueError(f"{name}: pooling='eos' reads CLIP's [EOS] token id, so it needs "
                             "text_input='token_ids'; words pool by 'mean' or 'sum'.")
        vocabulary = list(vocabulary)
        strings = keras.Input((), dtype="string", name="text")
        ids = text_data.vectorizer(vocabulary, level="word",
                                   sequence_length=sequence_length)(strings)
        rows, inputs = len(vocabulary), strings
    else:
        if vocabulary is not None:
            raise ValueError(f"{name}: a word vocabulary is for text_input='words'; token ids "
                             "take vocabulary_size.")
        check_positive(name, vocabulary_size=vocabulary_size)
        ids = inputs = keras.Input((sequence_length,), dtype="int32", name="text")
        rows = vocabulary_size
    x = keras.layers.Embedding(rows, width, name="token_embedding")(ids)
    x = keras.layers.Add(name="add_positions")(
        [x, LearnedPositionEmbedding(sequence_length, name="position_embedding")(x)])
    if text_input == "words":
        valid = keras.ops.cast(keras.ops.not_equal(ids, 0), "float32")
        # Every token attends to the caption's words, never to padding.
        mask = keras.ops.cast(valid[:, None, :] * keras.ops.ones_like(valid)[:, :, None], "bool")
        if causal:
            mask = keras.ops.logical_and(mask, _causal(valid))
    else:
        valid = keras.ops.ones_like(keras.ops.cast(ids, "float32"))
        mask = _causal(valid) if causal else None
    if eos_token_id is not None and pooling != "eos":
        raise ValueError(f"{name}: eos_token_id={eos_token_id!r} is for pooling='eos'.")
    x = encoder_stack(x, layers=layers, width=width, heads=heads,
                      mlp_dim=_mlp_dim(name, mlp_dim, width), attention_mask=mask,
                      prefix="text_", activation=activation, final_epsilon=final_epsilon)
    if pooling == "eos":
        if eos_token_id is None:
            # CLIP: x[arange(B), text.argmax(-1)], [EOS] being the vocabulary's largest id.
            eos = keras.ops.argmax(ids, axis=-1)
        else:
            # MetaCLIP 2: the first token equal to [EOS] (position 0 if there is none).
            eos = keras.ops.argmax(keras.ops.cast(keras.ops.equal(ids, int(eos_token_id)),
                                                  "int32"), axis=-1)
        pooled = keras.ops.take_along_axis(x, eos[:, None, None], axis=1)[:, 0]
    else:
        weights = valid[:, :, None]
        if pooling == "mean":
            weights = weights / keras.ops.maximum(
                keras.ops.sum(valid, axis=1, keepdims=True)[:, :, None], 1.0)
        pooled = keras.ops.sum(x * weights, axis=1)
    outputs = keras.layers.Dense(embed_dim, use_bias=projection_bias, name=projection)(pooled)
    return keras.Model(inputs, outputs, name=name)


def vision_transformer_encoder(input_shape, *, patch_size, width, layers, heads, embed_dim,
                               name="image_encoder", activation="gelu", patch_bias=True,
                               mlp_dim=None):
    """uint8-range float images ``[B, H, W, C]`` (scaled to [0, 1] by the caller) -> image
    embeddings ``[B, embed_dim]``: CLIP's ViT (section 2.4). ``activation``: the MLPs' GELU
    form (a key of ``ACTIVATIONS``); ``patch_bias``: a bias in the patch projection (the
    released CLIP has none); ``mlp_dim``: the MLPs' width (4 x ``width`` by default)."""
    check_positive(name, patch_size=patch_size, width=width, layers=layers, heads=heads,
                   embed_dim=embed_dim)
    images = keras.Input(input_shape, name="images")
    x = PatchEmbedding(patch_size, width, use_bias=bool(patch_bias),
                       name="patch_embedding")(images)
    # "We make the minor modification of adding an additional layer normalization to the
    # combined patch and position embeddings before the transformer" (section 2.4).
    x = keras.layers.LayerNormalization(epsilon=1e-5, name="pre_norm")(x)
    x = encoder_stack(x, layers=layers, width=width, heads=heads,
                      mlp_dim=_mlp_dim(name, mlp_dim, width), prefix="vision_",
                      activation=activation)
    outputs = keras.layers.Dense(embed_dim, use_bias=False, name="image_projection")(x[:, 0])
    return keras.Model(images, outputs, name=name)


def _mlp_dim(owner, mlp_dim, width):
    """The MLPs' width: 4 x ``width`` (CLIP's) when ``mlp_dim`` is None."""
    if mlp_dim is None:
        return 4 * width
    check_positive(owner, mlp_dim=mlp_dim)
    return int(mlp_dim)


def _conv_bn(x, filters, kernel, name, relu=True):
    x = keras.layers.Conv2D(filters, kernel, padding="same", use_bias=False,
                            name=f"{name}_conv")(x)
    x = keras.layers.BatchNormalization(epsilon=1e-5, name=f"{name}_bn")(x)
    return keras.layers.ReLU(name=f"{name}_relu")(x) if relu else x


def _anti_aliased_bottleneck(x, planes, stride, name):
    """CLIP's bottleneck (section 2.4, "antialiased rect-2 blur pooling"): a stride becomes a
    2x2 average pooling after the 3x3 convolution (and before the shortcut's 1x1)."""
    shortcut = x
    y = _conv_bn(x, planes, 1, f"{name}_1")
    y = _conv_bn(y, planes, 3, f"{name}_2")
    if stride > 1:
        y = keras.layers.AveragePooling2D(stride, name=f"{name}_pool")(y)
    y = _conv_bn(y, 4 * planes, 1, f"{name}_3", relu=False)
    if stride > 1 or x.shape[-1] != 4 * planes:
        if stride > 1:
            shortcut = keras.layers.AveragePooling2D(stride, name=f"{name}_shortcut_pool")(
                shortcut)
        shortcut = _conv_bn(shortcut, 4 * planes, 1, f"{name}_shortcut", relu=False)
    y = keras.layers.Add(name=f"{name}_add")([y, shortcut])
    return keras.layers.ReLU(name=f"{name}_out")(y)


def resnet_encoder(input_shape, *, layers, width, heads, embed_dim, name="image_encoder"):
    """uint8-range float images (scaled to [0, 1] by the caller) -> image embeddings: CLIP's
    modified ResNet (section 2.4): a stem of three 3x3 convolutions (the first strided) and a
    2x2 average pooling, bottleneck stages with anti-aliased strides (the first stage keeps the
    resolution, each next one halves it), and attention pooling in place of global average
    pooling: one multi-head attention whose query is the mean of the final map, over the map's
    positions and that mean with a learned position embedding, projected to ``embed_dim``.

    Args: ``layers`` bottleneck blocks per stage (RN50: 3, 4, 6, 3); ``width`` the stem's and
    first stage's width (64; stage i has ``width * 2**i`` planes, 4x that out); ``heads`` of the
    attention pooling (RN50: 32).
    """
    layers = tuple(layers)
    check_positive(name, width=width, heads=heads, embed_dim=embed_dim,
                   **{f"layers[{i}]": n for i, n in enumerate(layers)})
    if not layers or width % 2:
        raise ValueError(f"{name}: needs at least one stage and an even width, got layers="
                         f"{layers}, width={width}.")
    reduction = 4 * 2 ** (len(layers) - 1)
    if input_shape[0] % reduction or input_shape[1] % reduction:
        raise ValueError(f"{name}: {len(layers)} stages reduce the image {reduction}x; "
                         f"{tuple(input_shape[:2])} is not a multiple of {reduction}.")
    channels = width * 2 ** (len(layers) - 1) * 4
    if channels % heads:
        raise ValueError(f"{name}: the final map's {channels} channels are not divisible by "
                         f"heads={heads}.")
    images = keras.Input(input_shape, name="images")
    # Padding 1 on every side, as the released model's (TF's "same" pads 0 before, 1 after).
    x = keras.layers.ZeroPadding2D(1, name="stem_1_padding")(images)
    x = keras.layers.Conv2D(width // 2, 3, strides=2, use_bias=False, name="stem_1_conv")(x)
    x = keras.layers.BatchNormalization(epsilon=1e-5, name="stem_1_bn")(x)
    x = keras.layers.ReLU(name="stem_1_relu")(x)
    x = _conv_bn(x, width // 2, 3, "stem_2")
    x = _conv_bn(x, width, 3, "stem_3")
    x = keras.layers.AveragePooling2D(2, name="stem_pool")(x)
    for stage, blocks in enumerate(layers):
        for block in range(blocks):
            stride = 2 if stage > 0 and block == 0 else 1
            x = _anti_aliased_bottleneck(x, width * 2 ** stage, stride,
                                         f"stage{stage + 1}_block{block + 1}")
    x = keras.layers.Reshape((-1, channels), name="positions")(x)
    x = keras.layers.Concatenate(axis=1, name="mean_and_positions")(
        [keras.ops.mean(x, axis=1, keepdims=True), x])
    x = keras.layers.Add(name="add_pool_positions")(
        [x, LearnedPositionEmbedding(x.shape[1], name="pool_position_embedding")(x)])
    pooled = keras.layers.MultiHeadAttention(heads, channels // heads, output_shape=embed_dim,
                                             name="attention_pool")(x[:, :1], x)
    outputs = keras.layers.Reshape((embed_dim,), name="image_embedding")(pooled)
    return keras.Model(images, outputs, name=name)


def contrastive_model(encoders, name):
    """``{input name: encoder}`` (two encoders) -> a model of both inputs returning the pair
    logits ``[N, N]`` (rows: the first encoder's batch)."""
    (first, a), (second, b) = encoders.items()
    inputs = {first: keras.Input(a.input_shape[1:], dtype=a.inputs[0].dtype, name=first),
              second: keras.Input(b.input_shape[1:], dtype=b.inputs[0].dtype, name=second)}
    logits = CosineSimilarityLogits(name="logits")([a(inputs[first]), b(inputs[second])])
    return keras.Model(inputs, logits, name=name)


def CLIP(
    input_shape=(224, 224, 3),
    patch_size=32,
    vision_width=768,
    vision_layers=12,
    vision_heads=12,
    vocabulary=None,
    sequence_length=77,
    text_width=512,
    text_layers=12,
    text_heads=8,
    embed_dim=512,
    text_input="words",
    vocabulary_size=None,
    causal=False,
    text_pooling="mean",
    activation="gelu",
    patch_bias=True,
    text_norm_epsilon=1e-5,
    vision_mlp_dim=None,
    text_mlp_dim=None,
    eos_token_id=None,
    name="clip",
):
    """CLIP with a ViT image encoder, ViT-B/32 by default (Radford et al. 2021, Table 20).

    Inputs ``{"images": float [B, H, W, C] in [0, 1], "text": string [B]}`` (or int32 token
    ids ``[B, sequence_length]``); output the pair logits ``[B, B]`` (the layer ``"logits"``).
    The encoders are the nested models ``"image_encoder"`` and ``"text_encoder"``.

    The released CLIP (and keras-hub's ``CLIPBackbone``, whose weights load with
    ``weights="keras_hub:clip_vit_base_patch32"``) is ``text_input="token_ids",
    vocabulary_size=49408, causal=True, text_pooling="eos", activation="quick_gelu",
    patch_bias=False`` (keras-hub also ``text_norm_epsilon=1e-6``); the defaults are the zoo's
    word-level CLIP that serves raw strings (see the module docstring).

    Args:
        input_shape: the image size (224 x 224 x 3).
        patch_size, vision_width, vision_layers, vision_heads: the ViT (B/32: 32, 768, 12, 12).
        vocabulary: the word vocabulary, starting with ``["", "[UNK]"]`` (default: the shapes
            captions' words, ``keras_zoo.data.captions.VOCABULARY``); words only.
        sequence_length: tokens per caption (77).
        text_width, text_layers, text_heads: the text Transformer (512, 12, 8); 0 layers
            make a bag of words.
        embed_dim: the joint embedding width (512).
        text_input: ``"words"`` (raw strings, tokenised in the graph) or ``"token_ids"``.
        vocabulary_size: the token-id vocabulary (CLIP's BPE: 49,408); token ids only.
        causal: CLIP's causal attention mask in the text Transformer.
        text_pooling: ``"mean"`` over the words or CLIP's ``"eos"`` token (token ids only).
        activation: the MLPs' ``"gelu"`` (exact) or CLIP's ``"quick_gelu"``.
        patch_bias: a bias in the patch projection (the released CLIP has none).
        text_norm_epsilon: the text tower's final LayerNorm epsilon (1e-5; keras-hub 1e-6).
        vision_mlp_dim, text_mlp_dim: the towers' MLP widths (None: 4 x the width, CLIP's;
            OpenCLIP's g/14 and bigG/14 image towers: 6144 and 8192).
        eos_token_id: with ``text_pooling="eos"``, read the first token of this id (MetaCLIP
            2's multilingual vocabulary: 2) instead of the largest id (CLIP's [EOS]).
        name: the model's name.
    """
    _check_choice(name, "text_input", text_input, TEXT_INPUTS)
    if vocabulary is None and text_input == "words":
        from keras_zoo.data import captions

        vocabulary = captions.VOCABULARY
    image = vision_transformer_encoder(input_shape, patch_size=patch_size, width=vision_width,
                                       layers=vision_layers, heads=vision_heads,
                                       embed_dim=embed_dim, activation=activation,
                                       patch_bias=patch_bias, mlp_dim=vision_mlp_dim)
    text = text_encoder(vocabulary, sequence_length=sequence_length, width=text_width,
                        layers=text_layers, heads=text_heads, embed_dim=embed_dim,
                        pooling=text_pooling, text_input=text_input,
                        vocabulary_size=vocabulary_size, causal=bool(causal),
                        activation=activation, final_epsilon=float(text_norm_epsilon),
                        mlp_dim=text_mlp_dim, eos_token_id=eos_token_id)
    return contrastive_model({"images": image, "text": text}, name)


def CLIPResNet(
    input_shape=(224, 224, 3),
    vision_layers=(3, 4, 6, 3),
    vision_width=64,
    vision_heads=32,
    vocabulary=None,
    sequence_length=77,
    text_width=512,
    text_layers=12,
    text_heads=8,
    embed_dim=1024,
    name="clip_rn50",
):
    """CLIP with the modified ResNet image encoder (``resnet_encoder``), RN50 by default
    (Radford et al. 2021, section 2.4 and Table 19: embedding 1024, text 512 wide, 12 layers,
    8 heads). Inputs, output and text encoder as ``CLIP``'s.

    Args:
        input_shape: the image size (224 x 224 x 3).
        vision_layers, vision_width, vision_heads: the ResNet's blocks per stage, base width and
            attention-pooling heads (RN50: (3, 4, 6, 3), 64, 32).
        vocabulary, sequence_length, text_width, text_layers, text_heads: as ``CLIP``'s.
        embed_dim: the joint embedding width (RN50: 1024).
        name: the model's name.
    """
    if vocabulary is None:
        from keras_zoo.data import captions

        vocabulary = captions.VOCABULARY
    image = resnet_encoder(input_shape, layers=vision_layers, width=vision_width,
                           heads=vision_heads, embed_dim=embed_dim)
    text = text_encoder(vocabulary, sequence_length=sequence_length, width=text_width,
                        layers=text_layers, heads=text_heads, embed_dim=embed_dim)
    return contrastive_model({"images": image, "text": text}, name)


def transformer_parameters(layers, width, mlp_dim=None):
    mlp_dim = mlp_dim or 4 * width
    return layers * (4 * (width * width + width) + 4 * width + 2 * mlp_dim * width + mlp_dim
                     + width)


def clip_vit_parameters(image_size=224, patch_size=32, vision_width=768, vision_layers=12,
                        vocabulary_size=49408, sequence_length=77, text_width=512,
                        text_layers=12, embed_dim=512, channels=3, patch_bias=True,
                        vision_mlp_dim=None, text_mlp_dim=None):
    """CLIP ViT's parameter count by formula: image tower, text tower, the temperature."""
    patches = (image_size // patch_size) ** 2
    vision = (patch_size * patch_size * channels * vision_width + vision_width * patch_bias
              + vision_width + (patches + 1) * vision_width + 2 * vision_width
              + transformer_parameters(vision_layers, vision_width, vision_mlp_dim)
              + 2 * vision_width
              + vision_width * embed_dim)
    text = (vocabulary_size * text_width + sequence_length * text_width
            + transformer_parameters(text_layers, text_width, text_mlp_dim) + 2 * text_width
            + text_width * embed_dim)
    return vision + text + 1


#: The released ViT-B/32 model (openai/CLIP): 151,277,313 parameters; ours adds the patch
#: projection's bias (768).
VIT_B32_PARAMS = 151_277_313

TINY = dict(input_shape=(16, 16, 3), patch_size=8, vision_width=16, vision_layers=1,
            vision_heads=2, sequence_length=8, text_width=16, text_layers=1, text_heads=2,
            embed_dim=16)

register(
    "clip_vit_b32",
    task="multimodal_retrieval",
    family="multimodal",
    tiny=TINY,
    canonical=dict(),
    data="shapes_captions",
    recipe="clip_vit_shapes_captions",
    paper=PAPER,
    params=clip_vit_parameters(),
    notes="Serves image embeddings (TFLite), text embeddings from raw strings and zero-shot "
          "classify(images, class_names). Word-level tokeniser in the graph; the canonical count "
          "is by formula with CLIP's 49,408-token vocabulary. weights='keras_hub:<clip preset>' "
          "builds the released layout (BPE token ids in, causal text, [EOS] pooling, "
          "quick_gelu) with keras-hub's CLIP weights.",
)(CLIP)


def clip_resnet_parameters(image_size=224, vision_layers=(3, 4, 6, 3), vision_width=64,
                           vocabulary_size=49408, sequence_length=77, text_width=512,
                           text_layers=12, embed_dim=1024, trainable=True):
    """CLIP ResNet's parameter count by formula; ``trainable=False`` adds BatchNorm's moving
    statistics (Keras counts them, PyTorch's ``parameters()`` does not)."""
    bn = 2 if trainable else 4
    w = vision_width
    vision = (27 * (w // 2) + bn * (w // 2) + 9 * (w // 2) ** 2 + bn * (w // 2)
              + 9 * (w // 2) * w + bn * w)
    inplanes = w
    for stage, blocks in enumerate(vision_layers):
        planes = w * 2 ** stage
        for block in range(blocks):
            vision += (inplanes * planes + 9 * planes * planes + 4 * planes * planes
                       + bn * (planes + planes + 4 * planes))
            if (stage > 0 and block == 0) or inplanes != 4 * planes:
                vision += inplanes * 4 * planes + bn * 4 * planes
            inplanes = 4 * planes
    side = image_size // (4 * 2 ** (len(vision_layers) - 1))
    vision += (side * side + 1) * inplanes + 3 * (inplanes * inplanes + inplanes) + (
        inplanes * embed_dim + embed_dim)
    text = (vocabulary_size * text_width + sequence_length * text_width
            + transformer_parameters(text_layers, text_width) + 2 * text_width
            + text_width * embed_dim)
    return vision + text + 1


#: The released RN50 model (openai/CLIP, ``sum(p.numel() for p in model.parameters())``).
RN50_PARAMS = 102_007_137

register(
    "clip_rn50",
    task="multimodal_retrieval",
    family="multimodal",
    tiny=dict(input_shape=(16, 16, 3), vision_layers=(1,), vision_width=4, vision_heads=2,
              sequence_length=8, text_width=16, text_layers=1, text_heads=2, embed_dim=16),
    canonical=dict(),
    data="shapes_captions",
    recipe="clip_rn_shapes_captions",
    paper=PAPER,
    params=clip_resnet_parameters(trainable=False),
    notes="The modified ResNet-50 image encoder (3-conv stem, anti-aliased strides, attention "
          "pooling). Trainable count by formula with CLIP's 49,408-token vocabulary equals "
          "the released RN50's parameters (BatchNorm statistics aside).",
)(CLIPResNet)

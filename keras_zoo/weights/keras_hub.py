"""keras-hub backbones' weights: ``get(name, weights="keras_hub:<preset>")``.

The backbone comes from ``keras_hub.models.<Backbone>.from_preset(preset)`` (so keras-hub's
Kaggle / Hugging Face caches and ``KAGGLE_*`` settings apply) and its image converter from
``keras_hub.layers.<Converter>.from_preset(preset)``: the converter's ``scale`` and ``offset``
(applied by keras-hub to [0, 255] pixels) become the model's ``ChannelAffine`` preprocessing on
[0, 1] images. The zoo model is built with the backbone's hyper-parameters (read from its
config; a keyword argument given to ``get`` wins, and a conflict fails on the first tensor), and
each of the backbone's variables is mapped to ours by its path, one rule per architecture;
anything unmapped or misshapen raises ``ValueError`` naming it. keras-hub presets carry
backbones, so a classifier head is always new.

Covered (keras-hub 0.32): ViT (``ViTBackbone``), B/16, B/32, L/16, L/32, H/14 presets, by
path rules; keras-hub's ViT is the paper's (pre-norm, LayerNorm epsilon 1e-6, exact GELU, biases in
the attention, a class token, a learned position embedding added after it). ResNet-18/50/101/152
v1 (``ResNetBackbone``: the zoo ResNet with ``stride_at="3x3", use_bias=False,
bn_epsilon=1e-5``) and VGG
11/13/16/19 (``VGGBackbone``), by graph structure, as keras.applications. BERT
(``BertBackbone``, all 36 presets: Google's ``bert_*`` and the BERT-architecture sentence
encoders, MiniLM, BGE, E5, mxbai) into ``bert_classifier`` by path rules, with
``activation="gelu_approximate"``: keras-hub's BERT, like Google's released checkpoints, uses
GELU's tanh approximation where the zoo's default is the exact GELU (7e-5 apart after two
small layers). Swin-T/S/B/L (``SwinTransformerBackbone``) by path rules: keras-hub's Swin is the
paper's, shifted-window masks and relative position index included (equal to the last bit on
random weights). DenseNet-121/169/201 (``DenseNetBackbone``) by graph structure into the zoo
DenseNet with ``stem_padding="same"``: keras-hub's stem convolution (7x7/2) and pooling
(3x3/2) pad with TensorFlow's asymmetric "same" (at 224 px: 2 rows before and 3 after, then 0
and 1) where the paper's Caffe model, torchvision and keras.applications pad 3 and 1 on every
side.
EfficientNet B0-B5 (``EfficientNetBackbone``, timm's weights) by graph structure into the zoo
EfficientNet with ``padding="symmetric"`` (k // 2 on every side of the strided stem and
depthwise convolutions, PyTorch's, where TensorFlow's "same" pads one pixel more after) and
``bn_epsilon=1e-5`` (keras.applications': 1e-3); keras-hub normalises in its image converter,
so the zoo's ``Normalization`` layer stays the identity. The presets' configs come with the
download; each is checked against the layout the zoo builds (MBConv "v1" blocks, a 32-filter
stem, one width and one depth coefficient, symmetric stem padding) and refused naming what
differs. GPT-2 (``GPT2Backbone``, all five ``gpt2_*`` presets) into ``gpt2`` by path rules
(pre-norm, epsilon 1e-5, final LayerNorm, tanh-approximate GELU, tied output projection);
a shorter ``sequence_length`` keeps the first rows of the position table. The model takes
GPT-2's token ids: its byte-level BPE tokenizer (``keras_hub.models.GPT2Tokenizer``) needs
the preset's vocabulary and merges, a download of their own; the weights need none.
CLIP (``CLIPBackbone``, all eight ``clip_*`` presets, OpenAI's and OpenCLIP's) into
``clip_vit_b32`` at the preset's sizes (OpenCLIP's exact GELU and g/14's and bigG/14's
narrower image MLPs, 6144 and 8192, read from the config), walking the backbone's attributes (its variable paths
carry its encoders' names): the zoo's ``CLIP`` with CLIP's token ids, causal text mask, [EOS]
pooling, quick_gelu, no patch bias, and keras-hub's text-final LayerNorm epsilon 1e-6
(OpenAI's is 1e-5); the vision position table is read through keras-hub's ``position_ids``.
The model takes CLIP's BPE token ids (``keras_hub.models.CLIPTokenizer``: its vocabulary and
merges are a download of their own); the image converter's normalisation goes into the nested
``image_encoder``. MetaCLIP 2 (``MetaCLIP2Backbone``, the four ``metaclip_2_*`` presets,
ViT-H/14 and ViT-bigG/14 at 224 and 378) into ``clip_vit_b32`` likewise (``ALSO``), with its
differences from keras-hub's CLIP: [EOS] id 2 read at its first occurrence
(``eos_token_id=2``), text LayerNorm epsilon 1e-5, no ``position_ids`` variable, the image
tower's final LayerNorm in the backbone; XLM-V's tokenizer is a download of its own.
ResNet v2 50/101 (``ResNetBackbone`` with ``use_pre_activation``) by graph structure into the
zoo ResNetV2 with the stride in each stage's first block, no biases, BN epsilon 1e-5 and a
stem pooling that ignores its padding (``_resnet_v2_config``). ViT presets into the ViT
encoders of Segmenter (``segmenter_linear``, ``segmenter_mask``) and DPT (``dpt``,
``dpt_depth``; DPT builds no final LayerNorm, so keras-hub's is left out): the model keeps
its own image size and the position table is resampled bicubically to its grid; the decoder
is new.
Depth Anything V2 small/base/large (``DepthAnythingBackbone``: DINOv2 encoder, DPT decoder
and head) into ``depth_anything`` walking the backbone's paths, everything loaded: LayerScale,
register tokens, the taps through the final LayerNorm when the preset's encoder has
``apply_layernorm``, ``output_activation="relu"`` (keras-hub's relative ``DepthEstimator``:
the backbone, then a ReLU); the model keeps its image size and takes DINOv2's 518-px position
table resampled bicubically to its grid (keras-hub's own interpolation), or the backbone's
interpolated table at the backbone's size. Unused: DINOv2's mask token (masked-image
training) and the first residual unit of the coarsest fusion block (never run).
ResNet-vd 18/34/50/101/152/200 (``ResNetBackbone`` with ``basic_block_vd`` /
``bottleneck_block_vd``, PaddleClas' weights) by graph structure into the zoo ResNet of the
same depth (200: ``resnet200_vd``, PaddleClas' (3, 12, 48, 3)) with Bag of Tricks' tweaks
(``_resnet_vd_config``: ``stem="deep", shortcut="avg_projection", stride_at="3x3"``).
DeiT (``DeiTBackbone``, distilled presets) maps like ViT; its distilled zoo model with the
top is a subclassed model, so its keras-hub weights load with ``include_top=False`` (with the
top: a ValueError saying so, before any download).
Not covered: keras-hub's MobileNet backbone is MobileNet v3 only (the zoo has v1 and v2, no
v3); its EfficientNet lite0, el/em/es and "rw" (v2) presets are other architectures. keras-hub's
``DeiTImageClassifier`` presets carry only the class-token head (its Hugging Face converter
ports ``cls_classifier`` and drops ``distillation_classifier``), so the paper's distilled
inference (the two heads averaged) has no keras-hub weights to load. keras-hub's
``DINOV2Backbone`` presets (DINOv2 alone, ViT-S/B/L, with and without registers) load into
``depth_anything``'s encoder (``ALSO``; Depth Anything starts from DINOv2), its final LayerNorm
included (the taps read through it), by the same path rules and position-table handling; the
decoder is new (V2's of that width). The ``dinov2_giant`` presets (SwiGLU MLP) are refused.
The zoo has no standalone DINOv2 entry: DINOv2's self-distillation training is not
implemented, and its encoder alone is ``depth_anything`` up to the taps.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Callable

import numpy as np

from keras_zoo.weights import structure
from keras_zoo.weights.applications import OFFLINE


@dataclasses.dataclass(frozen=True)
class Source:
    """A keras-hub backbone class, its converter class, the presets of one zoo model, the rule
    mapping the backbone's config to zoo builder arguments, and how variables map: path rules
    (``rules``), or, for flat functional CNNs, the graph structure (``rules=None``, with
    ``new_head`` naming our layers the backbone has no counterpart for). ``positions`` names
    our tensors of absolute position embeddings that may keep only the first rows of theirs
    (a shorter context than the backbone's); ``skip`` our layers (by structure) that the
    backbone has no counterpart for and that stay as built. ``tensors(backbone, model)``,
    instead of path rules, lists ``(their variable, our path or None (unused), value)``
    walking the backbone's own attributes or paths (for a backbone whose paths depend on its
    sub-models' names, or whose values need reshaping or depend on our model's size).
    ``new_tensors``: a pattern of our tensor paths that stay as built (a new head or
    decoder); ``unused``: a pattern of the paths their tensors map to that our model has no
    use for and does not build (DPT reads the ViT's layers before its final LayerNorm);
    ``grids``: our ViT position tables (a class token, then the patch grid) resampled
    bicubically to our patch grid when the backbone was built for another image size
    (``resample_position_embedding``)."""

    backbone: str
    converter: str | None
    presets: tuple
    config: Callable[[dict], dict]
    rules: tuple | None
    new_head: tuple = ("predictions",)
    positions: tuple = ()
    skip: tuple = ()
    tensors: Callable | None = None
    new_tensors: str = r"^predictions/"
    unused: str | None = None
    grids: tuple = ()
    #: Why the zoo model with its top cannot take these weights (they load with
    #: ``include_top=False``), or None.
    top_refused: str | None = None


def _vit_config(hub):
    patch = hub["patch_size"]
    patch = patch[0] if isinstance(patch, (tuple, list)) else patch
    differs = {key: hub[key] for key, paper in (("layer_norm_epsilon", 1e-6),
                                                ("use_mha_bias", True), ("use_mlp_bias", True),
                                                ("use_class_token", True),
                                                ("use_patch_bias", True)) if hub[key] != paper}
    if differs:
        raise NotImplementedError(f"keras-hub's ViT with {differs}: the zoo ViT has the paper's "
                                  "LayerNorm epsilon 1e-6 and biases everywhere.")
    return dict(input_shape=tuple(hub["image_shape"]), patch_size=patch,
                hidden_dim=hub["hidden_dim"], num_layers=hub["num_layers"],
                num_heads=hub["num_heads"], mlp_dim=hub["mlp_dim"])


def _block(match, suffix):
    return f"encoder_layer_{int(match.group(1)) - 1}_{suffix}"


_VIT_RULES = (
    (r"(?:vit|deit)_patching_and_embedding/(class_token|distillation_token)$",
     lambda m: f"patch_embedding/{m.group(1)}"),
    (r"(?:vit|deit)_patching_and_embedding/patch_embedding/(kernel|bias)$",
     lambda m: f"patch_embedding/projection/{m.group(1)}"),
    (r"(?:vit|deit)_patching_and_embedding/position_embedding(?:/embeddings)?$",
     lambda m: "patch_embedding/position_embedding"),
    (r"transformer_block_(\d+)/ln_1/(gamma|beta)$",
     lambda m: f"{_block(m, 'attention_norm')}/{m.group(2)}"),
    (r"transformer_block_(\d+)/mha/(\w+/(?:kernel|bias))$",
     lambda m: f"{_block(m, 'attention')}/{m.group(2)}"),
    (r"transformer_block_(\d+)/ln_2/(gamma|beta)$",
     lambda m: f"{_block(m, 'mlp_norm')}/{m.group(2)}"),
    (r"transformer_block_(\d+)/mlp/(dense_[12])/(kernel|bias)$",
     lambda m: f"{_block(m, 'mlp_' + m.group(2))}/{m.group(3)}"),
    # DeiT names its MLP's two layers differently.
    (r"transformer_block_(\d+)/mlp/dense/(kernel|bias)$",
     lambda m: f"{_block(m, 'mlp_dense_1')}/{m.group(2)}"),
    (r"transformer_block_(\d+)/output_layer/output/(kernel|bias)$",
     lambda m: f"{_block(m, 'mlp_dense_2')}/{m.group(2)}"),
    (r"(?:vit|deit)_encoder/ln/(gamma|beta)$", lambda m: f"encoder_norm/{m.group(1)}"),
)


def _deit_config(hub):
    """keras-hub's DeiT: the paper's (a ViT with a distillation token; LayerNorm epsilon 1e-6,
    biases in the attention)."""
    if hub["layer_norm_epsilon"] != 1e-6 or not hub["use_mha_bias"]:
        raise NotImplementedError(f"keras-hub's DeiT with layer_norm_epsilon="
                                  f"{hub['layer_norm_epsilon']}, use_mha_bias="
                                  f"{hub['use_mha_bias']}: the zoo DeiT has 1e-6 and biases.")
    patch = hub["patch_size"]
    patch = patch[0] if isinstance(patch, (tuple, list)) else patch
    return dict(input_shape=tuple(hub["image_shape"]), patch_size=patch,
                hidden_dim=hub["hidden_dim"], num_layers=hub["num_layers"],
                num_heads=hub["num_heads"], mlp_dim=hub["intermediate_dim"])


def _deit(*presets):
    return Source("DeiTBackbone", "DeiTImageConverter", presets, _deit_config, _VIT_RULES,
                  top_refused="the distilled DeiT with its two heads is a subclassed model and "
                              "keras-hub's DeiTBackbone has no head")


def _vit(*presets):
    return Source("ViTBackbone", "ViTImageConverter", presets, _vit_config, _VIT_RULES)


def _vit_sizes(hub):
    """The ViT preset's encoder sizes, without its image size: a dense-prediction model keeps
    its own (Segmenter 512, DPT 384) and takes the position table resampled to its grid."""
    sizes = _vit_config(hub)
    del sizes["input_shape"]
    return sizes


#: Our tensors outside the ViT encoder: the segmentation decoders and DPT's reassemble,
#: fusion and head layers are new.
_NOT_VIT = r"^(?!patch_embedding/|encoder_layer_\d+_|encoder_norm/)"


def _segmenter(*presets):
    """Segmenter's encoder is ViT (its section 3.1; ImageNet-pretrained, positions interpolated
    to the segmentation resolution, section 4.2), the decoder is new."""
    return Source("ViTBackbone", "ViTImageConverter", presets, _vit_sizes, _VIT_RULES,
                  new_tensors=_NOT_VIT, grids=("patch_embedding/position_embedding",))


#: (layers, width) -> DPT's hooks and D^ (section 3; ``dpt.BASE`` / ``dpt.LARGE``, which this
#: layer below the models cannot import).
_DPT_SIZES = {(12, 768): dict(hooks=(3, 6, 9, 12), reassemble_dims=(96, 192, 384, 768)),
              (24, 1024): dict(hooks=(5, 12, 18, 24), reassemble_dims=(256, 512, 1024, 1024))}


def _dpt_config(hub):
    """DPT-Base / DPT-Large read ViT-B/16 / ViT-L/16 at layers {3, 6, 9, 12} / {5, 12, 18,
    24} (section 3, "Reassemble")."""
    sizes = _vit_sizes(hub)
    paper = _DPT_SIZES.get((sizes["num_layers"], sizes["hidden_dim"]))
    if paper is not None:
        return {**sizes, **paper}
    depth = sizes["num_layers"]
    if depth % 4:
        raise NotImplementedError(f"keras-hub's ViT with {depth} layers: DPT reads four "
                                  "evenly spaced layers; pass hooks= to choose them.")
    # Another ViT: every quarter of the depth, as Base's {3, 6, 9, 12}.
    return {**sizes, "hooks": tuple(depth // 4 * k for k in (1, 2, 3, 4))}


def _dpt(*presets):
    """DPT's encoder is ViT without the final LayerNorm (the reassembled tokens are the
    layers' outputs), so keras-hub's ``vit_encoder/ln`` is left out."""
    return Source("ViTBackbone", "ViTImageConverter", presets, _dpt_config, _VIT_RULES,
                  new_tensors=_NOT_VIT, unused=r"^encoder_norm/",
                  grids=("patch_embedding/position_embedding",))


def _resnet_config(hub):
    """keras-hub's ResNet v1 is torchvision's "v1.5": stride in the 3x3, bias-free
    convolutions, BN epsilon 1e-5 (the zoo's default is keras.applications' 1.001e-5). Its
    "vd" block types are ResNet-vd (``_resnet_vd_config``)."""
    if str(hub["block_type"]).endswith("_vd"):
        return _resnet_vd_config(hub)
    blocks = {"bottleneck_block": "bottleneck", "basic_block": "basic"}
    if (hub["block_type"] not in blocks or hub["use_pre_activation"]
            or list(hub["input_conv_kernel_sizes"]) != [7]
            or list(hub["stackwise_num_strides"]) != [1] + [2] * (len(hub["stackwise_num_strides"]) - 1)):
        raise NotImplementedError(
            f"keras-hub's ResNet with block_type={hub['block_type']!r}, "
            f"use_pre_activation={hub['use_pre_activation']}, stem kernels "
            f"{hub['input_conv_kernel_sizes']}, strides {hub['stackwise_num_strides']}: the zoo "
            "ResNet is v1 (post-activation) with one 7x7 stem convolution.")
    return dict(block=blocks[hub["block_type"]], stack_sizes=tuple(hub["stackwise_num_blocks"]),
                filters=tuple(hub["stackwise_num_filters"]),
                stem_filters=hub["input_conv_filters"][0], stride_at="3x3", use_bias=False,
                bn_epsilon=1e-5)


def _resnet_vd_config(hub):
    """keras-hub's ResNet-vd (PaddleClas' weights) is ResNet v1.5 with Bag of Tricks' ResNet-C
    stem (three 3x3 convolutions of C/2, C/2, C) and ResNet-D shortcut (2x2/2 average pooling
    before a stride-1 1x1 projection; the first block of every stage projects): the zoo ResNet
    with ``stem="deep", shortcut="avg_projection"``."""
    blocks = {"bottleneck_block_vd": "bottleneck", "basic_block_vd": "basic"}
    stem = list(hub["input_conv_filters"])
    width = stem[-1]
    stages = len(hub["stackwise_num_strides"])
    if (hub["block_type"] not in blocks or hub["use_pre_activation"]
            or list(hub["input_conv_kernel_sizes"]) != [3, 3, 3]
            or stem != [width // 2, width // 2, width]
            or list(hub["stackwise_num_strides"]) != [1] + [2] * (stages - 1)):
        raise NotImplementedError(
            f"keras-hub's ResNet with block_type={hub['block_type']!r}, "
            f"use_pre_activation={hub['use_pre_activation']}, stem filters {stem} and kernels "
            f"{hub['input_conv_kernel_sizes']}, strides {hub['stackwise_num_strides']}: the zoo "
            "ResNet-vd is post-activation with a stem of three 3x3 convolutions of C/2, C/2, "
            "C.")
    return dict(block=blocks[hub["block_type"]], stack_sizes=tuple(hub["stackwise_num_blocks"]),
                filters=tuple(hub["stackwise_num_filters"]), stem="deep", stem_filters=width,
                shortcut="avg_projection", stride_at="3x3", use_bias=False, bn_epsilon=1e-5)


def _resnet_v2_config(hub):
    """keras-hub's ResNet v2 is the paper's pre-activation bottleneck network with the
    stride in the first block of a stage (in its 3x3), as the paper's Torch code; bias-free
    convolutions, BN epsilon 1e-5, and a stem max pooling over -inf padding: the zoo ResNetV2
    with ``stride_block="first", use_bias=False, bn_epsilon=1e-5, pool_padding="ignore"``."""
    stages = len(hub["stackwise_num_strides"])
    if (hub["block_type"] != "bottleneck_block" or not hub["use_pre_activation"]
            or list(hub["input_conv_kernel_sizes"]) != [7]
            or list(hub["stackwise_num_strides"]) != [1] + [2] * (stages - 1)):
        raise NotImplementedError(
            f"keras-hub's ResNet with block_type={hub['block_type']!r}, "
            f"use_pre_activation={hub['use_pre_activation']}, stem kernels "
            f"{hub['input_conv_kernel_sizes']}, strides {hub['stackwise_num_strides']}: the zoo "
            "ResNetV2 is pre-activation bottlenecks with one 7x7 stem convolution.")
    return dict(stack_sizes=tuple(hub["stackwise_num_blocks"]),
                filters=tuple(hub["stackwise_num_filters"]),
                stem_filters=hub["input_conv_filters"][0], stride_block="first",
                use_bias=False, bn_epsilon=1e-5, pool_padding="ignore")


_VGG_CONFIGS = {(1, 1, 2, 2, 2): "A", (2, 2, 2, 2, 2): "B", (2, 2, 3, 3, 3): "D",
                (2, 2, 4, 4, 4): "E"}


def _vgg_config(hub):
    repeats = tuple(hub["stackwise_num_repeats"])
    if repeats not in _VGG_CONFIGS or list(hub["stackwise_num_filters"]) != [64, 128, 256, 512, 512]:
        raise NotImplementedError(f"keras-hub's VGG with repeats {repeats} and filters "
                                  f"{hub['stackwise_num_filters']} is not one of Table 1's.")
    return dict(config=_VGG_CONFIGS[repeats])


def _densenet_config(hub):
    """keras-hub's DenseNet is keras.applications' DenseNet-BC (BN epsilon 1.001e-5, a
    64-filter stem whatever the growth rate) except that its stem convolution and pooling pad
    with TensorFlow's asymmetric "same" (``stem_padding="same"``)."""
    return dict(blocks=tuple(hub["stackwise_num_repeats"]), growth_rate=hub["growth_rate"],
                compression=hub["compression_ratio"], stem_filters=64, stem_padding="same")


def _densenet(preset):
    return Source("DenseNetBackbone", "DenseNetImageConverter", (preset,), _densenet_config,
                  None)


def _efficientnet_config(hub):
    """keras-hub's EfficientNet presets are timm's PyTorch weights: the paper's B0-B5 blocks
    (MBConv "v1" with squeeze-and-excitation on ``filters_in * se_ratio``) with symmetric
    padding of the strided convolutions and BN epsilon 1e-5, and no input normalisation in the
    graph (the image converter does it): the zoo EfficientNet with ``padding="symmetric"``,
    ``bn_epsilon`` theirs, and its ``Normalization`` left as the identity."""
    count = len(hub["stackwise_kernel_sizes"])
    # keras-hub 0.32's get_config leaves out these three, so a preset is rebuilt with the
    # constructor's defaults: read them the same way.
    hub = {"stackwise_nores_option": [False] * count, "num_features": 1280,
           "data_format": "channels_last", **hub}
    widths = set(hub["stackwise_width_coefficients"])
    depths = set(hub["stackwise_depth_coefficients"])
    minimum = hub["depth_divisor"] if hub["use_depth_divisor_as_min_depth"] else hub["min_depth"]
    differs = {key: value for key, value, ours in (
        ("stackwise_block_types", hub["stackwise_block_types"], ["v1"] * count),
        ("stackwise_force_input_filters", list(hub["stackwise_force_input_filters"]),
         [0] * count),
        ("stackwise_nores_option", list(hub["stackwise_nores_option"]), [False] * count),
        ("stackwise_squeeze_and_excite_ratios", hub["stackwise_squeeze_and_excite_ratios"],
         [hub["stackwise_squeeze_and_excite_ratios"][0]] * count),
        ("stackwise_input_filters[0]", hub["stackwise_input_filters"][0], 32),
        ("width/depth coefficients per stage", len(widths) + len(depths), 2),
        ("min_depth", minimum, hub["depth_divisor"]),
        ("cap_round_filter_decrease", hub["cap_round_filter_decrease"], True),
        ("include_stem_padding", hub["include_stem_padding"], True),
        ("stem_conv_padding", hub["stem_conv_padding"], "valid"),
        ("projection_activation", hub["projection_activation"], None),
        ("data_format", hub["data_format"], "channels_last")) if value != ours}
    if differs:
        raise NotImplementedError(f"keras-hub's EfficientNet with {differs}: the zoo "
                                  "EfficientNet is B0's MBConv layout with a 32-filter stem, "
                                  "one width and one depth coefficient.")
    stages = tuple(zip(hub["stackwise_kernel_sizes"], hub["stackwise_num_repeats"],
                       hub["stackwise_input_filters"], hub["stackwise_output_filters"],
                       hub["stackwise_expansion_ratios"], hub["stackwise_strides"], strict=True))
    return dict(width_coefficient=widths.pop(), depth_coefficient=depths.pop(),
                depth_divisor=hub["depth_divisor"], stages=stages,
                se_ratio=hub["stackwise_squeeze_and_excite_ratios"][0],
                activation=hub["activation"], top_filters=hub["num_features"],
                padding="symmetric", bn_epsilon=hub["batch_norm_epsilon"])


def _efficientnet(*presets):
    return Source("EfficientNetBackbone", "EfficientNetImageConverter", presets,
                  _efficientnet_config, None, skip=("normalization",))


def _resnet(*presets):
    return Source("ResNetBackbone", "ResNetImageConverter", presets, _resnet_config, None)


def _resnet_v2(preset):
    return Source("ResNetBackbone", "ResNetImageConverter", (preset,), _resnet_v2_config, None)


def _vgg(preset):
    # keras-hub's VGG backbone ends at block5_pool; its classifiers' heads are not ours.
    return Source("VGGBackbone", "VGGImageConverter", (preset,), _vgg_config, None,
                  ("fc1", "fc2", "predictions"))


def _bert_config(hub):
    """keras-hub's BERT is the paper's (post-norm, LayerNorm epsilon 1e-12, a tanh pooler on
    [CLS]) with the released checkpoints' tanh-approximate GELU: the zoo's ``bert_encoder``
    with ``activation="gelu_approximate"``."""
    return {"activation": "gelu_approximate",
            **{key: hub[key] for key in ("vocabulary_size", "num_layers", "hidden_dim",
                                         "num_heads", "intermediate_dim", "max_sequence_length",
                                         "num_segments", "dropout")}}


_BERT_RULES = (
    (r"^(token_embedding|position_embedding|segment_embedding)/embeddings$",
     lambda m: f"{m.group(1)}/embeddings"),
    (r"^embeddings_layer_norm/(gamma|beta)$", lambda m: f"embeddings_layer_norm/{m.group(1)}"),
    (r"^transformer_layer_(\d+)/self_attention_layer/(\w+/(?:kernel|bias))$",
     lambda m: f"transformer_layer_{m.group(1)}_attention/{m.group(2)}"),
    (r"^transformer_layer_(\d+)/self_attention_layer_norm/(gamma|beta)$",
     lambda m: f"transformer_layer_{m.group(1)}_attention_norm/{m.group(2)}"),
    (r"^transformer_layer_(\d+)/feedforward_intermediate_dense/(kernel|bias)$",
     lambda m: f"transformer_layer_{m.group(1)}_mlp_dense_1/{m.group(2)}"),
    (r"^transformer_layer_(\d+)/feedforward_output_dense/(kernel|bias)$",
     lambda m: f"transformer_layer_{m.group(1)}_mlp_dense_2/{m.group(2)}"),
    (r"^transformer_layer_(\d+)/feedforward_layer_norm/(gamma|beta)$",
     lambda m: f"transformer_layer_{m.group(1)}_mlp_norm/{m.group(2)}"),
    (r"^pooled_dense/(kernel|bias)$", lambda m: f"pooled_dense/{m.group(1)}"),
)


def _bert(*presets):
    # Text models have no image converter: no preprocessing layer (token ids go in as ids).
    return Source("BertBackbone", None, presets, _bert_config, _BERT_RULES)


def _swin_config(hub):
    """keras-hub's Swin is the paper's (biases in qkv, a LayerNorm after the patch embedding,
    epsilon 1e-5, exact GELU); its ``drop_path`` only acts in training."""
    if not hub["qkv_bias"] or not hub["patch_norm"]:
        raise NotImplementedError(f"keras-hub's Swin with qkv_bias={hub['qkv_bias']}, "
                                  f"patch_norm={hub['patch_norm']}: the zoo Swin has both.")
    return dict(input_shape=tuple(hub["image_shape"]), patch_size=hub["patch_size"],
                embed_dim=hub["embed_dim"], depths=tuple(hub["depths"]),
                num_heads=tuple(hub["num_heads"]), window_size=hub["window_size"],
                mlp_ratio=hub["mlp_ratio"])


def _swin_block(match, suffix):
    return f"stage{int(match.group(1)) + 1}_block{match.group(2)}_{suffix}"


_SWIN_RULES = (
    (r"^patch_embedding/conv_projection/(kernel|bias)$",
     lambda m: f"patch_embedding/projection/{m.group(1)}"),
    (r"^patch_embedding/norm/(gamma|beta)$", lambda m: f"patch_norm/{m.group(1)}"),
    (r"^stage_(\d+)/blocks_(\d+)/(norm[12])/(gamma|beta)$",
     lambda m: f"{_swin_block(m, m.group(3))}/{m.group(4)}"),
    (r"^stage_(\d+)/blocks_(\d+)/attn/relative_position_bias_table$",
     lambda m: f"{_swin_block(m, 'attention')}/relative_position_bias_table"),
    (r"^stage_(\d+)/blocks_(\d+)/attn/attention_qkv/(kernel|bias)$",
     lambda m: f"{_swin_block(m, 'attention')}/qkv/{m.group(3)}"),
    (r"^stage_(\d+)/blocks_(\d+)/attn/attention_projection/(kernel|bias)$",
     lambda m: f"{_swin_block(m, 'attention')}/proj/{m.group(3)}"),
    (r"^stage_(\d+)/blocks_(\d+)/mlp/(fc[12])/(kernel|bias)$",
     lambda m: f"{_swin_block(m, 'mlp_' + m.group(3))}/{m.group(4)}"),
    # keras-hub merges at the end of stage i; the zoo names it before stage i + 2.
    (r"^stage_(\d+)/downsample/(reduction|norm)/(kernel|gamma|beta)$",
     lambda m: f"stage{int(m.group(1)) + 1}_merging/{m.group(2)}/{m.group(3)}"),
    (r"^norm/(gamma|beta)$", lambda m: f"norm/{m.group(1)}"),
)


def _swin(*presets):
    return Source("SwinTransformerBackbone", "SwinTransformerImageConverter", presets,
                  _swin_config, _SWIN_RULES)


def _gpt2_config(hub):
    """keras-hub's GPT-2 is the released GPT-2 (pre-norm, LayerNorm epsilon 1e-5, a final
    LayerNorm, tanh-approximate GELU, an output projection tied to the token embedding): the
    zoo's ``gpt2`` at the backbone's sizes, its context ``max_sequence_length``."""
    return {"vocabulary_size": hub["vocabulary_size"], "num_layers": hub["num_layers"],
            "hidden_dim": hub["hidden_dim"], "num_heads": hub["num_heads"],
            "intermediate_dim": hub["intermediate_dim"],
            "sequence_length": hub["max_sequence_length"], "dropout": hub["dropout"],
            "activation": "gelu_approximate"}


_GPT2_RULES = (
    (r"^(token_embedding|position_embedding)/embeddings$", lambda m: f"{m.group(1)}/embeddings"),
    (r"^transformer_layer_(\d+)/self_attention/(\w+/(?:kernel|bias))$",
     lambda m: f"decoder_layer_{m.group(1)}_self_attention/{m.group(2)}"),
    (r"^transformer_layer_(\d+)/self_attention_layer_norm/(gamma|beta)$",
     lambda m: f"decoder_layer_{m.group(1)}_self_attention_norm/{m.group(2)}"),
    (r"^transformer_layer_(\d+)/feedforward_intermediate_dense/(kernel|bias)$",
     lambda m: f"decoder_layer_{m.group(1)}_mlp_dense_1/{m.group(2)}"),
    (r"^transformer_layer_(\d+)/feedforward_output_dense/(kernel|bias)$",
     lambda m: f"decoder_layer_{m.group(1)}_mlp_dense_2/{m.group(2)}"),
    (r"^transformer_layer_(\d+)/feedforward_layer_norm/(gamma|beta)$",
     lambda m: f"decoder_layer_{m.group(1)}_mlp_norm/{m.group(2)}"),
    (r"^layer_norm/(gamma|beta)$", lambda m: f"final_norm/{m.group(1)}"),
)


def _gpt2(*presets):
    # Token ids in, no image converter; the BPE tokenizer (a download) is not needed to load.
    return Source("GPT2Backbone", None, presets, _gpt2_config, _GPT2_RULES,
                  positions=("position_embedding/embeddings",))


def _clip_config(hub, family="CLIP", text_norm_epsilon=1e-6):
    """keras-hub's CLIP is OpenAI's released CLIP (pre-norm, LayerNorm epsilon 1e-5, no bias
    in the patch projection nor in either projection, quick_gelu, a causal text Transformer
    read at its [EOS] token, a learned logit scale) except for its text tower's final
    LayerNorm epsilon, 1e-6 (OpenAI's 1e-5): the zoo's ``CLIP`` with ``text_input=
    "token_ids"``, ``causal=True``, ``text_pooling="eos"``, ``activation="quick_gelu"``,
    ``patch_bias=False``, ``text_norm_epsilon=1e-6``. OpenCLIP's LAION presets use the exact
    GELU (``intermediate_activation="gelu"``: ``activation="gelu"``), and g/14 and bigG/14
    image MLPs narrower than 4x (6144 and 8192: ``vision_mlp_dim``)."""
    vision, text = hub["vision_encoder"]["config"], hub["text_encoder"]["config"]
    activations = {vision["intermediate_activation"], text["intermediate_activation"]}
    differs = {f"{tower}.intermediate_output_index": config["intermediate_output_index"]
               for tower, config in (("vision", vision), ("text", text))
               if config["intermediate_output_index"] is not None}
    if len(activations) != 1 or not activations <= {"quick_gelu", "gelu"}:
        differs["intermediate_activation"] = (vision["intermediate_activation"],
                                              text["intermediate_activation"])
    if text["embedding_dim"] != text["hidden_dim"]:
        differs["text.embedding_dim"] = text["embedding_dim"]
    if differs:
        raise NotImplementedError(f"keras-hub's {family} with {differs}: the zoo CLIP has one "
                                  "activation in both towers, quick_gelu or the exact GELU, and "
                                  "text embeddings of the text width.")
    mlps = {f"{tower}_mlp_dim": config["intermediate_dim"]
            for tower, config in (("vision", vision), ("text", text))
            if config["intermediate_dim"] != 4 * config["hidden_dim"]}
    return dict(input_shape=tuple(vision["image_shape"]), patch_size=vision["patch_size"],
                vision_width=vision["hidden_dim"], vision_layers=vision["num_layers"],
                vision_heads=vision["num_heads"], sequence_length=text["max_sequence_length"],
                text_width=text["hidden_dim"], text_layers=text["num_layers"],
                text_heads=text["num_heads"], embed_dim=hub["projection_dim"],
                text_input="token_ids", vocabulary_size=text["vocabulary_size"], causal=True,
                text_pooling="eos", activation=activations.pop(), patch_bias=False,
                text_norm_epsilon=text_norm_epsilon, **mlps)


_CLIP_BLOCK = {"layer_norm_1": "attention_norm", "attention": "attention",
               "layer_norm_2": "mlp_norm", "dense_1": "mlp_dense_1", "dense_2": "mlp_dense_2"}


def _clip_tensors(backbone, model=None):
    """``(their variable, our path, value)`` for every variable of a ``CLIPBackbone``, walked by
    attribute (its paths carry its encoders' names, which a preset chooses). The vision
    position table is read through ``position_ids`` (the rows each position uses: ``arange``
    in the presets, zeros in a freshly built backbone), the class embedding ``[D]`` becomes our
    class token ``[1, 1, D]``; ``position_ids`` itself is consumed by that gather."""
    vision = backbone.vision_encoder
    embedding = vision.embedding
    rows = np.asarray(embedding.position_ids).reshape(-1)
    table = np.asarray(embedding.position_embedding.embeddings)
    out = [(embedding.class_embedding, "patch_embedding/class_token",
            np.asarray(embedding.class_embedding).reshape(1, 1, -1)),
           (embedding.position_ids, None, None),
           (embedding.patch_embedding.kernel, "patch_embedding/projection/kernel", None),
           (embedding.position_embedding.embeddings, "patch_embedding/position_embedding",
            table[rows])]
    out += _clip_towers(backbone, vision.layer_norm, backbone.clip_head)
    return [(variable, path, np.asarray(variable) if value is None else value)
            for variable, path, value in out]


def _clip_towers(backbone, vision_final_norm, head):
    """The variables CLIP and MetaCLIP 2 lay out alike: the LayerNorms, every encoder block
    of both towers, the text embeddings, the projections and the temperature (``head``)."""
    vision, text = backbone.vision_encoder, backbone.text_encoder
    out = []
    norms = [(vision.pre_layer_norm, "pre_norm"), (vision_final_norm, "vision_final_norm"),
             (text.layer_norm, "text_final_norm")]
    for layer, ours in norms:
        out += [(layer.gamma, f"{ours}/gamma", None), (layer.beta, f"{ours}/beta", None)]
    for prefix, encoder in (("vision", vision), ("text", text)):
        for i, block in enumerate(encoder.encoder_layers):
            for variable in block.weights:
                # "<block name>/<sublayer>/<rest>" -> "<prefix>_layer_<i>_<ours>/<rest>"
                sublayer, rest = variable.path.split("/", 2)[1:]
                out.append((variable, f"{prefix}_layer_{i}_{_CLIP_BLOCK[sublayer]}/{rest}",
                            None))
    return out + [
        (text.embedding.token_embedding.embeddings, "token_embedding/embeddings", None),
        (text.embedding.position_embedding.position_embeddings, "position_embedding/embeddings",
         None),
        (backbone.vision_projection.kernel, "image_projection/kernel", None),
        (backbone.text_projection.kernel, "text_projection/kernel", None),
        (head.logit_scale, "logits/log_scale", None)]


def _clip(*presets):
    return Source("CLIPBackbone", "CLIPImageConverter", presets, _clip_config, None,
                  positions=("position_embedding/embeddings",), tensors=_clip_tensors)


#: MetaCLIP 2's [EOS] id (keras-hub's ``MetaCLIP2TextPooler`` default, XLM-V's "</s>").
METACLIP2_EOS = 2


def _metaclip2_config(hub):
    """keras-hub's MetaCLIP 2 (``MetaCLIP2Backbone``: Chuang et al., Meta CLIP 2, 2025) is
    CLIP's network at ViT-H/14 and ViT-bigG/14 sizes with XLM-V's 901,629-token vocabulary,
    its text pooled at the first [EOS] (id 2, not the largest id) and every LayerNorm of
    epsilon 1e-5 (keras-hub's CLIP has 1e-6 at the text's end); the image tower's final
    LayerNorm acts on the class token only (the same thing); quick_gelu for the H/14 224
    "quickgelu" model, the exact GELU for the others (from the preset's config). The zoo's
    ``CLIP`` as for CLIP with ``text_norm_epsilon=1e-5, eos_token_id=2``."""
    return {**_clip_config(hub, "MetaCLIP 2", text_norm_epsilon=1e-5),
            "eos_token_id": METACLIP2_EOS}


def _metaclip2_tensors(backbone, model=None):
    """``(their variable, our path, value)`` for every variable of a ``MetaCLIP2Backbone``,
    walked by attribute as CLIP's: its vision position table has no ``position_ids`` variable
    (an ``arange`` constant), its image tower's final LayerNorm belongs to the backbone
    (``vision_post_layer_norm``), and its temperature to ``metaclip_2_head``."""
    embedding = backbone.vision_encoder.embedding
    out = [(embedding.class_embedding, "patch_embedding/class_token",
            np.asarray(embedding.class_embedding).reshape(1, 1, -1)),
           (embedding.patch_embedding.kernel, "patch_embedding/projection/kernel", None),
           (embedding.position_embedding.embeddings, "patch_embedding/position_embedding",
            None)]
    out += _clip_towers(backbone, backbone.vision_post_layer_norm, backbone.metaclip_2_head)
    return [(variable, path, np.asarray(variable) if value is None else value)
            for variable, path, value in out]


def _metaclip2(*presets):
    return Source("MetaCLIP2Backbone", "MetaCLIP2ImageConverter", presets, _metaclip2_config,
                  None, positions=("position_embedding/embeddings",),
                  tensors=_metaclip2_tensors)


def _depth_anything_config(hub):
    """keras-hub's ``DepthAnythingBackbone`` is Depth Anything V2's released network (a DINOv2
    encoder with LayerScale and optional registers, DPT's decoder with aligned-corner resizing,
    the taps through the encoder's final LayerNorm when ``apply_layernorm``); the zoo's
    ``depth_anything`` at its sizes, ``output_activation="relu"`` (the relative model's)."""
    encoder = hub["image_encoder"]["config"]
    keys = [re.fullmatch(r"stage(\d+)", key) for key in hub["feature_keys"]]
    differs = {key: value for key, value, ours in (
        ("use_swiglu_ffn", encoder["use_swiglu_ffn"], False),
        ("reassemble_factors", [float(f) for f in hub["reassemble_factors"]],
         [4.0, 2.0, 1.0, 0.5]),
        ("head_in_index", hub["head_in_index"], -1),
        ("feature_keys", list(hub["feature_keys"]) if not all(keys) or len(keys) != 4 else 4,
         4),
        ("data_format", encoder.get("data_format", "channels_last"), "channels_last"))
        if value != ours}
    if differs:
        raise NotImplementedError(f"keras-hub's Depth Anything with {differs}: the zoo's is "
                                  "four encoder layers reassembled at 4, 2, 1 and 1/2 of the "
                                  "patch grid, the finest fusion output into the head, and "
                                  "the MLP of DINOv2's ViT-S/B/L (not ViT-g's SwiGLU).")
    return dict(patch_size=encoder["patch_size"], hidden_dim=encoder["hidden_dim"],
                num_layers=encoder["num_layers"], num_heads=encoder["num_heads"],
                mlp_dim=encoder["intermediate_dim"],
                num_register_tokens=encoder["num_register_tokens"],
                hooks=tuple(int(key.group(1)) for key in keys),
                tap_norm=bool(encoder["apply_layernorm"]),
                reassemble_dims=tuple(hub["neck_hidden_dims"]),
                features=hub["fusion_hidden_dim"], head_features=hub["head_hidden_dim"],
                output_activation="relu")


def _da_layer(match, ours):
    return f"encoder_layer_{match.group(1)}_{ours}"


#: keras-hub's fusion stages run from the coarsest (0) up; ours are named fusion4 .. fusion1.
_DA_RULES = (
    (r"embeddings/cls_token$", lambda m: "patch_embedding/class_token"),
    (r"embeddings/mask_token$", None),  # DINOv2's masked-image training only
    (r"embeddings/register_tokens$", lambda m: "register_tokens/tokens"),
    (r"embeddings/patch_embeddings/projection/(kernel|bias)$",
     lambda m: f"patch_embedding/projection/{m.group(1)}"),
    (r"encoder/layers_(\d+)/norm1/(gamma|beta)$",
     lambda m: f"{_da_layer(m, 'attention_norm')}/{m.group(2)}"),
    (r"encoder/layers_(\d+)/attention/attention/(\w+/(?:kernel|bias))$",
     lambda m: f"{_da_layer(m, 'attention')}/{m.group(2)}"),
    (r"encoder/layers_(\d+)/layer_scale1/lambda1$",
     lambda m: f"{_da_layer(m, 'attention_scale')}/scale"),
    (r"encoder/layers_(\d+)/norm2/(gamma|beta)$",
     lambda m: f"{_da_layer(m, 'mlp_norm')}/{m.group(2)}"),
    (r"encoder/layers_(\d+)/mlp/fc([12])/(kernel|bias)$",
     lambda m: f"{_da_layer(m, 'mlp_dense_' + m.group(2))}/{m.group(3)}"),
    (r"encoder/layers_(\d+)/layer_scale2/lambda1$",
     lambda m: f"{_da_layer(m, 'mlp_scale')}/scale"),
    (r"layernorm/(gamma|beta)$", lambda m: f"encoder_norm/{m.group(1)}"),
    (r"neck/reassemble_stage_(\d)/(projection|resize)/(kernel|bias)$",
     lambda m: (f"reassemble{int(m.group(1)) + 1}_"
                f"{'project' if m.group(2) == 'projection' else 'resample'}/{m.group(3)}")),
    (r"neck/convs_(\d)/kernel$", lambda m: f"reassemble{int(m.group(1)) + 1}_features/kernel"),
    # The coarsest fusion block has no skip input: its first residual unit never runs.
    (r"neck/fusion_stage_0/residual_layer1/", None),
    (r"neck/fusion_stage_(\d)/residual_layer([12])/convolution([12])/(kernel|bias)$",
     lambda m: (f"fusion{4 - int(m.group(1))}_rcu{m.group(2)}_conv{m.group(3)}/"
                f"{m.group(4)}")),
    (r"neck/fusion_stage_(\d)/projection/(kernel|bias)$",
     lambda m: f"fusion{4 - int(m.group(1))}_project/{m.group(2)}"),
    (r"head/conv([123])/(kernel|bias)$", lambda m: f"head_conv{m.group(1)}/{m.group(2)}"),
)


def _depth_anything_tensors(backbone, model):
    """``(their variable, our path or None, value)`` of a ``DepthAnythingBackbone`` by
    ``_DA_RULES``. DINOv2 keeps two position tables: the 518-px one it was trained with and
    the one its image size uses (``interpolated_position_embeddings``, bicubic from the
    first). Our model at the backbone's grid takes the second; at another grid, the first
    resampled to ours the same way; the final LayerNorm is unused when the taps skip it."""
    return _dinov2_walk(backbone, backbone.image_encoder.embeddings, model)


def _dinov2_tensors(backbone, model):
    """As ``_depth_anything_tensors``, for a ``DINOV2Backbone`` alone (the encoder)."""
    return _dinov2_walk(backbone, backbone.embeddings, model)


def _dinov2_walk(backbone, embeddings, model):
    from keras_zoo.layers.patch_embedding import resample_position_embedding

    ours = {v.path: v for v in model.weights}
    table = tuple(ours["patch_embedding/position_embedding"].shape)
    grid = model.get_layer("patch_embedding").grid_size
    out = []
    for variable in backbone.weights:
        value = np.asarray(variable)
        if variable.path.endswith("embeddings/interpolated_position_embeddings"):
            out.append((variable, "patch_embedding/position_embedding"
                        if value.shape[1:] == table else None, value))
            continue
        if variable.path.endswith("embeddings/position_embeddings"):
            interpolated = embeddings.interpolated_position_embeddings
            if tuple(interpolated.shape[1:]) == table:
                out.append((variable, None, value))
                continue
            side = int(round((value.shape[1] - 1) ** 0.5))
            out.append((variable, "patch_embedding/position_embedding",
                        resample_position_embedding(value[0], side, grid)))
            continue
        found = [(rule, re.search(pattern, variable.path)) for pattern, rule in _DA_RULES]
        found = [(rule, match) for rule, match in found if match]
        if not found:
            raise ValueError(f"their tensor {variable.path!r} {tuple(variable.shape)} has no "
                             "counterpart in our model (no mapping rule).")
        rule, match = found[0]
        path = None if rule is None else rule(match)
        if path is not None and path.startswith("encoder_norm/") and path not in ours:
            path = None  # the taps skip the final LayerNorm (apply_layernorm=False)
        out.append((variable, path, value))
    return out


def _depth_anything(*presets):
    return Source("DepthAnythingBackbone", "DepthAnythingImageConverter", presets,
                  _depth_anything_config, None, tensors=_depth_anything_tensors,
                  new_tensors=r"(?!)")


#: (layers, width) -> Depth Anything V2's decoder for DINOv2's ViT-S/B/L (``depth_anything.SMALL``
#: / ``BASE`` / ``LARGE``, which this layer below the models cannot import).
_DA_SIZES = {(12, 384): dict(hooks=(3, 6, 9, 12), reassemble_dims=(48, 96, 192, 384),
                             features=64),
             (12, 768): dict(hooks=(3, 6, 9, 12), reassemble_dims=(96, 192, 384, 768),
                             features=128),
             (24, 1024): dict(hooks=(5, 12, 18, 24), reassemble_dims=(256, 512, 1024, 1024),
                              features=256)}


def _dinov2_config(hub):
    """keras-hub's ``DINOV2Backbone`` (DINOv2 alone: ViT with LayerScale, optional registers,
    LayerNorm epsilon 1e-6, exact GELU) is the encoder Depth Anything starts from (its section
    3: "we initialise the encoder with DINOv2"): the zoo's ``depth_anything`` with the
    encoder's sizes, the taps through its final LayerNorm (the released models'), and V2's
    decoder of that width (``_DA_SIZES``; another depth is tapped every quarter)."""
    differs = {key: value for key, value, ours in (
        ("use_swiglu_ffn", hub["use_swiglu_ffn"], False),
        ("data_format", hub.get("data_format", "channels_last"), "channels_last"))
        if value != ours}
    if differs:
        raise NotImplementedError(f"keras-hub's DINOv2 with {differs}: the zoo's Depth Anything "
                                  "encoder is DINOv2's ViT-S/B/L (not ViT-g's SwiGLU MLP).")
    depth, width = hub["num_layers"], hub["hidden_dim"]
    decoder = _DA_SIZES.get((depth, width))
    if decoder is None:
        if depth % 4:
            raise NotImplementedError(f"keras-hub's DINOv2 with {depth} layers: Depth Anything "
                                      "reads four evenly spaced layers; pass hooks= to choose "
                                      "them.")
        decoder = dict(hooks=tuple(depth // 4 * k for k in (1, 2, 3, 4)))
    return dict(patch_size=hub["patch_size"], hidden_dim=width, num_layers=depth,
                num_heads=hub["num_heads"], mlp_dim=hub["intermediate_dim"],
                num_register_tokens=hub["num_register_tokens"], tap_norm=True, **decoder)


def _dinov2(*presets):
    # The encoder loads; the reassemble, fusion and head layers are new.
    return Source("DINOV2Backbone", "DINOV2ImageConverter", presets, _dinov2_config, None,
                  tensors=_dinov2_tensors,
                  new_tensors=r"^(?!patch_embedding/|register_tokens/|encoder_layer_\d+_|"
                              r"encoder_norm/)")


_VIT16_PRESETS = ("vit_base_patch16_384_imagenet", "vit_base_patch16_224_imagenet",
                  "vit_base_patch16_224_imagenet21k", "vit_large_patch16_384_imagenet",
                  "vit_large_patch16_224_imagenet", "vit_large_patch16_224_imagenet21k")
_VIT_PRESETS = _VIT16_PRESETS + ("vit_base_patch32_384_imagenet",
                                 "vit_base_patch32_224_imagenet21k")

MODELS = {
    # The ViT-B/32 presets (OpenAI's and OpenCLIP's LAION-2B); the B/16, L/14, H/14, g/14 and
    # bigG/14 presets load into clip_vit_b32 too, at their own sizes (the same architecture).
    "clip_vit_b32": _clip("clip_vit_base_patch32", "clip_vit_b_32_laion2b_s34b_b79k",
                          "clip_vit_base_patch16", "clip_vit_large_patch14",
                          "clip_vit_large_patch14_336", "clip_vit_h_14_laion2b_s32b_b79k",
                          "clip_vit_g_14_laion2b_s12b_b42k",
                          "clip_vit_bigg_14_laion2b_39b_b160k"),
    # Google's BERT checkpoints, then the other BertBackbone presets (the same network at
    # their sizes: MiniLM sentence encoders, BGE, multilingual E5, mxbai, BERT-tiny on SST-2).
    "bert_classifier": _bert("bert_tiny_en_uncased", "bert_small_en_uncased",
                             "bert_medium_en_uncased", "bert_base_en_uncased", "bert_base_en",
                             "bert_base_zh", "bert_base_multi", "bert_large_en_uncased",
                             "bert_large_en", "bert_tiny_en_uncased_sst2",
                             "all_minilm_l6_v2_en", "all_minilm_l6_v1_en", "all_minilm_l12_v2_en",
                             "paraphrase_minilm_l3_v2_en", "paraphrase_minilm_l6_v2_en",
                             "paraphrase_minilm_l12_v2_en", "multi_qa_minilm_l6_cos_v1_en",
                             "multi_qa_minilm_l6_dot_v1_en", "msmarco_minilm_l6_cos_v5_en",
                             "msmarco_minilm_l12_cos_v5_en", "bge_small_en", "bge_base_en",
                             "bge_large_en", "bge_small_v1.5_en", "bge_base_v1.5_en",
                             "bge_large_v1.5_en", "bge_base_zh", "bge_large_zh",
                             "bge_small_v1.5_zh", "bge_base_v1.5_zh", "bge_large_v1.5_zh",
                             "bge_llm_embedder", "multilingual_e5_small",
                             "mxbai_embed_large_v1_en", "mxbai_embed_2d_large_v1_en",
                             "mxbai_embed_xsmall_v1_en"),
    "densenet121": _densenet("densenet_121_imagenet"),
    "densenet169": _densenet("densenet_169_imagenet"),
    "densenet201": _densenet("densenet_201_imagenet"),
    # timm's B0-B5 (keras-hub 0.32 has no B6/B7 preset; lite0, el/em/es and the v2 "rw"
    # presets are other architectures).
    "efficientnetb0": _efficientnet("efficientnet_b0_ra_imagenet",
                                    "efficientnet_b0_ra4_e3600_r224_imagenet"),
    "efficientnetb1": _efficientnet("efficientnet_b1_ft_imagenet",
                                    "efficientnet_b1_ra4_e3600_r240_imagenet"),
    "efficientnetb2": _efficientnet("efficientnet_b2_ra_imagenet"),
    "efficientnetb3": _efficientnet("efficientnet_b3_ra2_imagenet"),
    "efficientnetb4": _efficientnet("efficientnet_b4_ra2_imagenet"),
    "efficientnetb5": _efficientnet("efficientnet_b5_sw_imagenet",
                                    "efficientnet_b5_sw_ft_imagenet"),
    "gpt2": _gpt2("gpt2_base_en", "gpt2_medium_en", "gpt2_large_en", "gpt2_extra_large_en",
                  "gpt2_base_en_cnn_dailymail"),
    # v1.5 and ResNet-vd (Bag of Tricks' ResNet-B/C/D, PaddleClas' weights; "ssld": distilled)
    # by depth; resnet_vd_200_imagenet into resnet200_vd (PaddleClas' (3, 12, 48, 3)).
    "resnet18": _resnet("resnet_18_imagenet", "resnet_vd_18_imagenet"),
    "resnet34": _resnet("resnet_vd_34_imagenet"),
    "resnet50": _resnet("resnet_50_imagenet", "resnet_vd_50_imagenet",
                        "resnet_vd_50_ssld_imagenet", "resnet_vd_50_ssld_v2_imagenet",
                        "resnet_vd_50_ssld_v2_fix_imagenet"),
    "resnet101": _resnet("resnet_101_imagenet", "resnet_vd_101_imagenet",
                         "resnet_vd_101_ssld_imagenet"),
    "resnet152": _resnet("resnet_152_imagenet", "resnet_vd_152_imagenet"),
    "resnet200_vd": _resnet("resnet_vd_200_imagenet"),
    # keras-hub 0.32 has ResNet v2 50 and 101 (no 152).
    "resnet50v2": _resnet_v2("resnet_v2_50_imagenet"),
    "resnet101v2": _resnet_v2("resnet_v2_101_imagenet"),
    "vgg11": _vgg("vgg_11_imagenet"),
    "vgg13": _vgg("vgg_13_imagenet"),
    "vgg16": _vgg("vgg_16_imagenet"),
    "vgg19": _vgg("vgg_19_imagenet"),
    # The 384 presets (window 12) load into swin_b / swin_l at 384 (keras-hub has no Swin-T/S
    # at 384).
    "swin_t": _swin("swin_tiny_patch4_window7_224"),
    "swin_s": _swin("swin_small_patch4_window7_224"),
    "swin_b": _swin("swin_base_patch4_window7_224", "swin_base_patch4_window12_384"),
    "swin_l": _swin("swin_large_patch4_window7_224", "swin_large_patch4_window12_384"),
    "vit_b16": _vit("vit_base_patch16_224_imagenet", "vit_base_patch16_384_imagenet",
                    "vit_base_patch16_224_imagenet21k"),
    "vit_b32": _vit("vit_base_patch32_384_imagenet", "vit_base_patch32_224_imagenet21k"),
    "vit_l16": _vit("vit_large_patch16_224_imagenet", "vit_large_patch16_384_imagenet",
                    "vit_large_patch16_224_imagenet21k"),
    "vit_l32": _vit("vit_large_patch32_224_imagenet21k", "vit_large_patch32_384_imagenet"),
    "vit_h14": _vit("vit_huge_patch14_224_imagenet21k"),
    # Dense prediction on ViT: any ViT-B/16 or L/16 preset (Segmenter also B/32); the model
    # keeps its own image size (Segmenter 512, DPT 384) and the position table is resampled.
    "segmenter_linear": _segmenter(*_VIT_PRESETS),
    "segmenter_mask": _segmenter(*_VIT_PRESETS),
    "dpt": _dpt(*_VIT16_PRESETS),
    "dpt_depth": _dpt(*_VIT16_PRESETS),
    # Depth Anything V2 (keras-hub has V2's three relative-depth models).
    "depth_anything": _depth_anything("depth_anything_v2_small", "depth_anything_v2_base",
                                      "depth_anything_v2_large"),
    "deit_ti_distilled": _deit("deit_tiny_distilled_patch16_224_imagenet"),
    "deit_s_distilled": _deit("deit_small_distilled_patch16_224_imagenet"),
    "deit_b_distilled": _deit("deit_base_distilled_patch16_224_imagenet",
                              "deit_base_distilled_patch16_384_imagenet"),
}


#: Further keras-hub backbone classes whose presets load into a zoo model (``MODELS`` holds
#: the first): MetaCLIP 2 into CLIP; DINOv2 alone into Depth Anything's encoder, with a new
#: decoder. The DINOv2 giant presets (SwiGLU MLP, ViT-g) are other architectures.
ALSO = {
    # MetaCLIP 2: CLIP's network (ViT-H/14, ViT-bigG/14) with a multilingual vocabulary.
    "clip_vit_b32": (_metaclip2("metaclip_2_vit_huge_patch14_224",
                                "metaclip_2_vit_huge_patch14_378",
                                "metaclip_2_vit_giant_patch14_224",
                                "metaclip_2_vit_giant_patch14_378"),),
    "depth_anything": (_dinov2("dinov2_small", "dinov2_base", "dinov2_large",
                               "dinov2_with_registers_small", "dinov2_with_registers_base",
                               "dinov2_with_registers_large"),),
}


def model_sources(name):
    """The ``Source``s of the zoo model ``name``: ``MODELS[name]``, then ``ALSO[name]``."""
    return ([MODELS[name]] if name in MODELS else []) + list(ALSO.get(name, ()))


def presets(name):
    """The keras-hub presets whose weights the zoo model ``name`` takes."""
    return [preset for spec in model_sources(name) for preset in spec.presets]


def _owner(preset):
    """The keras-hub backbone class that registers ``preset``, or None."""
    import keras_hub

    for attribute in dir(keras_hub.models):
        cls = getattr(keras_hub.models, attribute)
        # The base classes list every preset of their subclasses.
        specific = attribute.endswith("Backbone") and not (attribute == "Backbone"
                                                           or "Pyramid" in attribute)
        if specific and preset in (getattr(cls, "presets", None) or {}):
            return attribute
    return None


def _check_preset(name, preset, label):
    if name not in MODELS:
        raise ValueError(f"{label}: no keras-hub backbone implements this model's architecture "
                         f"(models with keras-hub weights: {sorted(MODELS)}).")
    for spec in model_sources(name):
        if preset in spec.presets:
            return spec
    owner = _owner(preset)
    if owner is None:
        raise ValueError(f"{label}: unknown keras-hub preset {preset!r}; {name} accepts "
                         f"{presets(name)}.")
    backbones = ", ".join(spec.backbone for spec in model_sources(name))
    raise ValueError(f"{label}: {preset!r} is a keras_hub.models.{owner} preset, not one of "
                     f"{name}'s ({backbones}); {name} accepts {presets(name)}.")


def _source(name, backbone):
    """The ``Source`` of zoo model ``name`` for a keras-hub ``backbone`` instance."""
    specs = model_sources(name)
    for spec in specs:
        if type(backbone).__name__ == spec.backbone:
            return spec
    return specs[0]  # a subclass or stand-in: the model's first source


def converter_affine(converter):
    """``(matrix, offset)`` on [0, 1] images of a keras-hub image converter (which applies
    ``x * scale + offset`` to [0, 255] pixels), or None when it does neither."""
    if converter is None or (converter.scale is None and converter.offset is None):
        return None
    scale = np.broadcast_to(np.asarray(1.0 if converter.scale is None else converter.scale,
                                       "float64"), (3,))
    offset = np.broadcast_to(np.asarray(0.0 if converter.offset is None else converter.offset,
                                        "float64"), (3,))
    return np.diag(255.0 * scale).astype("float32"), offset.astype("float32")


def _rule_tensors(spec, backbone, label):
    """``(their variable, our path, value)`` of every backbone variable by ``spec.rules``."""
    out = []
    for variable in backbone.weights:
        found = [(rule, re.search(pattern, variable.path)) for pattern, rule in spec.rules]
        found = [(rule, match) for rule, match in found if match]
        if not found:
            raise ValueError(f"{label}: their tensor {variable.path!r} {tuple(variable.shape)} "
                             "has no counterpart in our model (no mapping rule).")
        rule, match = found[0]
        path = rule(match)
        if spec.unused is not None and re.search(spec.unused, path):
            path = None  # read by nothing of ours (see the Source)
        out.append((variable, path, np.asarray(variable)))
    return out


def convert(backbone, model, name, label, spec=None):
    """Copies the keras-hub ``backbone``'s variables into the zoo ``model`` by path rules, or
    by structure; ``spec``: the ``Source`` (by default the one of ``name`` for the backbone's
    class)."""
    spec = spec or _source(name, backbone)
    if spec.rules is None and spec.tensors is None:
        structure.transfer(backbone, model, label, new_head=spec.new_head, skip=spec.skip)
        return model
    ours = {v.path: v for v in model.weights}
    assigned = set()
    if spec.tensors is not None:
        try:
            tensors = spec.tensors(backbone, model)
        except ValueError as error:
            raise ValueError(f"{label}: {error}") from error
    else:
        tensors = _rule_tensors(spec, backbone, label)
    walked = {id(variable) for variable, _, _ in tensors}
    missed = [v for v in backbone.weights if id(v) not in walked]
    if missed:
        raise ValueError(f"{label}: their tensor {missed[0].path!r} {tuple(missed[0].shape)} "
                         "has no counterpart in our model (not mapped).")
    for variable, path, value in tensors:
        if path is None:
            continue  # read into another tensor's value (CLIP's position_ids) or unused
        if path not in ours:
            raise ValueError(f"{label}: their tensor {variable.path!r} {tuple(variable.shape)} "
                             f"maps to our {path!r}, which the model does not have.")
        if value.shape[:1] == (1,) and value.shape[1:] == tuple(ours[path].shape):
            value = value[0]  # DeiT keeps a batch axis on its position embedding
        rows = tuple(ours[path].shape)[:1]
        if (path in spec.positions and value.shape[1:] == tuple(ours[path].shape)[1:]
                and value.shape[0] > rows[0]):
            value = value[:rows[0]]  # a shorter context uses the first positions, as theirs
        if path in spec.grids and value.shape != tuple(ours[path].shape):
            value = _resampled(value, model, label)
        if tuple(ours[path].shape) != value.shape:
            raise ValueError(f"{label}: their tensor {variable.path!r} {tuple(variable.shape)} "
                             f"does not fit our {path!r} {tuple(ours[path].shape)}.")
        ours[path].assign(value)
        assigned.add(path)
    missing = [path for path in ours
               if path not in assigned and not re.search(spec.new_tensors, path)]
    if missing:
        first = missing[0]
        raise ValueError(f"{label}: our tensor {first!r} {tuple(ours[first].shape)} has no "
                         "counterpart in the backbone.")
    return model


def _resampled(value, model, label):
    """A ViT position table ``[1 + N, D]`` of a square grid resampled to ``model``'s grid."""
    from keras_zoo.layers.patch_embedding import resample_position_embedding

    layer = model.get_layer("patch_embedding")
    rows, cols = model.inputs[0].shape[1:3]
    grid = (rows // layer.patch_size[0], cols // layer.patch_size[1])
    side = int(round((value.shape[0] - 1) ** 0.5))
    if side * side != value.shape[0] - 1 or value.shape[1:] != (layer.hidden_dim,):
        raise ValueError(f"{label}: their position table {value.shape} is not a class token "
                         f"and a square grid of width {layer.hidden_dim}.")
    return resample_position_embedding(value, (side, side), grid, num_tokens=1)


def load(entry, preset, zoo_preset, config):
    """The zoo model of ``entry`` with the keras-hub ``preset``'s backbone weights, and the
    preprocessing of the preset's image converter as ``(matrix, offset)`` (or None)."""
    import keras_hub

    label = f"{entry.name}: weights='keras_hub:{preset}'"
    spec = _check_preset(entry.name, preset, label)
    if spec.top_refused and entry.config(zoo_preset, **config).get("include_top", True):
        raise ValueError(f"{label}: load these weights with include_top=False ("
                         f"{spec.top_refused}); a new head then goes on the backbone.")
    try:
        backbone = getattr(keras_hub.models, spec.backbone).from_preset(preset)
        converter = (getattr(keras_hub.layers, spec.converter).from_preset(preset)
                     if spec.converter else None)
    except (OSError, ConnectionError) as error:  # offline, or no cached copy
        raise OSError(f"{label}: keras-hub's from_preset failed ({str(error).splitlines()[0]})."
                      f" {OFFLINE}") from error
    try:
        defaults = spec.config(backbone.get_config())
    except NotImplementedError as error:
        raise ValueError(f"{label}: {error}") from error
    model = entry.build(zoo_preset, **{**defaults, **config})
    convert(backbone, model, entry.name, f"{label} (keras_hub.models.{spec.backbone})", spec)
    return model, converter_affine(converter)

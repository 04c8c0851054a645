"""The zoo's transformers against keras-hub's backbones (``keras-zoo benchmark MODEL --against
keras-hub``): ViT, DeiT (distilled), Swin, BERT and GPT-2.

keras-hub's backbone is built **directly with random weights** at the zoo model's paper config
(never ``from_preset``: no download), and given the zoo model's head, so that both compute the
same function class: ViT's Dense on the class token, DeiT's two Dense heads on the class and
distillation tokens averaged (the paper's late fusion), Swin's average over tokens + Dense,
BERT's Dense on the pooled [CLS] output (segment ids all zero, padding mask ``tokens != 0``, as
the zoo's ``bert_classifier``), GPT-2's tied output projection (``token_embedding(x,
reverse=True)``, as ``GPT2CausalLM``). The configs are those ``keras_zoo.weights.keras_hub``
maps between the two (same epsilon, GELU and biases); equal parameter counts are checked before
anything is timed. Both take one input (images, or token ids) of the same shape.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Pair:
    """A zoo model and the keras-hub backbone class and config with the same architecture.

    ``zoo``: arguments for ``keras_zoo.models.get(name, "canonical", **zoo)``; ``hub``: for
    ``keras_hub.models.<backbone>(**hub)``; ``head``: how the head is put on the backbone."""

    backbone: str
    head: str
    zoo: dict
    hub: dict
    text: bool = False


def _vit(patch, hidden, layers, heads, mlp):
    return Pair("ViTBackbone", "class_token",
                dict(patch_size=patch, hidden_dim=hidden, num_layers=layers, num_heads=heads,
                     mlp_dim=mlp, dropout=0.0),
                dict(image_shape=(224, 224, 3), patch_size=patch, hidden_dim=hidden,
                     num_layers=layers, num_heads=heads, mlp_dim=mlp, dropout_rate=0.0))


def _deit(hidden, heads):
    return Pair("DeiTBackbone", "distilled",
                dict(dropout=0.0),
                dict(image_shape=(224, 224, 3), patch_size=16, hidden_dim=hidden,
                     num_layers=12, num_heads=heads, intermediate_dim=4 * hidden,
                     dropout_rate=0.0))


def _swin(embed, depths, heads):
    return Pair("SwinTransformerBackbone", "average_pool", {},
                dict(image_shape=(224, 224, 3), patch_size=4, embed_dim=embed, depths=depths,
                     num_heads=heads, window_size=7, mlp_ratio=4.0, drop_path=0.0))


#: The sequence length of the text models' inputs (GPT-2's context is 1024, which on 2 cores
#: makes a training step of batch 8 take tens of seconds); ``--sequence-length`` overrides it.
SEQUENCE_LENGTH = 128

PAIRS = {
    "vit_b16": _vit(16, 768, 12, 12, 3072),
    "vit_b32": _vit(32, 768, 12, 12, 3072),
    "vit_l16": _vit(16, 1024, 24, 16, 4096),
    "vit_h14": _vit(14, 1280, 32, 16, 5120),
    "deit_ti_distilled": _deit(192, 3),
    "deit_s_distilled": _deit(384, 6),
    "deit_b_distilled": _deit(768, 12),
    "swin_t": _swin(96, (2, 2, 6, 2), (3, 6, 12, 24)),
    "swin_s": _swin(96, (2, 2, 18, 2), (3, 6, 12, 24)),
    "swin_b": _swin(128, (2, 2, 18, 2), (4, 8, 16, 32)),
    # keras-hub's BERT uses GELU's tanh approximation (keras_zoo.weights.keras_hub).
    "bert_classifier": Pair("BertBackbone", "pooled",
                            dict(activation="gelu_approximate", classes=2),
                            dict(vocabulary_size=30522, num_layers=12, num_heads=12,
                                 hidden_dim=768, intermediate_dim=3072, dropout=0.1,
                                 max_sequence_length=512, num_segments=2), text=True),
    "gpt2": Pair("GPT2Backbone", "tied",
                 dict(vocabulary_size=50257, intermediate_dim=3072, dropout=0.1),
                 dict(vocabulary_size=50257, num_layers=12, num_heads=12, hidden_dim=768,
                      intermediate_dim=3072, dropout=0.1), text=True),
}


def pair_for(name):
    if name not in PAIRS:
        raise ValueError(f"benchmark --against keras-hub: {name!r} has no keras-hub backbone "
                         f"here; models with one: {', '.join(sorted(PAIRS))}.")
    return PAIRS[name]


def hub_model(pair, classes, sequence_length=None, hub_overrides=None):
    """keras-hub's ``pair.backbone`` with random weights and the zoo model's head, as one
    functional model with one input (images, or ``tokens`` of ``sequence_length``)."""
    import keras
    import keras_hub

    config = {**pair.hub, **(hub_overrides or {})}
    if pair.backbone == "GPT2Backbone":
        config["max_sequence_length"] = sequence_length
    backbone = getattr(keras_hub.models, pair.backbone)(**config)
    if pair.text:
        tokens = keras.Input((sequence_length,), dtype="int32", name="tokens")
        if pair.head == "pooled":
            out = backbone({"token_ids": tokens, "segment_ids": keras.ops.zeros_like(tokens),
                            "padding_mask": keras.ops.not_equal(tokens, 0)})
            out = keras.layers.Dropout(config["dropout"], name="classifier_dropout")(
                out["pooled_output"])
            out = keras.layers.Dense(classes, activation="softmax", name="predictions")(out)
        else:  # GPT-2: no padding (the zoo's gpt2 has no padding mask), tied projection
            hidden = backbone({"token_ids": tokens,
                               "padding_mask": keras.ops.ones_like(tokens, dtype="bool")})
            out = backbone.token_embedding(hidden, reverse=True)
        return keras.Model(tokens, out, name=f"keras_hub_{pair.backbone}")
    images = keras.Input(config["image_shape"], name="images")
    x = backbone(images)
    if pair.head == "class_token":
        out = keras.layers.Dense(classes, activation="softmax", name="predictions")(x[:, 0])
    elif pair.head == "distilled":
        logits = [keras.layers.Dense(classes, name=name)(x[:, i])
                  for i, name in enumerate(("head", "head_dist"))]
        out = keras.layers.Activation("softmax", name="predictions")(
            keras.layers.Average(name="late_fusion")(logits))
    else:  # keras-hub's Swin returns the normalised tokens [B, L, C] (0.32) or a map
        pool = (keras.layers.GlobalAveragePooling1D if len(x.shape) == 3
                else keras.layers.GlobalAveragePooling2D)
        x = pool(name="avg_pool")(x)
        out = keras.layers.Dense(classes, activation="softmax", name="predictions")(x)
    return keras.Model(images, out, name=f"keras_hub_{pair.backbone}")


def build_pair(name, sequence_length=None, preset="canonical", zoo_overrides=None,
               hub_overrides=None, control=True):
    """``(ours, theirs, control or None)``: the zoo's ``name`` and keras-hub's backbone with the
    same head (twice: the second is the control), all with random weights; refuses a pair
    whose parameter counts differ. The overrides (tests: small configs) are merged into the
    configs of ``PAIRS``."""
    import keras_zoo

    pair = pair_for(name)
    if sequence_length is not None and not pair.text:
        raise ValueError(f"benchmark --against keras-hub: --sequence-length applies to the text "
                         f"models (bert_classifier, gpt2), not {name}.")
    zoo = {**pair.zoo, **(zoo_overrides or {})}
    if pair.text:
        sequence_length = sequence_length or SEQUENCE_LENGTH
        zoo["sequence_length"] = sequence_length
        if pair.backbone == "BertBackbone":
            zoo.update({k: v for k, v in {**pair.hub, **(hub_overrides or {})}.items()
                        if k in ("vocabulary_size", "num_layers", "num_heads", "hidden_dim",
                                 "intermediate_dim", "max_sequence_length", "num_segments")})
    ours = keras_zoo.models.get(name, preset, **zoo)
    classes = ours.output_shape[-1]
    models = [hub_model(pair, classes, sequence_length, hub_overrides)
              for _ in range(2 if control else 1)]
    theirs = models[0]
    if ours.count_params() != theirs.count_params():
        raise ValueError(
            f"benchmark: {name} has {ours.count_params():,} parameters, keras-hub's "
            f"{pair.backbone} with the same head {theirs.count_params():,}: not the same "
            "architecture.")
    if tuple(ours.input_shape) != tuple(theirs.input_shape):
        raise ValueError(f"benchmark: input shapes differ: ours {ours.input_shape}, keras-hub's "
                         f"{theirs.input_shape}.")
    return ours, theirs, (models[1] if control else None)


def random_batch(model, batch_size, seed=0, text=False):
    """``(x, y)`` for ``model``: images in [0, 1), or token ids in [1, vocabulary) of its
    ``token_embedding`` layer (no padding id 0); and labels (classes, or the next tokens for a
    language model's ``[B, T, V]`` output)."""
    import numpy as np

    from keras_zoo.benchmarks.applications import random_batch as images

    if not text:
        return images(model, batch_size, seed)
    rng = np.random.default_rng(seed)
    vocabulary = model.get_layer("token_embedding").input_dim
    x = rng.integers(1, vocabulary, (batch_size, *model.input_shape[1:])).astype("int32")
    y = rng.integers(0, model.output_shape[-1], (batch_size, *model.output_shape[1:-1]))
    return x, y

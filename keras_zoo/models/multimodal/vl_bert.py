"""VL-BERT (Su et al., VL-BERT: Pre-training of Generic Visual-Linguistic Representations, ICLR
2020): one BERT-style stream over the caption's words and the image's regions; every element is
the sum of a token embedding, a visual feature embedding (the element's region, the whole image
for words), a segment embedding and a position embedding (section 3.2); pre-trained by masked
language modelling with visual clues and masked RoI classification with linguistic clues.
"""

from __future__ import annotations

import keras
from keras import ops

from keras_zoo.blocks.transformer import transformer_encoder_block
from keras_zoo.data import captions as captions_data
from keras_zoo.layers.position_encoding import LearnedPositionEmbedding
from keras_zoo.models.multimodal.image_text import (
    check_positive,
    detector_config,
    faster_rcnn_region_encoder,
    masked_multimodal_loss,
    pretraining_inputs,
    region_features,
)
from keras_zoo.models.registry import register


@keras.saving.register_keras_serializable(package="keras_zoo")
class VLBERT(keras.Model):
    """Inputs and outputs as ``ViLBERT``'s (``keras_zoo.data.captions.pretraining``).

    The alignment head on ``[CLS]`` is the sentence-image relationship prediction the paper
    studied and dropped (section 3.2, Table 5: it did not help downstream); it is kept so that
    the image-text models share one task, with weight 1.

    Args:
        input_shape: the image's ``(H, W, 3)``.
        filters: the region CNN's stage widths.
        num_layers, hidden_dim, num_heads, intermediate_dim: the transformer (BERT's L, H, A).
        caption_length: L words; vocabulary_size: V; region_classes: C.
        dropout: dropout in the transformer.
        region_encoder: ``"cnn"`` (RoIAlign over the small CNN of ``filters``, trained with
            the model) or ``"faster_rcnn"``: each box's feature is the zoo's Faster R-CNN's
            box-head ``fc7`` output (its backbone, RoIAlign and ``fc6``/``fc7``; ``keras_zoo.
            models.multimodal.image_text.faster_rcnn_region_encoder``), as the paper takes a
            detector's region features.
        region_encoder_config: with ``"faster_rcnn"``, the detector's ``backbone``,
            ``filters``, ``pool_size``, ``head_units`` (defaults: its conv stack of
            ``filters``, 2, 64).
        region_encoder_weights: with ``"faster_rcnn"``, a trained ``faster_rcnn`` ``.keras``
            file whose backbone and ``fc6``/``fc7`` weights are loaded (its config then defines
            the encoder); a ``ValueError`` if the file is not a ``faster_rcnn``. Not kept in
            the config: the weights are saved with the model.
    """

    def __init__(self, input_shape=(32, 32, 3), filters=(16, 32), num_layers=2, hidden_dim=64,
                 num_heads=4, intermediate_dim=128, caption_length=captions_data.CAPTION_LENGTH,
                 vocabulary_size=captions_data.VOCABULARY_SIZE,
                 region_classes=captions_data.REGION_CLASS_COUNT, dropout=0.0,
                 region_encoder="cnn", region_encoder_config=None, region_encoder_weights=None,
                 name=None, **kwargs):
        owner = "VLBERT"
        input_shape, filters = tuple(input_shape), tuple(filters)
        for arg, value in (("num_layers", num_layers), ("hidden_dim", hidden_dim),
                           ("num_heads", num_heads), ("intermediate_dim", intermediate_dim),
                           ("caption_length", caption_length),
                           ("vocabulary_size", vocabulary_size),
                           ("region_classes", region_classes)) + tuple(
                               ("filters", f) for f in filters):
            check_positive(owner, arg, value)
        if hidden_dim % num_heads:
            raise ValueError(f"{owner}: hidden_dim={hidden_dim} must be divisible by "
                             f"num_heads={num_heads}.")
        region_encoder, detector = detector_config(region_encoder, region_encoder_config,
                                                   region_encoder_weights, filters, owner)
        inputs = pretraining_inputs(input_shape, caption_length)
        encoder = None if detector is None else faster_rcnn_region_encoder(
            input_shape, inputs["boxes"].shape[1], detector, region_encoder_weights)
        tokens = inputs["tokens"]
        regions = region_features(inputs, filters, hidden_dim,
                                  encoder=encoder)  # appearance + geometry
        segment = keras.layers.Embedding(2, hidden_dim, name="segment_embedding")
        # Words: token + position + segment A + the whole image's visual feature (box 0).
        words = keras.layers.Embedding(vocabulary_size, hidden_dim,
                                       name="token_embedding")(tokens)
        words = words + LearnedPositionEmbedding(caption_length, name="position_embedding")(
            words) + segment(ops.zeros_like(tokens)) + regions[:, :1]
        # Regions: the [IMG] token embedding (one learned vector; all visual elements share a
        # position, so it carries that too) + segment B + the region's visual feature.
        region_ids = ops.zeros_like(inputs["region_valid"], dtype="int32")
        visual = regions + keras.layers.Embedding(1, hidden_dim, name="img_token_embedding")(
            region_ids) + segment(region_ids + 1)
        x = keras.layers.Concatenate(axis=1, name="elements")([words, visual])
        x = keras.layers.LayerNormalization(epsilon=1e-12, name="embeddings_norm")(x)
        keep = ops.concatenate([ops.cast(ops.not_equal(tokens, captions_data.PAD), "float32"),
                                inputs["region_valid"]], axis=1)
        attention_mask = ops.expand_dims(ops.cast(keep, "bool"), 1)
        for i in range(num_layers):
            x = transformer_encoder_block(x, num_heads, hidden_dim // num_heads,
                                          intermediate_dim, dropout=dropout, norm_first=False,
                                          attention_mask=attention_mask, epsilon=1e-12,
                                          name=f"transformer_layer_{i}")
        word_logits = keras.layers.Dense(vocabulary_size, name="word_logits")(
            x[:, :caption_length])
        region_logits = keras.layers.Dense(region_classes, name="region_logits")(
            x[:, caption_length:])
        alignment = keras.layers.Dense(1, name="alignment_logit")(x[:, 0])
        super().__init__(inputs, {"word_logits": word_logits, "region_logits": region_logits,
                                  "alignment_logit": alignment},
                         name=name or "vl_bert", **kwargs)
        self.caption_length = caption_length
        self._config = {"input_shape": input_shape, "filters": filters,
                        "num_layers": num_layers, "hidden_dim": hidden_dim,
                        "num_heads": num_heads, "intermediate_dim": intermediate_dim,
                        "caption_length": caption_length, "vocabulary_size": vocabulary_size,
                        "region_classes": region_classes, "dropout": dropout,
                        "region_encoder": region_encoder, "region_encoder_config": detector}

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        return masked_multimodal_loss(y, y_pred)

    def get_config(self):
        return {**self._config, "name": self.name}


register("vl_bert", task="masked_multimodal", family="multimodal",
         tiny={"input_shape": (16, 16, 3), "filters": (8,), "num_layers": 1, "hidden_dim": 16,
               "num_heads": 2, "intermediate_dim": 32, "caption_length": 6},
         canonical={"input_shape": (32, 32, 3), "filters": (16, 32), "num_layers": 2,
                    "hidden_dim": 64, "num_heads": 4, "intermediate_dim": 128},
         data="shape_captions", recipe="masked_multimodal",
         paper="Su et al., VL-BERT: Pre-training of Generic Visual-Linguistic Representations, "
               "ICLR 2020",
         notes="Single stream over words and regions; region features by RoIAlign over a small "
               "CNN trained with the model, or region_encoder='faster_rcnn': the zoo's Faster "
               "R-CNN's backbone, RoIAlign and box-head fc7 on the given boxes, optionally "
               "from a trained faster_rcnn file (the paper: Fast R-CNN on ResNet-101); "
               "BERT-Base size is L=12, H=768, A=12.")(VLBERT)

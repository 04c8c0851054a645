"""ViLBERT (Lu, Batra, Parikh & Lee, ViLBERT: Pretraining Task-Agnostic Visiolinguistic
Representations for Vision-and-Language Tasks, NeurIPS 2019): a linguistic stream (BERT) and a
visual stream over image regions, joined by co-attentional transformer layers (Co-TRM,
``keras_zoo.layers.CoAttention``), pre-trained by masked multimodal learning and multimodal
alignment prediction (section 3.2).

Regions: the whole image (the ``[IMG]`` token) and the object boxes, pooled by RoIAlign from a
CNN feature map, or (``region_encoder="faster_rcnn"``) the zoo's Faster R-CNN's box-head
features of the boxes (the paper uses a Faster R-CNN's 10-36 detected regions, 2048-d, frozen).
"""

from __future__ import annotations

import keras
from keras import ops

from keras_zoo.blocks.transformer import transformer_encoder_block
from keras_zoo.data import captions as captions_data
from keras_zoo.layers.co_attention import CoAttention
from keras_zoo.models.multimodal.image_text import (
    check_positive,
    detector_config,
    faster_rcnn_region_encoder,
    masked_multimodal_loss,
    pretraining_inputs,
    region_features,
)
from keras_zoo.models.registry import register
from keras_zoo.models.sequence.bert import bert_encoder

#: The authors' configuration (github.com/facebookresearch/vilbert-multi-task,
#: config/bert_base_6layer_6conect.json; the paper's section 4 "Implementation details" gives
#: the same: BERT-base linguistic stream, 6 visual TRM and 6 Co-TRM layers). Field by field:
#: hidden_size 768, num_attention_heads 12, intermediate_size 3072, vocab_size 30522,
#: max_position_embeddings 512 (BERT-base); num_hidden_layers 12 with t_biattention_id
#: [6..11], so 6 linguistic TRMs before the first Co-TRM (``text_layers``) and one after each
#: of the 6 Co-TRMs (``co_layers``; v_num_hidden_layers 6, v_biattention_id [0..5]);
#: v_hidden_size 1024, v_num_attention_heads 8, v_intermediate_size 1024 (the visual stream);
#: bi_hidden_size 1024 over bi_num_attention_heads 8 = 8 heads of 128 (the Co-TRM's);
#: v_feature_size 2048 (the detector's region features); v_target_size 1601 (Visual Genome's
#: 1,600 classes + background, the masked region targets).
VILBERT = {"text_layers": 6, "co_layers": 6, "hidden_dim": 768, "num_heads": 12,
           "intermediate_dim": 3072, "visual_dim": 1024, "visual_heads": 8,
           "visual_intermediate_dim": 1024, "co_heads": 8, "co_key_dim": 128,
           "vocabulary_size": 30522, "max_sequence_length": 512}

#: The paper's region features and region targets (v_feature_size, v_target_size).
VILBERT_REGION_FEATURES, VILBERT_REGION_CLASSES = 2048, 1601


def parameter_count(text_layers, co_layers, hidden_dim, intermediate_dim, visual_dim,
                    visual_intermediate_dim, co_heads, co_key_dim, vocabulary_size,
                    max_sequence_length, region_feature_dim, region_classes, **unused):
    """ViLBERT's parameters by formula (the paper gives no total), region encoder excluded:
    the model over ``region_feature_dim``-d region features, as the paper counts a frozen
    detector's 2048-d features as input. ``ViLBERT(...).count_params()`` is this plus the
    region encoder's (tested).

    With ``VILBERT`` and the paper's 2048-d features and 1,601 region classes:
    ``parameter_count(**VILBERT, region_feature_dim=2048, region_classes=1601)`` =
    259,768,956. A transformer layer of width d and feed-forward width f has
    ``4 d^2 + 4 d`` (Q, K, V, output) ``+ 2 d f + f + d`` (feed-forward) ``+ 4 d`` (two
    LayerNorms); a Co-TRM stream of width d attending over the other's e with ``b = co_heads
    * co_key_dim`` has ``(d + 1) b`` (Q) ``+ 2 (e + 1) b`` (K, V) ``+ (b + 1) d`` (output)
    plus the same feed-forward and LayerNorms. The zoo's heads: word logits
    ``(H + 1) V`` (BERT ties its decoder to the embedding; not here), region logits, a
    ``[CLS]`` projection to the visual width and the alignment logit.

    Args:
        text_layers, co_layers, hidden_dim, intermediate_dim, visual_dim,
            visual_intermediate_dim, co_heads, co_key_dim, vocabulary_size,
            max_sequence_length: ``ViLBERT``'s.
        region_feature_dim: the width of a region's feature before the visual projection.
        region_classes: the masked region classification's classes.
        unused: other ``ViLBERT`` arguments (head counts within a stream do not change it).
    """
    h, f, v, fv = hidden_dim, intermediate_dim, visual_dim, visual_intermediate_dim
    b = co_heads * co_key_dim

    def trm(d, ff):
        return 4 * d * d + 4 * d + 2 * d * ff + ff + d + 4 * d

    def co_stream(d, e, ff):
        return (d + 1) * b + 2 * (e + 1) * b + (b + 1) * d + 2 * d * ff + ff + d + 4 * d

    text_embeddings = (vocabulary_size + max_sequence_length + 1) * h + 2 * h  # + 1 segment
    visual_embeddings = (region_feature_dim + 1) * v + (5 + 1) * v + 2 * v  # + location, LN
    streams = (text_layers + co_layers) * trm(h, f) + co_layers * trm(v, fv)
    co_trm = co_layers * (co_stream(v, h, fv) + co_stream(h, v, f))
    heads = (h + 1) * vocabulary_size + (v + 1) * region_classes + (h + 1) * v + v + 1
    return text_embeddings + visual_embeddings + streams + co_trm + heads


@keras.saving.register_keras_serializable(package="keras_zoo")
class ViLBERT(keras.Model):
    """Inputs: ``keras_zoo.data.captions.pretraining``'s ``x`` (``image``, masked ``tokens``,
    ``boxes`` [B, R, 4], ``region_valid``, ``region_masked``); outputs ``word_logits``
    [B, L, V], ``region_logits`` [B, R, C] and ``alignment_logit`` [B, 1]. ``compute_loss`` is
    the masked multimodal loss plus the alignment loss.

    Args:
        input_shape: the image's ``(H, W, 3)``.
        filters: the region CNN's stage widths.
        text_layers: linguistic TRM layers before the first Co-TRM (BERT's).
        co_layers: Co-TRM layers, each followed by one TRM per stream (Fig. 2b).
        hidden_dim, num_heads, intermediate_dim: the linguistic stream (BERT's H, A, 4H).
        visual_dim, visual_heads, visual_intermediate_dim: the visual stream.
        co_heads, co_key_dim: the co-attention heads and their width.
        caption_length: L; vocabulary_size: V; region_classes: C.
        max_sequence_length: BERT's position embeddings.
        dropout: dropout everywhere (0.1 in the paper).
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

    def __init__(self, input_shape=(32, 32, 3), filters=(16, 32), text_layers=1, co_layers=2,
                 hidden_dim=64, num_heads=4, intermediate_dim=128, visual_dim=64,
                 visual_heads=4, visual_intermediate_dim=128, co_heads=4, co_key_dim=16,
                 caption_length=captions_data.CAPTION_LENGTH,
                 vocabulary_size=captions_data.VOCABULARY_SIZE,
                 region_classes=captions_data.REGION_CLASS_COUNT, max_sequence_length=None,
                 dropout=0.0, region_encoder="cnn", region_encoder_config=None,
                 region_encoder_weights=None, name=None, **kwargs):
        owner = "ViLBERT"
        input_shape, filters = tuple(input_shape), tuple(filters)
        if not isinstance(text_layers, int) or text_layers < 0:
            raise ValueError(f"{owner}: text_layers must be an int >= 0, got {text_layers!r}.")
        for arg, value in (("co_layers", co_layers),
                           ("hidden_dim", hidden_dim), ("num_heads", num_heads),
                           ("intermediate_dim", intermediate_dim), ("visual_dim", visual_dim),
                           ("visual_heads", visual_heads),
                           ("visual_intermediate_dim", visual_intermediate_dim),
                           ("co_heads", co_heads), ("co_key_dim", co_key_dim),
                           ("caption_length", caption_length),
                           ("vocabulary_size", vocabulary_size),
                           ("region_classes", region_classes)) + tuple(
                               ("filters", f) for f in filters):
            check_positive(owner, arg, value)
        for arg, width, heads in (("hidden_dim", hidden_dim, num_heads),
                                  ("visual_dim", visual_dim, visual_heads)):
            if width % heads:
                raise ValueError(f"{owner}: {arg}={width} must be divisible by its heads "
                                 f"({heads}).")
        max_sequence_length = max_sequence_length or caption_length
        region_encoder, detector = detector_config(region_encoder, region_encoder_config,
                                                   region_encoder_weights, filters, owner)
        inputs = pretraining_inputs(input_shape, caption_length)
        encoder = None if detector is None else faster_rcnn_region_encoder(
            input_shape, inputs["boxes"].shape[1], detector, region_encoder_weights)
        tokens = inputs["tokens"]
        text_mask = ops.not_equal(tokens, captions_data.PAD)
        w, _, _ = bert_encoder(tokens, ops.zeros_like(tokens), text_mask, vocabulary_size,
                               text_layers, hidden_dim, num_heads, intermediate_dim,
                               max_sequence_length, 1, dropout)
        v = region_features(inputs, filters, visual_dim, encoder=encoder)
        v = keras.layers.LayerNormalization(epsilon=1e-12, name="visual_embedding_norm")(v)
        region_valid = inputs["region_valid"]
        visual_attention_mask = ops.expand_dims(ops.cast(region_valid, "bool"), 1)
        text_attention_mask = ops.expand_dims(text_mask, 1)
        for i in range(co_layers):
            v, w = CoAttention(co_heads, co_key_dim, visual_intermediate_dim, intermediate_dim,
                               dropout=dropout, name=f"co_trm_{i}")(
                [v, w], visual_mask=region_valid, linguistic_mask=text_mask)
            v = transformer_encoder_block(
                v, visual_heads, visual_dim // visual_heads, visual_intermediate_dim,
                dropout=dropout, norm_first=False, attention_mask=visual_attention_mask,
                epsilon=1e-12, name=f"visual_trm_{i}")
            w = transformer_encoder_block(
                w, num_heads, hidden_dim // num_heads, intermediate_dim, dropout=dropout,
                norm_first=False, attention_mask=text_attention_mask, epsilon=1e-12,
                name=f"linguistic_trm_{i}")
        word_logits = keras.layers.Dense(vocabulary_size, name="word_logits")(w)
        region_logits = keras.layers.Dense(region_classes, name="region_logits")(v)
        # Alignment (section 3.2): the element-wise product of h_IMG and h_CLS, then linear;
        # the streams' widths differ, so each is projected to the visual width first.
        h_img = ops.take(v, 0, axis=1)
        h_cls = keras.layers.Dense(visual_dim, name="cls_projection")(ops.take(w, 0, axis=1))
        joint = keras.layers.Multiply(name="img_cls_product")([h_img, h_cls])
        alignment = keras.layers.Dense(1, name="alignment_logit")(joint)
        super().__init__(inputs, {"word_logits": word_logits, "region_logits": region_logits,
                                  "alignment_logit": alignment},
                         name=name or "vilbert", **kwargs)
        self.caption_length = caption_length
        self._config = {"input_shape": input_shape, "filters": filters,
                        "text_layers": text_layers, "co_layers": co_layers,
                        "hidden_dim": hidden_dim, "num_heads": num_heads,
                        "intermediate_dim": intermediate_dim, "visual_dim": visual_dim,
                        "visual_heads": visual_heads,
                        "visual_intermediate_dim": visual_intermediate_dim,
                        "co_heads": co_heads, "co_key_dim": co_key_dim,
                        "caption_length": caption_length, "vocabulary_size": vocabulary_size,
                        "region_classes": region_classes,
                        "max_sequence_length": max_sequence_length, "dropout": dropout,
                        "region_encoder": region_encoder, "region_encoder_config": detector}

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        return masked_multimodal_loss(y, y_pred)

    def get_config(self):
        return {**self._config, "name": self.name}


register("vilbert", task="masked_multimodal", family="multimodal",
         tiny={"input_shape": (16, 16, 3), "filters": (8,), "text_layers": 0, "co_layers": 1,
               "hidden_dim": 16, "num_heads": 2, "intermediate_dim": 32, "visual_dim": 16,
               "visual_heads": 2, "visual_intermediate_dim": 32, "co_heads": 2,
               "co_key_dim": 8, "caption_length": 6},
         canonical={"input_shape": (32, 32, 3), "filters": (16, 32), "text_layers": 2,
                    "co_layers": 2, "hidden_dim": 64, "num_heads": 4, "intermediate_dim": 128,
                    "visual_dim": 64, "visual_heads": 4, "visual_intermediate_dim": 128,
                    "co_heads": 4, "co_key_dim": 16},
         data="shape_captions", recipe="masked_multimodal",
         paper="Lu et al., ViLBERT: Pretraining Task-Agnostic Visiolinguistic Representations "
               "for Vision-and-Language Tasks, NeurIPS 2019",
         notes="Two streams joined by Co-TRM layers (keras_zoo.layers.CoAttention); region "
               "features by RoIAlign over a small CNN, or region_encoder='faster_rcnn': the "
               "zoo's Faster R-CNN's backbone, RoIAlign and box-head fc7 on the given boxes, "
               "optionally from a trained faster_rcnn file (the paper: a frozen Faster R-CNN's "
               "2048-d features); the "
               "paper's size is VILBERT in this module (the registry's canonical is a small "
               "config for the embedded shapes).")(ViLBERT)

"""CBT (Sun, Baradel, Murphy & Schmid, Learning Video Representations using Contrastive
Bidirectional Transformer, arXiv 1906.05743, 2019): a visual transformer over the continuous
S3D features of consecutive segments, trained by a contrastive (NCE) loss on masked segments
instead of VideoBERT's quantisation (section 3.2); BERT over the caption (masked language
modelling); and a cross-modal transformer over both whose first output scores the mutual
information of the pair (section 3.3). Loss: L_bert + w_visual L_visual + w_cross L_cross.

Departure, stated: the cross-modal NCE of the paper contrasts a caption's pair with the other
videos of the batch; here each example is either a clip with its caption or with another
clip's (``keras_zoo.data.captions.video_text``), and L_cross is the binary form of NCE
(Gutmann & Hyvarinen 2010: the pair against one noise pair) on that label.
"""

from __future__ import annotations

import keras
from keras import ops

from keras_zoo.blocks.transformer import transformer_encoder_block
from keras_zoo.data import captions as captions_data
from keras_zoo.layers.class_token import ClassToken
from keras_zoo.layers.position_encoding import LearnedPositionEmbedding
from keras_zoo.models.multimodal.ast import check_positive
from keras_zoo.models.multimodal.image_text import masked_multimodal_loss
from keras_zoo.models.multimodal.videobert import video_text_inputs
from keras_zoo.models.registry import register
from keras_zoo.models.sequence.bert import bert_encoder

PAPER = ("Sun, Baradel, Murphy & Schmid, Learning Video Representations using Contrastive "
         "Bidirectional Transformer, arXiv 1906.05743, 2019")


def _stack(x, layers, width, heads, intermediate, mask, dropout, prefix):
    for i in range(layers):
        x = transformer_encoder_block(x, heads, width // heads, intermediate, dropout=dropout,
                                      norm_first=False, attention_mask=mask, epsilon=1e-12,
                                      name=f"{prefix}_{i}")
    return x


@keras.saving.register_keras_serializable(package="keras_zoo")
class CBT(keras.Model):
    """Inputs as ``VideoBERT``'s (``features`` ``[B, S, D]``, ``tokens`` ``[B, L]``,
    ``segment_masked`` ``[B, S]``); outputs ``word_logits`` ``[B, L, V]``,
    ``alignment_logit`` ``[B, 1]`` (the cross-modal score), ``visual_context`` ``[B, S, H]``
    (the visual transformer's outputs e_t) and ``visual_targets`` ``[B, S, H]`` (the unmasked
    features' encodings f(x_t)). ``compute_loss``: MLM of the masked words (aligned pairs) +
    ``visual_weight`` x the NCE of each masked segment, its own encoding against every other
    segment of the batch (eq. 3) + ``cross_weight`` x the cross-modal NCE (binary form).

    Args:
        segments: S; feature_dim: D (S3D: 1024).
        num_layers, hidden_dim, num_heads, intermediate_dim: BERT (BERT-Base: 12, 768, 12,
            3072), also the visual and cross-modal transformers' width.
        visual_layers, cross_layers: the visual and cross-modal transformers' depth.
        caption_length: L; vocabulary_size: V.
        max_sequence_length: BERT's position embeddings (default L).
        visual_weight, cross_weight: the loss weights.
        dropout: dropout in every transformer.
    """

    visual_vocabulary = None  # continuous features: no quantisation

    def __init__(self, segments=2, feature_dim=1024, num_layers=12, hidden_dim=768,
                 num_heads=12, intermediate_dim=3072, visual_layers=2, cross_layers=1,
                 caption_length=7, vocabulary_size=captions_data.VOCABULARY_SIZE,
                 max_sequence_length=None, visual_weight=1.0, cross_weight=1.0, dropout=0.1,
                 name=None, **kwargs):
        owner = "CBT"
        check_positive(owner, segments=segments, feature_dim=feature_dim, num_layers=num_layers,
                       hidden_dim=hidden_dim, num_heads=num_heads,
                       intermediate_dim=intermediate_dim, visual_layers=visual_layers,
                       cross_layers=cross_layers, caption_length=caption_length,
                       vocabulary_size=vocabulary_size)
        for arg, value in (("visual_weight", visual_weight), ("cross_weight", cross_weight)):
            if not float(value) >= 0.0:
                raise ValueError(f"{owner}: {arg} must be >= 0, got {value!r}.")
        max_sequence_length = max_sequence_length or caption_length
        inputs = video_text_inputs(segments, feature_dim, caption_length)
        tokens = inputs["tokens"]
        text_mask = ops.not_equal(tokens, captions_data.PAD)
        w, _, embedding = bert_encoder(tokens, ops.zeros_like(tokens), text_mask,
                                       vocabulary_size, num_layers, hidden_dim, num_heads,
                                       intermediate_dim, max_sequence_length, 1, dropout)
        word_logits = embedding(w, reverse=True)
        # f(x_t): the features' encoding, both the visual transformer's input and the NCE's
        # positive; a masked segment's input is a learned [MASK] vector instead.
        targets = keras.layers.Dense(hidden_dim, name="feature_projection")(inputs["features"])
        masked = ops.expand_dims(inputs["segment_masked"], -1)
        mask_vector = ClassToken(name="mask_embedding")(targets)[:, :1]
        v = targets * (1.0 - masked) + mask_vector * masked
        v = keras.layers.Add(name="visual_positions")(
            [v, LearnedPositionEmbedding(segments, name="visual_position_embedding")(v)])
        v = keras.layers.LayerNormalization(epsilon=1e-12, name="visual_embedding_norm")(v)
        v = _stack(v, visual_layers, hidden_dim, num_heads, intermediate_dim, None, dropout,
                   "visual_transformer")
        context = keras.layers.Dense(hidden_dim, name="visual_context")(v)
        # The cross-modal transformer over [words; segments]; its first output (the text's
        # [CLS]) through an MLP is the pair's score.
        joint = keras.layers.Concatenate(axis=1, name="cross_inputs")([w, v])
        keep = ops.concatenate([text_mask, ops.ones_like(inputs["segment_masked"], "bool")], 1)
        joint = _stack(joint, cross_layers, hidden_dim, num_heads, intermediate_dim,
                       ops.expand_dims(keep, 1), dropout, "cross_transformer")
        score = keras.layers.Dense(hidden_dim, activation="relu", name="cross_mlp")(
            joint[:, 0])
        alignment = keras.layers.Dense(1, name="alignment_logit")(score)
        super().__init__(inputs, {"word_logits": word_logits, "alignment_logit": alignment,
                                  "visual_context": context, "visual_targets": targets},
                         name=name or "cbt", **kwargs)
        self.visual_weight, self.cross_weight = float(visual_weight), float(cross_weight)
        self._config = {"segments": segments, "feature_dim": feature_dim,
                        "num_layers": num_layers, "hidden_dim": hidden_dim,
                        "num_heads": num_heads, "intermediate_dim": intermediate_dim,
                        "visual_layers": visual_layers, "cross_layers": cross_layers,
                        "caption_length": caption_length, "vocabulary_size": vocabulary_size,
                        "max_sequence_length": max_sequence_length,
                        "visual_weight": visual_weight, "cross_weight": cross_weight,
                        "dropout": dropout}

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        # MLM + the cross-modal binary NCE: the image-text loss with no region term.
        loss = masked_multimodal_loss(y, y_pred, alignment_weight=self.cross_weight)
        return loss + self.visual_weight * visual_nce(
            y_pred["visual_context"], y_pred["visual_targets"], x["segment_masked"])

    def get_config(self):
        return {**self._config, "name": self.name}


def visual_nce(context, targets, segment_masked):
    """CBT's eq. 3: each masked segment's output e_t scores every segment encoding of the batch
    by a dot product; cross-entropy of its own, averaged over the masked segments."""
    width = ops.shape(context)[-1]
    e = ops.reshape(context, (-1, width))
    f = ops.reshape(targets, (-1, width))
    logits = ops.matmul(e, ops.transpose(f))
    labels = ops.arange(ops.shape(logits)[0])
    nll = keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
    masked = ops.reshape(ops.cast(segment_masked, "float32"), (-1,))
    return ops.sum(nll * masked) / ops.maximum(ops.sum(masked), 1.0)


register("cbt", task="video_text_pretraining", family="multimodal",
         tiny={"segments": 2, "feature_dim": 32, "num_layers": 1, "hidden_dim": 16,
               "num_heads": 2, "intermediate_dim": 32, "visual_layers": 1, "cross_layers": 1,
               "dropout": 0.0},
         canonical={},
         data="shape_clip_text", recipe="video_text_pretraining",
         paper=PAPER,
         notes="Continuous S3D features with a contrastive (NCE) loss on masked segments, BERT "
               "MLM, a cross-modal transformer scoring the pair (binary NCE on the data's "
               "aligned / swapped captions, not the paper's in-batch negatives). Default size: "
               "BERT-Base, a 2-layer visual and a 1-layer cross-modal transformer of its width "
               "(not checked against the paper).")(CBT)

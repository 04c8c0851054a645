"""VideoBERT (Sun, Myers, Vondrick, Murphy & Schmid, VideoBERT: A Joint Model for Video and
Language Representation Learning, ICCV 2019): BERT over a caption followed by visual words, the
S3D features of consecutive video segments quantised by hierarchical k-means
(``keras_zoo.layers.VisualWords``), pre-trained by masked language modelling, masked visual-word
prediction and linguistic-visual alignment on ``[CLS]`` (section 3).

The input is ``[CLS] words [>] v_1 .. v_S``: the caption's ``[START]`` is ``[CLS]``, ``[>]`` is
one more token, and the visual words extend BERT's vocabulary (ids ``V + 1 + k``); a masked
segment's visual word becomes ``[MASK]``.
"""

from __future__ import annotations

import keras
from keras import ops

from keras_zoo.data import captions as captions_data
from keras_zoo.layers.visual_words import VisualWords
from keras_zoo.models.multimodal.ast import check_positive
from keras_zoo.models.multimodal.image_text import masked_multimodal_loss
from keras_zoo.models.registry import register
from keras_zoo.models.sequence.bert import bert_encoder

PAPER = ("Sun, Myers, Vondrick, Murphy & Schmid, VideoBERT: A Joint Model for Video and Language "
         "Representation Learning, ICCV 2019")


def video_text_inputs(segments, feature_dim, caption_length):
    """The symbolic inputs of the video-text task (``keras_zoo.tasks.video_text``)."""
    return {"features": keras.Input((segments, feature_dim), name="features"),
            "tokens": keras.Input((caption_length,), dtype="int32", name="tokens"),
            "segment_masked": keras.Input((segments,), name="segment_masked")}


@keras.saving.register_keras_serializable(package="keras_zoo")
class VideoBERT(keras.Model):
    """Inputs ``features`` ``[B, S, D]`` (one S3D feature per segment), ``tokens`` ``[B, L]``
    (the masked caption), ``segment_masked`` ``[B, S]``; outputs ``word_logits`` ``[B, L, V]``
    (over the words), ``visual_logits`` ``[B, S, K]`` (over the visual words),
    ``alignment_logit`` ``[B, 1]`` and ``visual_words`` int32 ``[B, S]`` (the segments' visual
    words, the targets of the masked ones). ``compute_loss``: cross-entropy of the masked words
    and of the masked segments' visual words (aligned pairs only) + the alignment's binary
    cross-entropy. ``visual_vocabulary`` is the ``VisualWords`` layer (fit it with ``adapt``).

    Args:
        segments: S, segments per clip; feature_dim: D (S3D: 1024).
        branching, levels: the hierarchical k-means (12 and 4: K = 20736 visual words).
        num_layers, hidden_dim, num_heads, intermediate_dim: BERT (BERT-Large: 24, 1024, 16,
            4096, the paper's initialisation).
        caption_length: L; vocabulary_size: V, the words.
        max_sequence_length: BERT's position embeddings (default: L + 1 + S).
        dropout: BERT's dropout.
    """

    visual_vocabulary = None

    def __init__(self, segments=2, feature_dim=1024, branching=12, levels=4, num_layers=24,
                 hidden_dim=1024, num_heads=16, intermediate_dim=4096, caption_length=7,
                 vocabulary_size=captions_data.VOCABULARY_SIZE, max_sequence_length=None,
                 dropout=0.1, name=None, **kwargs):
        owner = "VideoBERT"
        check_positive(owner, segments=segments, feature_dim=feature_dim, branching=branching,
                       levels=levels, num_layers=num_layers, hidden_dim=hidden_dim,
                       num_heads=num_heads, intermediate_dim=intermediate_dim,
                       caption_length=caption_length, vocabulary_size=vocabulary_size)
        max_sequence_length = max_sequence_length or caption_length + 1 + segments
        if max_sequence_length < caption_length + 1 + segments:
            raise ValueError(f"{owner}: max_sequence_length={max_sequence_length} is shorter "
                             f"than caption_length + 1 + segments = "
                             f"{caption_length + 1 + segments}.")
        inputs = video_text_inputs(segments, feature_dim, caption_length)
        tokens = inputs["tokens"]
        vocabulary = VisualWords(branching, levels, name="visual_words")
        visual_words = vocabulary(inputs["features"])
        words = vocabulary_size + 1 + vocabulary.vocabulary_size
        visual_ids = ops.where(ops.greater(inputs["segment_masked"], 0.5), captions_data.MASK,
                               vocabulary_size + 1 + visual_words)
        separator = ops.full_like(tokens[:, :1], vocabulary_size)  # [>]
        ids = ops.concatenate([tokens, separator, visual_ids], axis=1)
        video_ones = ops.ones_like(ops.concatenate([separator, visual_ids], axis=1))
        segment_ids = ops.concatenate([ops.zeros_like(tokens), video_ones], axis=1)
        keep = ops.concatenate([ops.cast(ops.not_equal(tokens, captions_data.PAD), "int32"),
                                video_ones], axis=1)
        x, pooled, embedding = bert_encoder(ids, segment_ids, keep, words, num_layers,
                                            hidden_dim, num_heads, intermediate_dim,
                                            max_sequence_length, 2, dropout)
        logits = embedding(x, reverse=True)
        # One softmax per kind: a masked word among the words, a masked segment among the
        # visual words (the paper's joint vocabulary, split by what is asked for).
        word_logits = logits[:, :caption_length, :vocabulary_size]
        visual_logits = logits[:, caption_length + 1:, vocabulary_size + 1:]
        alignment = keras.layers.Dense(1, name="alignment_logit")(pooled)
        super().__init__(inputs, {"word_logits": word_logits, "visual_logits": visual_logits,
                                  "alignment_logit": alignment, "visual_words": visual_words},
                         name=name or "videobert", **kwargs)
        self.visual_vocabulary = vocabulary
        self._config = {"segments": segments, "feature_dim": feature_dim,
                        "branching": branching, "levels": levels, "num_layers": num_layers,
                        "hidden_dim": hidden_dim, "num_heads": num_heads,
                        "intermediate_dim": intermediate_dim, "caption_length": caption_length,
                        "vocabulary_size": vocabulary_size,
                        "max_sequence_length": max_sequence_length, "dropout": dropout}

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        masked = ops.greater(x["segment_masked"], 0.5)
        targets = ops.where(masked, y_pred["visual_words"], -1)
        return masked_multimodal_loss(
            {**y, "region_targets": targets},
            {**y_pred, "region_logits": y_pred["visual_logits"]})

    def get_config(self):
        return {**self._config, "name": self.name}


def videobert_parameters(segments=2, feature_dim=1024, branching=12, levels=4, num_layers=24,
                         hidden_dim=1024, intermediate_dim=4096,
                         vocabulary_size=captions_data.VOCABULARY_SIZE, max_sequence_length=None,
                         caption_length=7):
    """VideoBERT's parameters by formula (the centroids included, non-trainable)."""
    visual = branching ** levels
    max_sequence_length = max_sequence_length or caption_length + 1 + segments
    h, i = hidden_dim, intermediate_dim
    embeddings = (vocabulary_size + 1 + visual + max_sequence_length + 2) * h + 2 * h
    layer = 4 * (h * h + h) + 2 * h + 2 * h * i + i + h + 2 * h
    return (embeddings + num_layers * layer + h * h + h + h + 1 + visual * feature_dim)


#: BERT-Large's WordPiece vocabulary (30,522) and 512 positions, as the paper's initialisation.
CANONICAL = dict(vocabulary_size=30522, max_sequence_length=512)

register("videobert", task="video_text_pretraining", family="multimodal",
         tiny={"segments": 2, "feature_dim": 32, "branching": 2, "levels": 2, "num_layers": 1,
               "hidden_dim": 16, "num_heads": 2, "intermediate_dim": 32, "dropout": 0.0},
         canonical=CANONICAL,
         data="shape_clip_text", recipe="video_text_pretraining",
         paper=PAPER,
         notes="BERT-Large over [CLS] caption [>] visual words; K = 12^4 = 20,736 visual words "
               "by hierarchical k-means of S3D features (1024-d). The embedded clips' features "
               "are a frozen random tiny S3D's (32-d); the vocabulary is fitted before training "
               "(keras_zoo.tasks.video_text).")(VideoBERT)

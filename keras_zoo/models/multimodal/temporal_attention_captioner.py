"""The temporal-attention video captioner (Yao et al., Describing Videos by Exploiting Temporal
Structure, ICCV 2015): per-frame CNN features are the annotation vectors, and the LSTM decoder's
previous state attends over the frames (soft attention over time, section 2.3) as it emits the
caption.

The decoder is Show, Attend and Tell's (``keras_zoo.layers.AttentionLSTMDecoder``); the loss adds
the same attention regulariser (over frames instead of locations). Trained on
``keras_zoo.data.captions.clips`` ("a red circle moves right").
"""

from __future__ import annotations

import keras
from keras import ops

from keras_zoo.data import captions as captions_data
from keras_zoo.layers.attention_lstm_decoder import AttentionLSTMDecoder
from keras_zoo.models.multimodal.image_text import check_positive, conv_stages
from keras_zoo.models.multimodal.show_attend_tell import (
    ShowAttendTell,
    annotation_encoder,
    decode_annotations,
    deep_output,
)
from keras_zoo.models.registry import register

#: "a red circle moves right" with [START] and [END].
CLIP_CAPTION_LENGTH = 7


@keras.saving.register_keras_serializable(package="keras_zoo")
class TemporalAttentionCaptioner(keras.Model):
    """Inputs ``{"video": float32 [B, T, H, W, 3] in [0, 1], "tokens": int32 [B, S]}``;
    outputs ``{"logits": [B, S, V], "attention": [B, S, T]}`` (attention over the frames).

    Args:
        input_shape: ``(T, H, W, 3)``.
        filters: the per-frame CNN's stage widths (3x3 conv + 2x2 max-pool each; the paper
            uses GoogLeNet features, and 3-D CNN features for local motion).
        units, embedding_dim, attention_units: the decoder's.
        caption_length: tokens per caption with ``[START]`` and ``[END]``; S is one less.
        vocabulary_size: V; doubly_stochastic: the attention regulariser's weight.
    """

    def __init__(self, input_shape=(8, 16, 16, 3), filters=(16, 32), units=64,
                 embedding_dim=32, attention_units=32, caption_length=CLIP_CAPTION_LENGTH,
                 vocabulary_size=captions_data.VOCABULARY_SIZE, doubly_stochastic=0.1,
                 name=None, **kwargs):
        owner = "TemporalAttentionCaptioner"
        input_shape, filters = tuple(input_shape), tuple(filters)
        if len(input_shape) != 4 or input_shape[-1] != 3:
            raise ValueError(f"{owner}: input_shape must be (T, H, W, 3), got {input_shape}.")
        for arg, value in (("units", units), ("embedding_dim", embedding_dim),
                           ("attention_units", attention_units),
                           ("vocabulary_size", vocabulary_size)) + tuple(
                               ("filters", f) for f in filters):
            check_positive(owner, arg, value)
        if not isinstance(caption_length, int) or caption_length < 3:
            raise ValueError(f"{owner}: caption_length must be an int >= 3, got "
                             f"{caption_length!r}.")
        frames = input_shape[0]
        video = keras.Input(input_shape, name="video")
        tokens = keras.Input((caption_length - 1,), dtype="int32", name="tokens")
        x = conv_stages(ops.reshape(video, (-1,) + input_shape[1:]), filters, "frame", convs=1)
        # Flattened, not pooled: where the shape is in the frame is what tells the motion.
        x = keras.layers.Flatten(name="frame_flatten")(x)
        x = keras.layers.Dense(units, activation="relu", name="frame_features")(x)
        annotations = keras.layers.Reshape((frames, units), name="annotations")(
            ops.reshape(x, (-1, frames, units)))
        words = keras.layers.Embedding(vocabulary_size, embedding_dim,
                                       name="word_embedding")(tokens)
        hidden, context, alpha = AttentionLSTMDecoder(units, attention_units,
                                                      name="decoder")([words, annotations])
        logits = deep_output(words, hidden, context, vocabulary_size)
        attention = keras.layers.Identity(name="attention")(alpha)
        super().__init__({"video": video, "tokens": tokens},
                         {"logits": logits, "attention": attention},
                         name=name or "temporal_attention_captioner", **kwargs)
        self.caption_length, self.vocabulary_size = caption_length, vocabulary_size
        self.feature_size = (frames, 1)
        self.doubly_stochastic = float(doubly_stochastic)
        self._config = {"input_shape": input_shape, "filters": filters, "units": units,
                        "embedding_dim": embedding_dim, "attention_units": attention_units,
                        "caption_length": caption_length, "vocabulary_size": vocabulary_size,
                        "doubly_stochastic": float(doubly_stochastic)}

    # The same loss as Show, Attend and Tell's, the attention being over frames.
    compute_loss = ShowAttendTell.compute_loss

    def get_config(self):
        return {**self._config, "name": self.name}

    def greedy_decode(self, videos):
        """Greedy captions of ``videos`` in the graph: ``(tokens, scores, attention)``."""
        return greedy_decode(self, videos)


def greedy_decode(model, videos):
    """Greedy captions of ``videos`` float32 ``[B, T, H, W, 3]``: ``(tokens, scores,
    attention [B, S, T])``, as ``show_attend_tell.greedy_decode``."""
    return decode_annotations(model, annotation_encoder(model, "video")(videos))


register("temporal_attention_captioner", task="video_captioning", family="multimodal",
         tiny={"input_shape": (4, 16, 16, 3), "filters": (8,), "units": 16, "embedding_dim": 8,
               "attention_units": 8},
         canonical={"input_shape": (8, 16, 16, 3), "filters": (16, 32), "units": 64,
                    "embedding_dim": 32, "attention_units": 32},
         data="shape_clip_captions", recipe="video_captioning",
         paper="Yao et al., Describing Videos by Exploiting Temporal Structure, ICCV 2015",
         debts={"tflite": "the serving signature returns the caption string, joined in the "
                          "graph (ReduceJoin, StringStrip, StaticRegexReplace: TF Select ops, "
                          "measured on show_attend_tell, which serves the same way)",
                "int8": "the same string ops as tflite"},
         notes="Soft temporal attention over per-frame CNN features with Show, Attend and "
               "Tell's decoder; no 3-D CNN motion features (the paper's second component).")(
    TemporalAttentionCaptioner)

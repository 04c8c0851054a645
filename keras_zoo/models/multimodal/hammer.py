"""HAMMER (Zhang et al., A Hierarchical Multi-Modal Encoder for Moment Localization in Video
Corpus, 2020): a frame encoder within each clip and a clip encoder over the clips, both attending
to the query; trained for video retrieval by contrastive learning and for moment localisation
by classifying every frame as begin, end or other (sections 3.2-3.4).

Retrieval embeddings are query-independent on the video side (the clip encoder's self-attention
output before the cross-modal layers), so a corpus is embedded once and ranked by cosine
similarity; localisation then runs on the retrieved video with the query.
"""

from __future__ import annotations

import keras
from keras import ops

from keras_zoo.blocks.transformer import transformer_encoder_block
from keras_zoo.data import captions as captions_data
from keras_zoo.layers.position_encoding import LearnedPositionEmbedding
from keras_zoo.models.multimodal.image_text import check_positive, conv_stages
from keras_zoo.models.registry import register

#: Frame classes of the localisation head (section 3.4).
FRAME_CLASSES = ("other", "begin", "end")


def _cross_block(x, context, num_heads, width, name):
    """Cross-modal attention of ``x`` over the query tokens ``context``, residual + norm."""
    h = keras.layers.MultiHeadAttention(num_heads, width // num_heads,
                                        name=f"{name}_attention")(x, context)
    return keras.layers.LayerNormalization(epsilon=1e-6, name=f"{name}_norm")(
        keras.layers.Add(name=f"{name}_add")([x, h]))


@keras.saving.register_keras_serializable(package="keras_zoo")
class HAMMER(keras.Model):
    """Inputs ``{"video": float32 [B, T, H, W, 3] in [0, 1], "query": int32 [B, L]}``; outputs
    ``frame_logits`` ``[B, T, 3]`` (other, begin, end), ``video_embedding`` and
    ``query_embedding`` ``[B, D]`` (unit length). ``compute_loss``: weighted frame
    cross-entropy + the in-batch contrastive (InfoNCE) retrieval loss, both directions.

    Args:
        input_shape: ``(T, H, W, 3)``; T a multiple of ``clip_frames``.
        clip_frames: frames per clip of the hierarchy.
        filters: the per-frame CNN's stage widths (one 3x3 conv + 2x2 max-pool each).
        width: model width D; num_heads: attention heads.
        frame_layers, clip_layers, query_layers: transformer layers of the three encoders.
        query_length: L; vocabulary_size: V.
        temperature: of the contrastive loss.
        boundary_weight: weight of the begin/end frames in the frame loss (2 of T frames).
    """

    def __init__(self, input_shape=(16, 16, 16, 3), clip_frames=4, filters=(16, 32), width=32,
                 num_heads=4, frame_layers=1, clip_layers=1, query_layers=1, query_length=8,
                 vocabulary_size=captions_data.VOCABULARY_SIZE, temperature=0.1,
                 boundary_weight=4.0, name=None, **kwargs):
        owner = "HAMMER"
        input_shape, filters = tuple(input_shape), tuple(filters)
        for arg, value in (("clip_frames", clip_frames), ("width", width),
                           ("num_heads", num_heads), ("frame_layers", frame_layers),
                           ("clip_layers", clip_layers), ("query_layers", query_layers),
                           ("query_length", query_length),
                           ("vocabulary_size", vocabulary_size)) + tuple(
                               ("filters", f) for f in filters):
            check_positive(owner, arg, value)
        if len(input_shape) != 4 or input_shape[0] % clip_frames:
            raise ValueError(f"{owner}: input_shape must be (T, H, W, 3) with T a multiple of "
                             f"clip_frames={clip_frames}, got {input_shape}.")
        if width % num_heads:
            raise ValueError(f"{owner}: width={width} must be divisible by num_heads="
                             f"{num_heads}.")
        frames = input_shape[0]
        clips = frames // clip_frames
        video = keras.Input(input_shape, name="video")
        query = keras.Input((query_length,), dtype="int32", name="query")

        # Query encoder: word embeddings + positions, transformer layers.
        q = keras.layers.Embedding(vocabulary_size, width, name="query_embedding_table")(query)
        q = keras.layers.Add(name="query_positions")(
            [q, LearnedPositionEmbedding(query_length, name="query_position")(q)])
        query_mask = ops.expand_dims(ops.not_equal(query, captions_data.PAD), 1)
        for i in range(query_layers):
            q = transformer_encoder_block(q, num_heads, width // num_heads, 2 * width,
                                          attention_mask=query_mask, name=f"query_layer_{i}")

        # Frame features: a small CNN on every frame, global average pooled.
        x = conv_stages(ops.reshape(video, (-1,) + input_shape[1:]), filters, "frame", convs=1)
        x = keras.layers.GlobalAveragePooling2D(name="frame_gap")(x)
        x = keras.layers.Dense(width, name="frame_projection")(x)
        # Normalised: a small shape on a dark frame gives tiny pooled features, which the
        # position embeddings would otherwise swamp (every video then embeds alike).
        x = keras.layers.LayerNormalization(epsilon=1e-6, name="frame_norm")(x)
        # Frame encoder: within each clip (positions within the clip).
        x = ops.reshape(x, (-1, clip_frames, width))
        x = keras.layers.Add(name="frame_positions")(
            [x, LearnedPositionEmbedding(clip_frames, name="frame_position")(x)])
        for i in range(frame_layers):
            x = transformer_encoder_block(x, num_heads, width // num_heads, 2 * width,
                                          name=f"frame_layer_{i}")
        frame_tokens = ops.reshape(x, (-1, frames, width))
        # Clip encoder over the clips' mean frames (positions of the clips in the video).
        c = ops.mean(ops.reshape(frame_tokens, (-1, clips, clip_frames, width)), axis=2)
        c = keras.layers.Add(name="clip_positions")(
            [c, LearnedPositionEmbedding(clips, name="clip_position")(c)])
        for i in range(clip_layers):
            c = transformer_encoder_block(c, num_heads, width // num_heads, 2 * width,
                                          name=f"clip_layer_{i}")
        # Retrieval: query-independent video embedding vs the query's.
        video_embedding = keras.layers.UnitNormalization(name="video_embedding")(
            keras.layers.Dense(width, name="video_head")(ops.mean(c, axis=1)))
        query_mean = ops.sum(q * ops.cast(ops.transpose(query_mask, (0, 2, 1)), q.dtype),
                             axis=1) / ops.maximum(ops.sum(ops.cast(query_mask, q.dtype),
                                                           axis=(1, 2))[:, None], 1.0)
        query_embedding = keras.layers.UnitNormalization(name="query_embedding")(
            keras.layers.Dense(width, name="query_head")(query_mean))
        # Localisation: frames and clips attend to the query; each frame gets its clip's
        # query-aware context, then is classified begin / end / other.
        f = _cross_block(frame_tokens, q, num_heads, width, "frame_cross")
        c = _cross_block(c, q, num_heads, width, "clip_cross")
        c = ops.reshape(ops.repeat(ops.expand_dims(c, 2), clip_frames, axis=2),
                        (-1, frames, width))
        f = keras.layers.Concatenate(name="frame_clip_context")([f, c])
        f = keras.layers.Dense(width, activation="relu", name="frame_hidden")(f)
        frame_logits = keras.layers.Dense(len(FRAME_CLASSES), name="frame_logits")(f)
        super().__init__({"video": video, "query": query},
                         {"frame_logits": frame_logits, "video_embedding": video_embedding,
                          "query_embedding": query_embedding},
                         name=name or "hammer", **kwargs)
        self.query_length = query_length
        self.temperature, self.boundary_weight = float(temperature), float(boundary_weight)
        self._config = {"input_shape": input_shape, "clip_frames": clip_frames,
                        "filters": filters, "width": width, "num_heads": num_heads,
                        "frame_layers": frame_layers, "clip_layers": clip_layers,
                        "query_layers": query_layers, "query_length": query_length,
                        "vocabulary_size": vocabulary_size, "temperature": float(temperature),
                        "boundary_weight": float(boundary_weight)}

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        labels = y["frame_labels"]
        weights = ops.where(ops.greater(labels, 0), self.boundary_weight, 1.0)
        nll = keras.losses.sparse_categorical_crossentropy(labels, y_pred["frame_logits"],
                                                           from_logits=True)
        frame_loss = ops.sum(nll * weights) / ops.sum(weights)
        # InfoNCE over the batch: the i-th query's positive is the i-th video, and back.
        similarity = ops.matmul(y_pred["query_embedding"],
                                ops.transpose(y_pred["video_embedding"])) / self.temperature
        targets = ops.arange(ops.shape(similarity)[0])
        retrieval = 0.5 * (
            ops.mean(keras.losses.sparse_categorical_crossentropy(targets, similarity, True))
            + ops.mean(keras.losses.sparse_categorical_crossentropy(
                targets, ops.transpose(similarity), True)))
        return frame_loss + retrieval

    def get_config(self):
        return {**self._config, "name": self.name}


def best_span(frame_logits):
    """The span maximising ``log P(begin at b) + log P(end at e)`` with ``e >= b``, in the
    graph with builtin ops: ``(begin [B] int32, end [B] int32 exclusive, score [B])``."""
    import tensorflow as tf

    log_p = tf.nn.log_softmax(frame_logits, axis=-1)
    frames = tf.shape(log_p)[1]
    pair = log_p[:, :, 1][:, :, None] + log_p[:, :, 2][:, None, :]  # [B, begin, end]
    upper = tf.linalg.band_part(tf.ones([frames, frames]), 0, -1)
    pair = pair + (1.0 - upper)[None] * -1e9
    flat = tf.reshape(pair, [tf.shape(pair)[0], -1])
    index = tf.argmax(flat, axis=-1, output_type=tf.int32)
    return index // frames, index % frames + 1, tf.reduce_max(flat, axis=-1)


register("hammer", task="moment_localization", family="multimodal",
         tiny={"input_shape": (8, 16, 16, 3), "clip_frames": 4, "filters": (8,), "width": 16,
               "num_heads": 2},
         canonical={"input_shape": (16, 16, 16, 3), "clip_frames": 4, "filters": (16, 32),
                    "width": 32, "num_heads": 4},
         data="shape_moments", recipe="hammer",
         paper="Zhang et al., A Hierarchical Multi-Modal Encoder for Moment Localization in "
               "Video Corpus, arXiv 2011.09046, 2020",
         notes="Frame encoder within clips and clip encoder over clips, both attending to the "
               "query; per-frame begin/end/other classification and in-batch contrastive "
               "retrieval. Frame features come from a small CNN trained with the model (the "
               "paper uses pre-extracted ResNet/SlowFast features).")(HAMMER)

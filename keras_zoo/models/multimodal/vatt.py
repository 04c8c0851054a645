"""VATT (Akbari et al., VATT: Transformers for Multimodal Self-Supervised Learning from Raw
Video, Audio and Text, NeurIPS 2021).

Three Transformer encoders over raw signals (section 3.1): the video cut into 3-D patches of
``t x p x p`` frames and pixels (4 x 16 x 16), the waveform into 1-D segments of 128 samples, the
text into word tokens; each patch or token is linearly embedded, an aggregation token ([AGG]) is
prepended, learned position embeddings are added, and a pre-norm Transformer (ViT-Base size in
VATT-Base) encodes the sequence; a modality is represented by its [AGG] output.

Common spaces (section 3.2): video and audio meet in S_va (512-d), video and text in the coarser
S_vt (256-d): ``z_v,va = g_v->va(z_v)``, ``z_a,va = g_a->va(z_a)``, ``z_t,vt = g_t->vt(z_t)``,
``z_v,vt = g_va->vt(z_v,va)``. The loss is NCE between video and audio plus (lambda = 1) the
video-text loss (MIL-NCE in the paper; with one caption per clip its positive set is that
caption and it reduces to NCE), both with temperature 0.07. The text representation compared
with the video is the sum of the word tokens' outputs (padding excluded), not an [AGG] token.

Departures: the projections are single linear layers, the text is tokenised into words in the
graph (a ``TextVectorization`` over a given vocabulary, not VATT's 2^16-word table), and the
temperature is a fixed scalar (``CosineSimilarityLogits(trainable_temperature=False)``).
"""

from __future__ import annotations

import keras

from keras_zoo.layers.class_token import ClassToken
from keras_zoo.layers.cosine_similarity_logits import CosineSimilarityLogits
from keras_zoo.layers.position_encoding import LearnedPositionEmbedding
from keras_zoo.models.multimodal.ast import check_positive
from keras_zoo.models.multimodal.clip import encoder_stack, text_encoder
from keras_zoo.models.registry import register

PAPER = ("Akbari et al., VATT: Transformers for Multimodal Self-Supervised Learning from Raw "
         "Video, Audio and Text, NeurIPS 2021")


def _aggregate(tokens, *, width, layers, heads, prefix):
    """[AGG] token + learned positions + Transformer; returns the [AGG] output ``[B, D]``."""
    agg = ClassToken(name=f"{prefix}agg_token")(tokens)
    x = keras.layers.Concatenate(axis=1, name=f"{prefix}with_agg")([agg, tokens])
    x = keras.layers.Add(name=f"{prefix}add_positions")(
        [x, LearnedPositionEmbedding(x.shape[1], name=f"{prefix}position_embedding")(x)])
    x = encoder_stack(x, layers=layers, width=width, heads=heads, mlp_dim=4 * width,
                      prefix=prefix)
    return x[:, 0]


def video_encoder(input_shape, *, patch_size, temporal_patch_size, width, layers, heads,
                  va_dim, vt_dim, name="video_encoder"):
    """Clips ``[B, T, H, W, 3]`` in [0, 1] -> ``[z_v,va, z_v,vt]``."""
    frames, height, width_px, _ = input_shape
    if frames % temporal_patch_size or height % patch_size or width_px % patch_size:
        raise ValueError(f"{name}: clip {input_shape[:3]} is not divisible into "
                         f"{temporal_patch_size}x{patch_size}x{patch_size} patches.")
    video = keras.Input(input_shape, name="video")
    x = keras.layers.Conv3D(width, (temporal_patch_size, patch_size, patch_size),
                            strides=(temporal_patch_size, patch_size, patch_size),
                            name="video_patch_embedding")(video)
    x = keras.layers.Reshape((-1, width), name="video_tokens")(x)
    z = _aggregate(x, width=width, layers=layers, heads=heads, prefix="video_")
    va = keras.layers.Dense(va_dim, name="video_to_va")(z)
    vt = keras.layers.Dense(vt_dim, name="va_to_vt")(va)
    return keras.Model(video, [va, vt], name=name)


def audio_encoder(input_length, *, segment, width, layers, heads, va_dim,
                  name="audio_encoder"):
    """Waveforms ``[B, samples]`` -> ``z_a,va`` (segments of ``segment`` samples)."""
    if input_length < segment:
        raise ValueError(f"{name}: a waveform of {input_length} samples is shorter than one "
                         f"segment of {segment} samples.")
    waveforms = keras.Input((input_length,), name="waveforms")
    usable = (input_length // segment) * segment
    x = keras.layers.Reshape((input_length, 1), name="audio_channels")(waveforms)
    x = keras.layers.Conv1D(width, segment, strides=segment, name="audio_patch_embedding")(
        x[:, :usable])
    z = _aggregate(x, width=width, layers=layers, heads=heads, prefix="audio_")
    return keras.Model(waveforms, keras.layers.Dense(va_dim, name="audio_to_va")(z), name=name)


def VATT(
    video_shape=(32, 224, 224, 3),
    patch_size=16,
    temporal_patch_size=4,
    input_length=48000,
    audio_segment=128,
    vocabulary=None,
    sequence_length=16,
    width=768,
    layers=12,
    heads=12,
    text_width=None,
    text_layers=None,
    va_dim=512,
    vt_dim=256,
    temperature=0.07,
    name="vatt",
):
    """VATT-Base (Akbari et al. 2021): video, audio and text Transformers and their common
    spaces.

    Inputs ``{"video": float [B, T, H, W, 3] in [0, 1], "waveforms": float [B, samples],
    "text": string [B]}``; outputs ``{"video_audio": [B, B], "video_text": [B, B]}`` logits.

    Args:
        video_shape: ``(T, H, W, 3)`` (32 frames at 224 x 224 in pre-training).
        patch_size, temporal_patch_size: video patches ``t x p x p`` (4 x 16 x 16).
        input_length: samples per waveform (3.2 s at 48 kHz... here any length >= one segment).
        audio_segment: samples per audio patch (128).
        vocabulary: word vocabulary starting with ``["", "[UNK]"]`` (default: the captioned
            clips' words, ``keras_zoo.data.captions.VOCABULARY``).
        sequence_length: words per caption.
        width, layers, heads: the video and audio Transformers (Base: 768, 12, 12).
        text_width, text_layers: the text Transformer (default: as video and audio).
        va_dim, vt_dim: the common spaces S_va and S_vt (512, 256).
        temperature: the NCE temperature (0.07).
        name: the model's name.
    """
    check_positive(name, width=width, layers=layers, heads=heads, va_dim=va_dim, vt_dim=vt_dim,
                   input_length=input_length, audio_segment=audio_segment,
                   sequence_length=sequence_length)
    text_width, text_layers = text_width or width, text_layers or layers
    if vocabulary is None:
        from keras_zoo.data import captions

        vocabulary = captions.VOCABULARY
    video = video_encoder(tuple(video_shape), patch_size=patch_size,
                          temporal_patch_size=temporal_patch_size, width=width, layers=layers,
                          heads=heads, va_dim=va_dim, vt_dim=vt_dim)
    audio = audio_encoder(input_length, segment=audio_segment, width=width, layers=layers,
                          heads=heads, va_dim=va_dim)
    # The words' outputs summed, projected to S_vt.
    text = text_encoder(vocabulary, sequence_length=sequence_length, width=text_width,
                        layers=text_layers, heads=heads, embed_dim=vt_dim, pooling="sum",
                        projection="text_to_vt", projection_bias=True)
    inputs = {"video": keras.Input(tuple(video_shape), name="video"),
              "waveforms": keras.Input((input_length,), name="waveforms"),
              "text": keras.Input((), dtype="string", name="text")}
    video_va, video_vt = video(inputs["video"])
    outputs = {
        "video_audio": CosineSimilarityLogits(temperature, trainable_temperature=False,
                                              name="video_audio")([video_va,
                                                                   audio(inputs["waveforms"])]),
        "video_text": CosineSimilarityLogits(temperature, trainable_temperature=False,
                                             name="video_text")([video_vt, text(inputs["text"])]),
    }
    return keras.Model(inputs, outputs, name=name)


TINY = dict(video_shape=(4, 16, 16, 3), patch_size=8, temporal_patch_size=2, input_length=2176,
            audio_segment=128, sequence_length=6, width=16, layers=1, heads=2, va_dim=16,
            vt_dim=8)

register(
    "vatt",
    task="multimodal_retrieval",
    family="multimodal",
    tiny=TINY,
    canonical=dict(),
    data="captioned_clips_audio",
    recipe="vatt_clips_audio",
    paper=PAPER,
    notes="Raw video, waveform and caption strings in; NCE(video, audio) + NCE(video, text); "
          "the text embedding is summed over the words. Serves video embeddings (S_vt).",
)(VATT)

"""MuLan (Huang et al., MuLan: A Joint Embedding of Music Audio and Natural Language, ISMIR
2022): CLIP's two-tower contrastive training applied to (audio clip, caption) pairs.

Section 3: the audio tower is an Audio Spectrogram Transformer over log-mel patches (here
``keras_zoo.models.multimodal.ast``'s front end and encoder, raw waveforms in, the mean of its
class and distillation tokens), the text tower a BERT-base Transformer (here CLIP's text encoder
of ``clip.py``, word tokens from raw strings in the graph), each followed by a linear projection
to a shared 128-d space; the pairs are trained by the symmetric contrastive loss with a learned
temperature (``CosineSimilarityLogits``).
"""

from __future__ import annotations

import keras

from keras_zoo.models.multimodal import ast, clip
from keras_zoo.models.registry import register

PAPER = ("Huang et al., MuLan: A Joint Embedding of Music Audio and Natural Language, "
         "ISMIR 2022")


def audio_encoder(*, input_length, sample_rate, frame_length, frame_step, num_mel_bins,
                  patch_size, patch_stride, width, layers, heads, embed_dim, spectrogram_mean,
                  spectrogram_std, name="audio_encoder"):
    """Waveforms ``[B, input_length]`` -> audio embeddings ``[B, embed_dim]`` (an AST)."""
    ast.check_positive(name, input_length=input_length, width=width, layers=layers,
                       heads=heads, embed_dim=embed_dim)
    waveforms = keras.Input((input_length,), name="waveforms")
    x = ast.ast_encoder(waveforms, sample_rate=sample_rate, frame_length=frame_length,
                        frame_step=frame_step, num_mel_bins=num_mel_bins, patch_size=patch_size,
                        patch_stride=patch_stride, hidden_dim=width, num_layers=layers,
                        num_heads=heads, mlp_dim=4 * width, dropout=0.0,
                        spectrogram_mean=spectrogram_mean, spectrogram_std=spectrogram_std,
                        name=name)
    outputs = keras.layers.Dense(embed_dim, name="audio_projection")(x)
    return keras.Model(waveforms, outputs, name=name)


def MuLan(
    input_length=ast.CANONICAL_SAMPLES,
    sample_rate=16000,
    frame_length=400,
    frame_step=160,
    num_mel_bins=128,
    patch_size=16,
    patch_stride=10,
    audio_width=768,
    audio_layers=12,
    audio_heads=12,
    vocabulary=None,
    sequence_length=128,
    text_width=768,
    text_layers=12,
    text_heads=12,
    embed_dim=128,
    spectrogram_mean=ast.AUDIOSET_STATS[0],
    spectrogram_std=ast.AUDIOSET_STATS[1],
    name="mulan",
):
    """MuLan with an AST audio tower (Huang et al. 2022, section 3).

    Inputs ``{"waveforms": float [B, input_length], "text": string [B]}``; output the pair
    logits ``[B, B]``. The towers are the nested models ``"audio_encoder"`` and
    ``"text_encoder"``.

    Args:
        input_length, sample_rate, frame_length, frame_step, num_mel_bins, patch_size,
            patch_stride, spectrogram_mean, spectrogram_std: the AST front end (as in
            ``AudioSpectrogramTransformer``).
        audio_width, audio_layers, audio_heads: the AST encoder (Base: 768, 12, 12).
        vocabulary: the word vocabulary, starting with ``["", "[UNK]"]`` (default: the words of
            ``keras_zoo.data.audio``'s captions).
        sequence_length, text_width, text_layers, text_heads: the text Transformer (BERT-base:
            768, 12, 12).
        embed_dim: the shared embedding width (128).
        name: the model's name.
    """
    if vocabulary is None:
        from keras_zoo.data import audio

        vocabulary = ["", "[UNK]"] + audio.caption_vocabulary()
    audio_tower = audio_encoder(
        input_length=input_length, sample_rate=sample_rate, frame_length=frame_length,
        frame_step=frame_step, num_mel_bins=num_mel_bins, patch_size=patch_size,
        patch_stride=patch_stride, width=audio_width, layers=audio_layers, heads=audio_heads,
        embed_dim=embed_dim, spectrogram_mean=spectrogram_mean, spectrogram_std=spectrogram_std)
    text_tower = clip.text_encoder(vocabulary, sequence_length=sequence_length, width=text_width,
                                   layers=text_layers, heads=text_heads, embed_dim=embed_dim)
    return clip.contrastive_model({"waveforms": audio_tower, "text": text_tower}, name)


TINY = dict(input_length=2176, sample_rate=8000, frame_length=256, frame_step=128,
            num_mel_bins=16, patch_size=4, patch_stride=4, audio_width=16, audio_layers=1,
            audio_heads=2, sequence_length=8, text_width=16, text_layers=1, text_heads=2,
            embed_dim=16, spectrogram_mean=0.0, spectrogram_std=2.5)

register(
    "mulan",
    task="multimodal_retrieval",
    family="multimodal",
    tiny=TINY,
    canonical=dict(),
    data="synthetic_audio_captions",
    recipe="mulan_audio_captions",
    paper=PAPER,
    debts={"int8": "the AST front end's power spectrum between RFFT2D and LOG spans many "
                   "decades: int8 activations zero the quiet mel bins (measured on the tiny "
                   "model: mean cosine of float and int8 audio embeddings 0.678)"},
    notes="Serves audio embeddings from raw waveforms (TFLite), text embeddings from raw "
          "strings and zero-shot classify(waveforms, class_names).",
)(MuLan)

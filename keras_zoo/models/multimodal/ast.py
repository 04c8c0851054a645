"""Audio Spectrogram Transformer (Gong, Chung and Glass, AST: Audio Spectrogram Transformer,
Interspeech 2021).

Section 2.1: the waveform becomes a log-mel spectrogram (128 bands, 25 ms window every 10 ms;
here ``keras_zoo.layers.LogMelSpectrogram`` inside the graph, so the model takes raw waveforms),
normalised to mean 0 and standard deviation 0.5 with the training set's statistics, cut into
16 x 16 patches that overlap by 6 in time and frequency (stride 10), linearly embedded, given a
class and a distillation token (AST starts from DeiT) and a learned position embedding, and run
through a ViT-Base encoder (``keras_zoo.blocks.transformer``, pre-norm). The output is the mean of
the two tokens after the encoder's LayerNorm, followed by a LayerNorm and a linear layer. For
10.24 s of 16 kHz audio (1024 frames) there are 12 x 101 = 1212 patches.

Departures: the fbank is ``tf.signal``'s (HTK mel filterbank, periodic Hamming window, no dither
or pre-emphasis), not Kaldi's; the head ends in a softmax (single-label tasks; AudioSet is
multi-label and uses sigmoids: ``classifier_activation="sigmoid"``).
"""

from __future__ import annotations

import keras

from keras_zoo.blocks.transformer import transformer_encoder_block
from keras_zoo.layers.log_mel_spectrogram import LogMelSpectrogram
from keras_zoo.layers.patch_embedding import PatchEmbedding
from keras_zoo.models.registry import register

PAPER = "Gong, Chung and Glass, AST: Audio Spectrogram Transformer, Interspeech 2021"
#: AudioSet's spectrogram statistics used by the authors' code (mean, standard deviation).
AUDIOSET_STATS = (-4.2677393, 4.5689974)
#: 1024 frames of 400 samples every 160 (10.24 s at 16 kHz).
CANONICAL_SAMPLES = 400 + 1023 * 160


def spectrogram_frontend(inputs, *, sample_rate, frame_length, frame_step, num_mel_bins,
                         spectrogram_mean, spectrogram_std, prefix=""):
    """Waveforms ``[B, samples]`` -> normalised log-mel "images" ``[B, frames, mels, 1]``."""
    x = LogMelSpectrogram(sample_rate, frame_length, frame_step, num_mel_bins=num_mel_bins,
                          name=f"{prefix}log_mel_spectrogram")(inputs)
    frames = x.shape[1]
    x = keras.layers.Reshape((frames, num_mel_bins, 1), name=f"{prefix}spectrogram_image")(x)
    # (x - mean) / (2 std): mean 0, standard deviation 0.5 (section 2.1, the authors' code).
    return keras.layers.Rescaling(1.0 / (2.0 * spectrogram_std),
                                  offset=-spectrogram_mean / (2.0 * spectrogram_std),
                                  name=f"{prefix}normalize")(x)


def spectrogram_transformer(x, *, patch_size, patch_stride, hidden_dim, num_layers, num_heads,
                            mlp_dim, dropout, distillation_token, prefix=""):
    """Patch embedding (tokens, positions), pre-norm encoder layers and the final LayerNorm."""
    x = PatchEmbedding(patch_size, hidden_dim, distillation_token=distillation_token,
                       strides=patch_stride, name=f"{prefix}patch_embedding")(x)
    x = keras.layers.Dropout(dropout, name=f"{prefix}embedding_dropout")(x)
    for i in range(num_layers):
        x = transformer_encoder_block(
            x, num_heads=num_heads, key_dim=hidden_dim // num_heads, mlp_dim=mlp_dim,
            dropout=dropout, norm_first=True, activation="gelu", epsilon=1e-6,
            name=f"{prefix}encoder_layer_{i}")
    return keras.layers.LayerNormalization(epsilon=1e-6, name=f"{prefix}encoder_norm")(x)


def check_positive(name, **values):
    """ValueError naming the first argument that is not a positive int; ``width``/``hidden_dim``
    must also be divisible by ``heads``/``num_heads`` when both are given."""
    for arg, value in values.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name}: {arg} must be a positive int, got {value!r}.")
    for width, heads in (("width", "heads"), ("hidden_dim", "num_heads")):
        if width in values and heads in values and values[width] % values[heads]:
            raise ValueError(f"{name}: {width} {values[width]} is not divisible by {heads} "
                             f"{values[heads]}.")


def ast_encoder(inputs, *, sample_rate, frame_length, frame_step, num_mel_bins, patch_size,
                patch_stride, hidden_dim, num_layers, num_heads, mlp_dim, dropout,
                spectrogram_mean, spectrogram_std, name):
    """Waveforms -> the mean of the class and distillation tokens after the encoder, ``[B, D]``
    (section 2.1), with clear errors for a spectrogram smaller than one patch."""
    if not spectrogram_std > 0:
        raise ValueError(f"{name}: spectrogram_std must be > 0, got {spectrogram_std!r}.")
    x = spectrogram_frontend(inputs, sample_rate=sample_rate, frame_length=frame_length,
                             frame_step=frame_step, num_mel_bins=num_mel_bins,
                             spectrogram_mean=spectrogram_mean, spectrogram_std=spectrogram_std)
    frames = x.shape[1]
    if min(frames, num_mel_bins) < patch_size:
        raise ValueError(f"{name}: the spectrogram ({frames} frames x {num_mel_bins} mel bins) is "
                         f"smaller than one {patch_size}x{patch_size} patch; give longer "
                         "waveforms or a smaller patch_size.")
    x = spectrogram_transformer(x, patch_size=patch_size, patch_stride=patch_stride,
                                hidden_dim=hidden_dim, num_layers=num_layers, num_heads=num_heads,
                                mlp_dim=mlp_dim, dropout=dropout, distillation_token=True)
    return keras.layers.Average(name="token_average")([x[:, 0], x[:, 1]])


def AudioSpectrogramTransformer(
    input_length=CANONICAL_SAMPLES,
    sample_rate=16000,
    frame_length=400,
    frame_step=160,
    num_mel_bins=128,
    patch_size=16,
    patch_stride=10,
    hidden_dim=768,
    num_layers=12,
    num_heads=12,
    mlp_dim=3072,
    dropout=0.0,
    classes=527,
    classifier_activation="softmax",
    spectrogram_mean=AUDIOSET_STATS[0],
    spectrogram_std=AUDIOSET_STATS[1],
    name="ast",
):
    """AST-Base (Gong et al. 2021): raw waveforms ``[B, input_length]`` in, class probabilities
    out.

    Args:
        input_length: samples per waveform (at least one frame).
        sample_rate, frame_length, frame_step, num_mel_bins: the log-mel front end (AST: 16 kHz,
            400, 160, 128).
        patch_size: the side of the square spectrogram patches (16).
        patch_stride: the step between patches (10: overlap 6).
        hidden_dim, num_layers, num_heads, mlp_dim: the ViT encoder (Base: 768, 12, 12, 3072).
        dropout: dropout after the embedding, the attention and the MLP layers.
        classes: output classes (AudioSet: 527).
        classifier_activation: the head's activation.
        spectrogram_mean, spectrogram_std: the training set's log-mel statistics.
        name: the model's name.

    Example:
        >>> model = AudioSpectrogramTransformer(input_length=2176, sample_rate=8000,
        ...     frame_length=256, frame_step=128, num_mel_bins=16, patch_size=4, patch_stride=4,
        ...     hidden_dim=16, num_layers=1, num_heads=2, mlp_dim=32, classes=10)
    """
    check_positive(name, input_length=input_length, patch_size=patch_size,
                   patch_stride=patch_stride, hidden_dim=hidden_dim, num_layers=num_layers,
                   num_heads=num_heads, mlp_dim=mlp_dim, classes=classes)
    inputs = keras.Input((input_length,), name="waveforms")
    x = ast_encoder(inputs, sample_rate=sample_rate, frame_length=frame_length,
                    frame_step=frame_step, num_mel_bins=num_mel_bins, patch_size=patch_size,
                    patch_stride=patch_stride, hidden_dim=hidden_dim, num_layers=num_layers,
                    num_heads=num_heads, mlp_dim=mlp_dim, dropout=dropout,
                    spectrogram_mean=spectrogram_mean, spectrogram_std=spectrogram_std,
                    name=name)
    x = keras.layers.LayerNormalization(epsilon=1e-6, name="head_norm")(x)
    outputs = keras.layers.Dense(classes, activation=classifier_activation,
                                 name="predictions")(x)
    return keras.Model(inputs, outputs, name=name)


def ast_parameters(input_length=CANONICAL_SAMPLES, frame_length=400, frame_step=160,
                   num_mel_bins=128, patch_size=16, patch_stride=10, hidden_dim=768,
                   num_layers=12, mlp_dim=3072, classes=527):
    """AST's parameter count by formula (patch embedding, two tokens, positions, encoder layers,
    two LayerNorms, head)."""
    frames = 1 + (input_length - frame_length) // frame_step
    patches = ((1 + (frames - patch_size) // patch_stride)
               * (1 + (num_mel_bins - patch_size) // patch_stride))
    d = hidden_dim
    layer = 4 * (d * d + d) + 2 * (2 * d) + (d * mlp_dim + mlp_dim) + (mlp_dim * d + d)
    return ((patch_size * patch_size * d + d) + 2 * d + (patches + 2) * d + num_layers * layer
            + 2 * d + 2 * d + (d * classes + classes))


#: 16 frames x 16 mel bins of 8 kHz audio (keras_zoo.data.audio), 4x4 patches: 16 patches.
TINY = dict(input_length=2176, sample_rate=8000, frame_length=256, frame_step=128,
            num_mel_bins=16, patch_size=4, patch_stride=4, hidden_dim=16, num_layers=1,
            num_heads=2, mlp_dim=32, classes=10, spectrogram_mean=0.0, spectrogram_std=2.5)

register(
    "ast",
    task="audio_classification",
    family="multimodal",
    tiny=TINY,
    canonical=dict(classes=527),
    data="synthetic_audio",
    recipe="ast_synthetic_audio",
    paper=PAPER,
    params=ast_parameters(),
    debts={"int8": "the power spectrum between RFFT2D and LOG spans many decades: int8 "
                   "activations zero the quiet mel bins (measured on the tiny model: mean |dp| "
                   "0.0595, top-1 agreement 0.625 on confident test clips)"},
    notes="Raw waveforms in: the log-mel spectrogram is computed in the graph (tf.signal). "
          "16x16 patches with stride 10, class and distillation tokens averaged.",
)(AudioSpectrogramTransformer)

"""Cases for LogMelSpectrogram (against SciPy's periodic windows, NumPy's real FFT and the HTK
mel filterbank written out) and CosineSimilarityLogits (CLIP's scaled cosine similarity)."""

import numpy as np
from scipy.signal import get_window

from keras_zoo.layers import CosineSimilarityLogits, LogMelSpectrogram
from tests.layer_harness import LayerCase


def _mel(hz):
    return 1127.0 * np.log1p(np.asarray(hz, np.float64) / 700.0)


def mel_filterbank(num_mel_bins, num_bins, sample_rate, lower, upper):
    """HTK triangles, equally spaced in mel between ``lower`` and ``upper``; the DC bin gets no
    weight (as in ``tf.signal.linear_to_mel_weight_matrix``)."""
    bins = _mel(np.linspace(0.0, sample_rate / 2, num_bins))[1:, None]
    edges = np.linspace(_mel(lower), _mel(upper), num_mel_bins + 2)
    left, centre, right = edges[:-2], edges[1:-1], edges[2:]
    weights = np.maximum(0.0, np.minimum((bins - left) / (centre - left),
                                         (right - bins) / (right - centre)))
    return np.concatenate([np.zeros((1, num_mel_bins)), weights])


def log_mel_reference(layer, x):
    (x,) = x
    x = np.asarray(x, np.float64)
    n = 1 + (x.shape[1] - layer.frame_length) // layer.frame_step
    index = np.arange(layer.frame_length)[None] + layer.frame_step * np.arange(n)[:, None]
    window = get_window(layer.window, layer.frame_length, fftbins=True)  # periodic
    power = np.abs(np.fft.rfft(x[:, index] * window, n=layer.fft_length)) ** 2
    upper = layer.sample_rate / 2 if layer.upper_edge_hertz is None else layer.upper_edge_hertz
    mel = mel_filterbank(layer.num_mel_bins, layer.fft_length // 2 + 1, layer.sample_rate,
                         layer.lower_edge_hertz, upper)
    return np.log(power @ mel + layer.log_offset)


def _waves(rng, samples=200):
    t = np.arange(samples) / 8000.0
    tone = 0.5 * np.sin(2 * np.pi * 700.0 * t) + 0.05 * rng.normal(size=(2, samples))
    return [tone.astype(np.float32)]


def cosine_reference(layer, x):
    a, b = (np.asarray(v, np.float64) for v in x)
    a = a / np.linalg.norm(a, axis=-1, keepdims=True)
    b = b / np.linalg.norm(b, axis=-1, keepdims=True)
    scale = min(np.exp(float(layer.get_weights()[0])), layer.max_scale)
    return scale * a @ b.T


CASES = [
    LayerCase(id="log_mel_spectrogram_hamming", layer_class=LogMelSpectrogram,
              make=lambda: LogMelSpectrogram(8000, frame_length=64, frame_step=32,
                                             num_mel_bins=8, lower_edge_hertz=50.0),
              inputs=_waves, reference=log_mel_reference, atol=1e-4),
    LayerCase(id="log_mel_spectrogram_hann_padded_fft", layer_class=LogMelSpectrogram,
              make=lambda: LogMelSpectrogram(8000, frame_length=50, frame_step=25, fft_length=128,
                                             num_mel_bins=6, upper_edge_hertz=3000.0,
                                             window="hann"),
              inputs=_waves, reference=log_mel_reference, atol=1e-4),
    LayerCase(id="cosine_similarity_logits", layer_class=CosineSimilarityLogits,
              make=lambda: CosineSimilarityLogits(),
              inputs=lambda rng: [rng.normal(size=(3, 4)).astype(np.float32),
                                  rng.normal(size=(2, 4)).astype(np.float32)],
              reference=cosine_reference, atol=1e-4),
]

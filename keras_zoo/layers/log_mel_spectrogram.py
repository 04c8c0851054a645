"""A log-mel spectrogram computed inside the graph (AST: Gong et al., AST: Audio Spectrogram
Transformer, Interspeech 2021, section 2.1: "the input audio waveform ... is converted into a
sequence of 128-dimensional log Mel filterbank features computed with a 25ms Hamming window
every 10ms"), so a served model takes raw waveforms."""

from __future__ import annotations

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="keras_zoo")
class LogMelSpectrogram(keras.layers.Layer):
    """Waveforms ``[B, samples]`` -> log-mel spectrograms ``[B, frames, num_mel_bins]``.

    ``log(M |STFT(x)|^2 + log_offset)``: frames of ``frame_length`` samples every
    ``frame_step`` (no padding: ``frames = 1 + (samples - frame_length) // frame_step``), a
    periodic window (``"hamming"``, AST's, or ``"hann"``), a real FFT of ``fft_length`` points,
    the power spectrum, and the HTK mel filterbank ``M`` of ``tf.signal``
    (``linear_to_mel_weight_matrix``). AST computes Kaldi's fbank (dithering, pre-emphasis,
    povey window); this is the plain textbook form, written with ``tf.signal`` so that it
    converts to TFLite builtins (RFFT2D, COMPLEX_ABS). A waveform shorter than one frame is a
    ``ValueError``.

    Args:
        sample_rate: samples per second of the input.
        frame_length: samples per frame (AST: 400, 25 ms at 16 kHz).
        frame_step: samples between frame starts (AST: 160, 10 ms).
        fft_length: FFT size (default: the next power of two >= ``frame_length``).
        num_mel_bins: mel bands (AST: 128).
        lower_edge_hertz, upper_edge_hertz: the filterbank's range (default upper: Nyquist).
        window: ``"hamming"`` or ``"hann"``.
        log_offset: added before the log, so that silence stays finite.
    """

    def __init__(self, sample_rate=16000, frame_length=400, frame_step=160, fft_length=None,
                 num_mel_bins=128, lower_edge_hertz=20.0, upper_edge_hertz=None,
                 window="hamming", log_offset=1e-6, **kwargs):
        super().__init__(**kwargs)
        for arg, value in (("sample_rate", sample_rate), ("frame_length", frame_length),
                           ("frame_step", frame_step), ("num_mel_bins", num_mel_bins)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"LogMelSpectrogram: {arg} must be a positive int, got {value!r}.")
        if fft_length is None:
            fft_length = 1 << (frame_length - 1).bit_length()
        if not isinstance(fft_length, int) or fft_length < frame_length:
            raise ValueError(f"LogMelSpectrogram: fft_length must be an int >= frame_length "
                             f"{frame_length}, got {fft_length!r}.")
        if window not in ("hamming", "hann"):
            raise ValueError(f"LogMelSpectrogram: window must be 'hamming' or 'hann', got "
                             f"{window!r}.")
        nyquist = sample_rate / 2
        upper = nyquist if upper_edge_hertz is None else float(upper_edge_hertz)
        if not 0.0 <= float(lower_edge_hertz) < upper <= nyquist:
            raise ValueError(f"LogMelSpectrogram: need 0 <= lower_edge_hertz < upper_edge_hertz "
                             f"<= {nyquist} (Nyquist), got {lower_edge_hertz}, {upper_edge_hertz}.")
        if not float(log_offset) > 0:
            raise ValueError(f"LogMelSpectrogram: log_offset must be > 0, got {log_offset!r}.")
        self.sample_rate, self.frame_length, self.frame_step = sample_rate, frame_length, frame_step
        self.fft_length, self.num_mel_bins = fft_length, num_mel_bins
        self.lower_edge_hertz, self.upper_edge_hertz = float(lower_edge_hertz), upper_edge_hertz
        self.window, self.log_offset = window, float(log_offset)
        self._upper = upper

    def frames(self, samples):
        """The number of frames of a waveform of ``samples`` samples (ValueError if < 1)."""
        if samples < self.frame_length:
            raise ValueError(f"{self.name}: a waveform of {samples} samples is shorter than one "
                             f"frame ({self.frame_length} samples); give at least "
                             f"{self.frame_length} samples.")
        return 1 + (samples - self.frame_length) // self.frame_step

    def build(self, input_shape):
        if len(input_shape) != 2:
            raise ValueError(f"{self.name}: expected waveforms [batch, samples], got shape "
                             f"{tuple(input_shape)}.")
        if input_shape[1] is not None:
            self.frames(input_shape[1])

    def call(self, waveforms):
        waveforms = tf.convert_to_tensor(waveforms, tf.float32)
        if waveforms.shape[1] is not None:
            self.frames(waveforms.shape[1])
        window = (tf.signal.hamming_window if self.window == "hamming"
                  else tf.signal.hann_window)
        stft = tf.signal.stft(waveforms, self.frame_length, self.frame_step, self.fft_length,
                              window_fn=window, pad_end=False)
        power = tf.square(tf.abs(stft))
        mel = tf.signal.linear_to_mel_weight_matrix(
            self.num_mel_bins, self.fft_length // 2 + 1, self.sample_rate,
            self.lower_edge_hertz, self._upper)
        return tf.math.log(tf.tensordot(power, mel, 1) + self.log_offset)

    def compute_output_shape(self, input_shape):
        samples = input_shape[1]
        frames = None if samples is None else self.frames(samples)
        return (input_shape[0], frames, self.num_mel_bins)

    def get_config(self):
        return {**super().get_config(), "sample_rate": self.sample_rate,
                "frame_length": self.frame_length, "frame_step": self.frame_step,
                "fft_length": self.fft_length, "num_mel_bins": self.num_mel_bins,
                "lower_edge_hertz": self.lower_edge_hertz,
                "upper_edge_hertz": self.upper_edge_hertz, "window": self.window,
                "log_offset": self.log_offset}

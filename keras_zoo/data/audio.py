"""Synthetic audio with captions: tones, chirps and beats whose pitch and tempo carry the label.

Every clip is a raw waveform (float32 in [-1, 1], ``SAMPLE_RATE`` Hz) of one sound: a steady
tone, a chirp rising or falling an octave, or a beat of tone bursts (slow or fast tempo), at a
low or a high pitch. The class is ``(kind, pitch)``; the caption names both ("a high rising
chirp"), in one of a few templates. The fundamental, the amplitude, the phase, the onset of the
bursts and a little white noise vary per clip, so the label is only in what a spectrogram shows:
the pitch band, the slope of the frequency over time and the rhythm. Everything is a function of
the seed.

    data = keras_zoo.data.audio.generate(64, seed=0)
    data["waveforms"]   # float32 [64, LENGTH]
    data["labels"]      # int32 [64], indices of CLASSES
    data["captions"]    # list of str
"""

from __future__ import annotations

import numpy as np

SAMPLE_RATE = 8000
#: 16 STFT frames of 256 samples with a hop of 128 (about 0.27 s).
LENGTH = 256 + 15 * 128
KINDS = ("tone", "rising chirp", "falling chirp", "slow beat", "fast beat")
PITCHES = ("low", "high")
#: The classes, ``f"{pitch} {kind}"`` in kind-major order.
CLASSES = tuple(f"{p} {k}" for k in KINDS for p in PITCHES)
#: The fundamental's range in Hz of each pitch (a chirp spans an octave above it).
PITCH_BANDS = {"low": (250.0, 450.0), "high": (1100.0, 1800.0)}
#: Beats per second of the beats.
TEMPI = {"slow beat": 8.0, "fast beat": 24.0}
TEMPLATES = ("a {} {}", "the sound of a {} {}", "a {} {} playing", "a recording of a {} {}")
SPLIT_SEEDS = {"train": 0, "validation": 1, "test": 2}


def caption(label, template=0):
    """The caption of class ``label`` in template ``template`` ("a high rising chirp")."""
    kind, pitch = KINDS[label // len(PITCHES)], PITCHES[label % len(PITCHES)]
    return TEMPLATES[template].format(pitch, kind)


def _clip(label, length, sample_rate, rng):
    kind, pitch = KINDS[label // len(PITCHES)], PITCHES[label % len(PITCHES)]
    t = np.arange(length) / sample_rate
    duration = length / sample_rate
    f0 = rng.uniform(*PITCH_BANDS[pitch])
    if kind == "rising chirp":
        frequency = f0 * 2.0 ** (t / duration)
    elif kind == "falling chirp":
        frequency = f0 * 2.0 ** (1.0 - t / duration)
    else:
        frequency = np.full_like(t, f0)
    # The phase is the running integral of the frequency (a chirp without clicks).
    phase = 2 * np.pi * np.cumsum(frequency) / sample_rate + rng.uniform(0, 2 * np.pi)
    wave = np.sin(phase)
    if kind in TEMPI:
        period = 1.0 / (TEMPI[kind] * rng.uniform(0.9, 1.1))
        onset = rng.uniform(0, period)
        wave = wave * ((((t + onset) % period) / period) < 0.5)
    wave = rng.uniform(0.4, 0.8) * wave + rng.normal(0, 0.02, length)
    return np.clip(wave, -1.0, 1.0).astype(np.float32)


def generate(n, length=LENGTH, sample_rate=SAMPLE_RATE, classes=None, seed=0):
    """``n`` labelled clips with captions.

    Args:
        n: the number of clips.
        length: samples per clip (at least 64).
        sample_rate: samples per second (the highest chirp, 3.6 kHz, must stay below half of it).
        classes: the class indices to draw from (default: all of ``CLASSES``), uniformly.
        seed: seeds everything.

    Returns:
        A dict: ``waveforms`` float32 ``[n, length]``, ``labels`` int32 ``[n]``, ``captions``
        (list of str), ``templates`` int32 ``[n]`` (the caption template of each clip).
    """
    if not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"audio.generate: n must be an int >= 0, got {n!r}.")
    if not isinstance(length, (int, np.integer)) or length < 64:
        raise ValueError(f"audio.generate: length must be an int >= 64 samples, got {length!r}.")
    top = 2 * PITCH_BANDS["high"][1]
    if sample_rate <= 2 * top:
        raise ValueError(f"audio.generate: sample_rate {sample_rate} is too low: the highest "
                         f"chirp reaches {top:.0f} Hz, so it must exceed {2 * top:.0f} Hz.")
    classes = np.arange(len(CLASSES)) if classes is None else np.asarray(classes, np.int64)
    if classes.size == 0 or classes.min() < 0 or classes.max() >= len(CLASSES):
        raise ValueError(f"audio.generate: classes must be indices in [0, {len(CLASSES)}), "
                         f"got {classes.tolist()}.")
    rng = np.random.default_rng(seed)
    labels = rng.choice(classes, size=n).astype(np.int32)
    templates = rng.integers(len(TEMPLATES), size=n).astype(np.int32)
    waveforms = np.stack([_clip(int(k), length, sample_rate, rng) for k in labels]) if n else \
        np.zeros((0, length), np.float32)
    return {"waveforms": waveforms, "labels": labels,
            "captions": [caption(int(k), int(j)) for k, j in zip(labels, templates, strict=True)],
            "templates": templates}


def caption_vocabulary():
    """Every word the captions use, sorted (for a word-level tokeniser)."""
    words = {w for template in TEMPLATES for w in template.format("", "").split()}
    words |= {w for name in CLASSES for w in name.split()}
    return sorted(words)


#: The sound of a captioned clip (``keras_zoo.data.captions.clips``): its shape sets the kind of
#: sound and its direction the pitch.
CLIP_SOUNDS = {"circle": "tone", "square": "slow beat", "triangle": "fast beat"}
CLIP_PITCHES = {"left": "low", "right": "high"}


def with_clips(n, frames=4, image_size=(16, 16), length=LENGTH, sample_rate=SAMPLE_RATE,
               seed=0):
    """``n`` (video, audio, caption) triples: a captioned clip of a shape moving left or right
    (``keras_zoo.data.captions.clips``) and the sound that goes with it (a tone, slow or fast
    beat by shape; low when moving left, high when right).

    Returns a dict: ``clips`` uint8 ``[n, T, H, W, 3]``, ``waveforms`` float32 ``[n, length]``,
    ``captions`` (list of str, "a red circle moves right"), ``labels`` int32 ``[n]`` (the
    clip's (colour, shape, direction) class: items with equal labels are interchangeable).
    """
    from keras_zoo.data import captions

    d = captions.clips(n, frames=frames, image_size=image_size, seed=seed)
    rng = np.random.default_rng(seed + 104729)
    waveforms, labels, names = [], [], []
    for caption_text in d["captions"]:
        _, colour, kind, _, direction = caption_text.split()
        label = CLASSES.index(f"{CLIP_PITCHES[direction]} {CLIP_SOUNDS[kind]}")
        waveforms.append(_clip(label, length, sample_rate, rng))
        names.append((colour, kind, direction))
    distinct = sorted(set(names))
    labels = np.array([distinct.index(t) for t in names], np.int32)
    return {"clips": d["clips"], "waveforms": np.stack(waveforms).reshape(n, length),
            "captions": list(d["captions"]), "labels": labels}

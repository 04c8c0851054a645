"""Audio classification: raw waveforms in (the spectrogram is computed in the model's graph),
class probabilities out (keras_zoo.data.audio)."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from keras_zoo.tasks.base import ArraysTask
from keras_zoo.tasks.classification import ClassificationTask

SPLIT_SIZES = {"train": 1000, "validation": 200, "test": 200}


def waveform_length(model, input_name=None):
    """Samples per waveform of ``model``'s (named) waveform input; ValueError if unknown."""
    for tensor in model.inputs:
        if input_name is None or tensor.name == input_name:
            if len(tensor.shape) == 2 and tensor.shape[1] is not None:
                return int(tensor.shape[1])
    raise ValueError(f"{model.name}: an audio model needs a waveform input [batch, samples] "
                     f"of fixed length{f' named {input_name!r}' if input_name else ''}, got "
                     f"{[tuple(t.shape) for t in model.inputs]}.")


def sample_rate(model, default=None):
    """The sample rate of ``model``'s LogMelSpectrogram layer (searched in nested models), or
    ``default`` for a model of raw waveform patches (VATT)."""
    from keras_zoo.layers.log_mel_spectrogram import LogMelSpectrogram

    for layer in model._flatten_layers(include_self=False, recursive=True):
        if isinstance(layer, LogMelSpectrogram):
            return layer.sample_rate
    if default is not None:
        return default
    raise ValueError(f"{model.name}: no LogMelSpectrogram layer, so the sample rate of its "
                     "waveforms is unknown.")


class AudioClassificationTask(ArraysTask, ClassificationTask):
    """Model input ``waveforms`` float32 ``[B, samples]``; serving takes the same raw
    waveforms and returns ``probabilities`` and ``classes`` (indices of
    ``keras_zoo.data.audio.CLASSES``)."""

    name = "audio_classification"
    data_names = ("synthetic_audio",)

    def _arrays(self, model, entry, split, n=None, data=None):
        from keras_zoo.data import audio

        d = audio.generate(n or SPLIT_SIZES[split], length=waveform_length(model),
                           sample_rate=sample_rate(model), seed=audio.SPLIT_SEEDS[split])
        classes = model.outputs[0].shape[-1]
        return {"waveforms": d["waveforms"]}, d["labels"] % classes

    def battery_data(self, model, entry, n=32, seed=0):
        x, y = self._arrays(model, entry, "train", n)
        return x["waveforms"], y

    def serving_fn(self, model):
        length = waveform_length(model)

        @tf.function(input_signature=[tf.TensorSpec([None, length], tf.float32,
                                                    name="waveforms")])
        def serve(waveforms):
            probabilities = model(waveforms, training=False)
            return {"probabilities": probabilities,
                    "classes": tf.argmax(probabilities, axis=-1, output_type=tf.int32)}

        return serve

    def describe_prediction(self, outputs, index=0):
        """The five most probable classes of row ``index`` by name, with probabilities."""
        from keras_zoo.data import audio

        probabilities = np.asarray(outputs["probabilities"])[index]
        top = np.argsort(-probabilities, kind="stable")[:5]
        names = [audio.CLASSES[k] if k < len(audio.CLASSES) else f"class {k}" for k in top]
        return "\n".join(f"{n}\t{probabilities[k]:.4f}" for n, k in zip(names, top, strict=True))

    def draw_prediction(self, image, outputs, index=0):
        raise ValueError(f"predict does not support drawing for task {self.name!r} (audio): "
                         "it prints the classes.")

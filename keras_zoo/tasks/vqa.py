"""Visual question answering: a uint8 image and a tokenised question in, answer probabilities
out (keras_zoo.data.vqa)."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from keras_zoo.tasks.base import ArraysTask
from keras_zoo.tasks.classification import ClassificationTask


class VQATask(ArraysTask, ClassificationTask):
    """Model inputs ``image`` (float32 in [0, 1]) and ``question`` (int32 ``[B, L]``); serving
    takes ``image`` as uint8 (divided by 255 in the graph) and ``question`` ids, and returns
    ``probabilities`` and ``answers`` (indices of ``keras_zoo.data.vqa.ANSWERS``)."""

    name = "vqa"
    data_names = ("shapes_vqa",)

    @staticmethod
    def _input_shape(model, name):
        for tensor in model.inputs:
            if tensor.name == name:
                return tuple(tensor.shape[1:])
        raise ValueError(f"{model.name}: a VQA model needs an input named {name!r}.")

    def _shape(self, model):
        return self._input_shape(model, "image")

    def _raw(self, model, split, n=None):
        from keras_zoo.data import vqa

        sizes = {"train": 2000, "validation": 300, "test": 300}
        seeds = {"train": 0, "validation": 1, "test": 2}
        h, w, _ = self._shape(model)
        return vqa.generate(n or sizes[split], image_size=(h, w), seed=seeds[split])

    def _arrays(self, model, entry, split, n=None, data=None):
        d = self._raw(model, split, n)
        return {"image": d["images"].astype(np.float32) / 255.0,
                "question": d["questions"]}, d["answers"]

    def serving_fn(self, model):
        h, w, c = self._shape(model)
        (length,) = self._input_shape(model, "question")

        @tf.function(input_signature=[tf.TensorSpec([None, h, w, c], tf.uint8, name="image"),
                                      tf.TensorSpec([None, length], tf.int32, name="question")])
        def serve(image, question):
            probabilities = model({"image": tf.cast(image, tf.float32) / 255.0,
                                   "question": question}, training=False)
            return {"probabilities": probabilities,
                    "answers": tf.argmax(probabilities, axis=-1, output_type=tf.int32)}

        return serve

    def serving_example(self, model, n=4, seed=0):
        d = self._raw(model, "validation", max(n, 1))
        return {"image": d["images"][:n], "question": d["questions"][:n]}

    def test_examples(self, model, entry, n=64):
        d = self._raw(model, "test", n)
        return {"image": d["images"], "question": d["questions"]}, d["answers"]

    def representative_examples(self, model, entry, n=100, seed=0):
        d = self._raw(model, "train", n)
        return [{"image": d["images"][i:i + 1], "question": d["questions"][i:i + 1]}
                for i in range(n)]

    def int8_agreement(self, reference, quantized):
        return float(np.mean(np.asarray(reference["answers"]) == np.asarray(quantized["answers"])))

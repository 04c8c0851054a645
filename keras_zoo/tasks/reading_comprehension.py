"""Reading comprehension: a document and a query (int tokens) in, answer probabilities out."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from keras_zoo.tasks.base import ArraysTask
from keras_zoo.tasks.classification import ClassificationTask


class ReadingComprehensionTask(ArraysTask, ClassificationTask):
    """Inputs ``document`` ``[B, Td]`` and ``query`` ``[B, Tq]`` (int32); outputs
    ``probabilities`` and ``answers``. Embedded data: ``"key_value_retrieval"``
    (keras_zoo.data.sequences): the number of keys and values follows from the model's
    ``document_length`` (pairs) and ``answers`` (values); keys are as many as values."""

    name = "reading_comprehension"
    data_names = ("key_value_retrieval",)

    @staticmethod
    def _length(model, name):
        for tensor in model.inputs:
            if tensor.name == name:
                return int(tensor.shape[1])
        raise ValueError(f"{model.name}: a reading model needs an input named {name!r}.")

    def _arrays(self, model, entry, split, n=None, data=None):
        from keras_zoo.data import sequences

        answers = model.outputs[0].shape[-1]
        seed = {"train": 0, "validation": 1, "test": 2}[split]
        docs, queries, y = sequences.key_value_retrieval(
            n or {"train": 4000, "validation": 500, "test": 500}[split],
            num_pairs=self._length(model, "document") // 2, num_keys=answers,
            num_values=answers, seed=seed)
        return {"document": docs, "query": queries}, y

    def serving_fn(self, model):
        td, tq = self._length(model, "document"), self._length(model, "query")

        @tf.function(input_signature=[tf.TensorSpec([None, td], tf.int32, name="document"),
                                      tf.TensorSpec([None, tq], tf.int32, name="query")])
        def serve(document, query):
            probabilities = model({"document": document, "query": query}, training=False)
            return {"probabilities": probabilities,
                    "answers": tf.argmax(probabilities, axis=-1, output_type=tf.int32)}

        return serve

    def int8_agreement(self, reference, quantized):
        return float(np.mean(np.asarray(reference["answers"]) == np.asarray(quantized["answers"])))

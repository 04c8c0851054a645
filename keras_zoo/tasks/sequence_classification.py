"""Sequence classification (int tokens in) and text classification (raw strings in)."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from keras_zoo.tasks.base import array_dataset
from keras_zoo.tasks.classification import ClassificationTask, check_classes
from keras_zoo.tasks.sequence_common import sequence_length, string_array, tokenize


class SequenceClassificationTask(ClassificationTask):
    """Token ids ``[B, T]`` (int32, 0 = padding) in, class probabilities out.

    Embedded data (``entry.data``): ``"balanced_parentheses"`` (keras_zoo.data.sequences).
    """

    name = "sequence_classification"
    data_names = ("balanced_parentheses",)

    def _arrays(self, model, entry, split, n=None, data=None):
        from keras_zoo.data import sequences

        n = n or 2000
        seed = {"train": 0, "validation": 1, "test": 2}[split]
        return sequences.balanced_parentheses(n, sequence_length(model), seed=seed)

    def battery_data(self, model, entry, n=32, seed=0):
        return self._arrays(model, entry, "train", n)

    def dataset(self, model, entry, split="train", batch_size=32, seed=0, data=None, n=None):
        x, y = self._arrays(model, entry, split, n, data)
        return array_dataset(x, y, split, batch_size, seed)

    def export_model(self, model):
        return model

    def serving_fn(self, model):
        length = sequence_length(model)

        @tf.function(input_signature=[tf.TensorSpec([None, length], tf.int32, name="tokens")])
        def serve(tokens):
            probabilities = model(tokens, training=False)
            return {"probabilities": probabilities,
                    "classes": tf.argmax(probabilities, axis=-1, output_type=tf.int32)}

        return serve

    def serving_example(self, model, n=4, seed=0):
        vocabulary_size = (getattr(model, "vocabulary_size", None)
                           or model.get_layer("embedding").input_dim)
        rng = np.random.default_rng(seed)
        return {"tokens": rng.integers(0, vocabulary_size,
                                       (n, sequence_length(model))).astype(np.int32)}

    def test_examples(self, model, entry, n=64):
        x, y = self._arrays(model, entry, "test", n)
        return {"tokens": x}, y

    def representative_examples(self, model, entry, n=100, seed=0):
        x, _ = self._arrays(model, entry, "train", n)
        return [{"tokens": x[i:i + 1]} for i in range(len(x))]


class TextClassificationTask(SequenceClassificationTask):
    """Raw text in (tokenised inside the graph by the model's saved vocabulary), classes out.

    Embedded data: ``"stdlib_docstrings"``: which kind of object (module, class, function) a
    standard-library docstring documents (keras_zoo.data.text.labelled_corpus). Over-long texts
    are truncated to the model's ``sequence_length`` tokens; OOV words map to ``[UNK]``.
    """

    name = "text_classification"
    #: The embedded docstrings, or a TFDS text-classification set already on disk.
    data_names = ("stdlib_docstrings", "imdb_reviews")

    def _texts(self, split, n=None, data=None):
        from keras_zoo.data import text

        if data not in (None, "stdlib_docstrings"):
            return tfds_texts(data, split, n)
        texts, labels = text.labelled_corpus("validation" if split == "test" else split)
        if n is not None:
            texts, labels = texts[:n], labels[:n]
        return texts, labels

    def _arrays(self, model, entry, split, n=None, data=None):
        texts, labels = self._texts(split, n, data)
        ids = tokenize(model, tf.constant(string_array(texts))).numpy()
        labels = np.asarray(labels)
        check_classes(model, data or "stdlib_docstrings",
                      int(labels.max()) + 1 if len(labels) else 0)
        return ids, labels

    def serving_fn(self, model):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="text")])
        def serve(text):
            probabilities = model(tokenize(model, text), training=False)
            return {"probabilities": probabilities,
                    "classes": tf.argmax(probabilities, axis=-1, output_type=tf.int32)}

        return serve

    def serving_example(self, model, n=4, seed=0):
        texts, _ = self._texts("validation")
        rng = np.random.default_rng(seed)
        picked = [texts[i] for i in rng.choice(len(texts), n)]
        # Bad input the signature must survive: an empty string and out-of-vocabulary words.
        picked[0] = ""
        if n > 1:
            picked[1] = "zyxxq qwertyuiop " + picked[1]
        return {"text": string_array(picked)}

    def test_examples(self, model, entry, n=64):
        texts, labels = self._texts("test", n)
        return {"text": string_array(texts)}, labels

    def representative_examples(self, model, entry, n=100, seed=0):
        texts, _ = self._texts("train", n)
        return [{"text": string_array(texts[i:i + 1])} for i in range(len(texts))]


def tfds_texts(name, split, n=None):
    """``(texts, labels)`` of a TFDS text-classification dataset (``imdb_reviews``...), split
    as ``keras_zoo.data.tfds.SPLITS`` (validation: the last 10% of train); nothing is
    downloaded (``keras_zoo.data.text.tfds_text_classification``)."""
    import tensorflow_datasets as tfds

    from keras_zoo.data import text
    from keras_zoo.data.tfds import tfds_split

    ds = text.tfds_text_classification(name, tfds_split(split), batch_size=256).unbatch()
    if n is not None:
        ds = ds.take(n)
    pairs = [(t.decode("utf-8", "replace"), int(y)) for t, y in tfds.as_numpy(ds)]
    if not pairs:
        raise ValueError(f"TFDS {name} split {split!r} is empty.")
    return [t for t, _ in pairs], np.array([y for _, y in pairs], np.int32)

"""Unsupervised domain adaptation: labelled source images, unlabelled target images in training;
served as a classifier (uint8 images in, class probabilities out), evaluated on the target."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from keras_zoo.tasks.classification import ClassificationTask


def _load(model, data, domain, split, n=None):
    from keras_zoo.data.domains import load_adaptation

    h, w, c = model.image_shape
    if c != 3:
        raise ValueError(f"{model.name}: domain adaptation images are RGB; build the model with "
                         f"3 channels, got {model.image_shape}.")
    images, labels = load_adaptation(data, domain, split, (h, w))
    if n is not None:
        images, labels = images[:n], labels[:n]
    return images, labels


class DomainAdaptationTask(ClassificationTask):
    name = "domain_adaptation"
    data_names = ("digits_to_textured", "digits_to_inverted")

    def battery_data(self, model, entry, n=32, seed=0):
        data = entry.data if entry else self.data_names[0]
        source, labels = _load(model, data, "source", "train", n)
        target, _ = _load(model, data, "target", "train", n)
        return {"source": source.astype(np.float32) / 255.0,
                "target": target.astype(np.float32) / 255.0}, labels

    def dataset(self, model, entry, split="train", batch_size=32, seed=0, data=None,
                drop_remainder=False):
        """Training: ``({"source", "target"}, source labels)``, the two domains shuffled
        independently. Validation and test: target images and their labels (for evaluation
        only)."""
        data = data or entry.data
        scale = lambda x: tf.cast(x, tf.float32) / 255.0  # noqa: E731
        if split != "train":
            images, labels = _load(model, data, "target", split)
            ds = tf.data.Dataset.from_tensor_slices((images, labels))
            ds = ds.batch(batch_size, drop_remainder=drop_remainder)
            return ds.map(lambda x, y: (scale(x), y)).prefetch(tf.data.AUTOTUNE)
        source, labels = _load(model, data, "source", "train")
        target, _ = _load(model, data, "target", "train")
        src = tf.data.Dataset.from_tensor_slices((source, labels)).shuffle(
            len(source), seed=seed, reshuffle_each_iteration=True)
        tgt = tf.data.Dataset.from_tensor_slices(target).shuffle(
            len(target), seed=seed + 1, reshuffle_each_iteration=True)
        ds = tf.data.Dataset.zip((src, tgt)).batch(batch_size, drop_remainder=drop_remainder)
        ds = ds.map(lambda s, t: ({"source": scale(s[0]), "target": scale(t)}, s[1]))
        return ds.prefetch(tf.data.AUTOTUNE)

    def compile(self, model, entry, learning_rate=1e-3, optimizer=None, one_hot=False):
        import keras

        if one_hot:
            raise ValueError(f"task {self.name!r}: one_hot labels are not supported.")
        model.compile(optimizer=optimizer or keras.optimizers.Adam(learning_rate))

    #: The label loss must fall; the total includes the domain loss, which the adversarial
    #: features are meant to drive up.
    learned_key = "class_loss"

    def export_model(self, model):
        return model

    def serving_fn(self, model):
        h, w, c = model.image_shape

        @tf.function(input_signature=[tf.TensorSpec([None, h, w, c], tf.uint8, name="images")])
        def serve(images):
            probabilities = model(tf.cast(images, tf.float32) / 255.0, training=False)
            return {"probabilities": probabilities,
                    "classes": tf.argmax(probabilities, axis=-1, output_type=tf.int32)}

        return serve

    def serving_example(self, model, n=4, seed=0):
        h, w, c = model.image_shape
        rng = np.random.default_rng(seed)
        return {"images": rng.integers(0, 256, size=(n, h, w, c)).astype(np.uint8)}

    def test_examples(self, model, entry, n=64):
        images, labels = _load(model, entry.data if entry else self.data_names[0], "target",
                               "test", n)
        return {"images": images}, labels

    def representative_examples(self, model, entry, n=100, seed=0):
        data = entry.data if entry else self.data_names[0]
        source, _ = _load(model, data, "source", "train", n // 2)
        target, _ = _load(model, data, "target", "train", n - n // 2)
        images = np.concatenate([source, target])
        return [{"images": images[i:i + 1]} for i in range(len(images))]

    def evaluation_metrics(self, model, entry, split="test", data=None, seed=0):
        """Accuracy on the source and on the target domain of the held-out split."""
        if data is not None:
            self.check_data(data)
        data = data or entry.data
        out = {}
        for domain in ("source", "target"):
            images, labels = _load(model, data, domain, split)
            probabilities = np.asarray(model.predict(images.astype(np.float32) / 255.0,
                                                     verbose=0))
            out[f"{domain}_accuracy"] = float(np.mean(probabilities.argmax(-1) == labels))
        return out

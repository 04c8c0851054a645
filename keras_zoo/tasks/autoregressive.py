"""Autoregressive density models (PixelCNN): uint8 images in, their likelihood out.

The served network scores images: ``serving_default`` takes raw uint8 ``images`` and returns
``bits_per_dim`` (the negative log-likelihood per pixel and channel, in bits) and
``predicted`` (the most likely level of each pixel given the pixels before it, as uint8).
Sampling needs one pass per pixel and stays in Python (``PixelCNNModel.sample``).
"""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

from keras_zoo.tasks.base import Task
from keras_zoo.tasks.generative import load_images


class AutoregressiveTask(Task):
    name = "autoregressive"
    data_names = ("digits", "shapes", "mnist", "cifar10")

    def _arrays(self, model, entry, split, n=None):
        data = entry.data if entry is not None else "digits"
        return load_images(data, split, model.image_shape, n)[0]

    def battery_data(self, model, entry, n=32, seed=0):
        return self._arrays(model, entry, "train", n).astype(np.float32) / 255.0, None

    def dataset(self, model, entry, split="train", batch_size=32, seed=0, data=None,
                drop_remainder=False):
        import dataclasses

        if data is not None:
            entry = dataclasses.replace(entry, data=data)
        images = self._arrays(model, entry, split).astype(np.float32) / 255.0
        ds = tf.data.Dataset.from_tensor_slices(images)
        if split == "train":
            ds = ds.shuffle(4096, seed=seed, reshuffle_each_iteration=True)
        return ds.batch(batch_size, drop_remainder=drop_remainder).prefetch(tf.data.AUTOTUNE)

    def compile(self, model, entry, learning_rate=1e-3, optimizer=None):
        import keras

        model.compile(optimizer=optimizer or keras.optimizers.Adam(learning_rate))

    def export_model(self, model):
        return model.serving_model()

    def serving_fn(self, model):
        h, w, c, levels = model.outputs[0].shape[1:]

        @tf.function(input_signature=[tf.TensorSpec([None, h, w, c], tf.uint8, name="images")])
        def serve(images):
            x = tf.cast(images, tf.float32) / 255.0
            logits = tf.reshape(model(x, training=False), [-1, levels])
            targets = tf.reshape(tf.cast(tf.round(x * (levels - 1)), tf.int32), [-1])
            log_p = tf.nn.log_softmax(logits, axis=-1)
            picked = tf.reduce_sum(log_p * tf.one_hot(targets, levels), axis=-1)
            nll = -tf.reduce_mean(tf.reshape(picked, [-1, h * w * c]), axis=-1)
            best = tf.cast(tf.argmax(logits, axis=-1), tf.float32) * (255.0 / (levels - 1))
            predicted = tf.cast(tf.round(tf.reshape(best, [-1, h, w, c])), tf.uint8)
            return {"bits_per_dim": nll / math.log(2.0), "predicted": predicted}

        return serve

    def serving_example(self, model, n=4, seed=0):
        h, w, c = model.inputs[0].shape[1:]
        rng = np.random.default_rng(seed)
        return {"images": rng.integers(0, 256, (n, h, w, c)).astype(np.uint8)}

    def representative_examples(self, model, entry, n=100, seed=0):
        images = self._arrays(_Shaped(model), entry, "train", n)
        return [{"images": images[i:i + 1]} for i in range(len(images))]

    def test_examples(self, model, entry, n=32):
        images = self._arrays(_Shaped(model), entry, "test", n)
        return {"images": images}, None

    def int8_agreement(self, reference, quantized):
        r, q = np.asarray(reference["bits_per_dim"]), np.asarray(quantized["bits_per_dim"])
        return float(1.0 - np.mean(np.abs(r - q) / np.maximum(r, 1e-6)))

    def int8_check(self, reference, quantized):
        r, q = np.asarray(reference["bits_per_dim"]), np.asarray(quantized["bits_per_dim"])
        relative = float(np.mean(np.abs(r - q) / np.maximum(r, 1e-6)))
        return relative <= 0.05, f"mean relative |d bits/dim| {relative:.4f} (<= 0.05)"

    def parity_tolerance(self):
        # "predicted" is uint8: a near-tie between two levels may flip to the neighbour.
        return 255.0 / 16


class _Shaped:
    """The image shape of a served network, as ``_arrays`` reads it from a model."""

    def __init__(self, network):
        self.image_shape = tuple(network.inputs[0].shape[1:])

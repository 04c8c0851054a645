"""Video classification: uint8 clips ``[batch, T, H, W, 3]`` in, class probabilities out.

A model with one input takes the clip. A two-stream model (Simonyan & Zisserman 2014) takes two
named inputs, ``clips`` and ``flow`` (``[batch, T - 1, H, W, 2]`` optical flow in pixels, what
``keras_zoo.data.clips.optical_flow`` computes with OpenCV, since flow cannot be computed in a
TF-Serving graph with builtin ops); its serving signature takes both.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from keras_zoo.tasks.base import ArraysTask
from keras_zoo.tasks.classification import ClassificationTask

#: Augmentations applied identically to every frame of a clip. A horizontal flip is absent on
#: purpose: it turns "moving right" into "moving left", another class of the embedded clips.
AUGMENTATIONS = ("flip_vertical", "translation")


def clip_shape(model):
    """``(T, H, W, C)`` of the model's clip input; a clear error if it is not fixed."""
    spec = {t.name.split(":")[0]: t for t in model.inputs} if model.inputs else {}
    clips = spec.get("clips", model.inputs[0] if model.inputs else None)
    shape = tuple(clips.shape[1:]) if clips is not None else ()
    if len(shape) != 4 or None in shape:
        raise ValueError(f"{model.name}: a video model needs a clip input of fixed (T, H, W, C), "
                         f"got {shape}.")
    return shape


def is_two_stream(model) -> bool:
    """Two-stream models are those whose inputs are named ``clips`` and ``flow``."""
    return sorted(t.name.split(":")[0] for t in model.inputs) == ["clips", "flow"]


def _augmenter(augment, seed):
    import keras

    unknown = [a for a in augment if a not in AUGMENTATIONS]
    if unknown:
        raise ValueError(f"task 'video_classification': unknown augmentation(s) {unknown}; "
                         f"accepted: {list(AUGMENTATIONS)}.")
    layers = []
    if "flip_vertical" in augment:
        layers.append(keras.layers.RandomFlip("vertical", seed=seed))
    if "translation" in augment:
        layers.append(keras.layers.RandomTranslation(0.1, 0.1, fill_mode="nearest", seed=seed))
    return layers


def _per_clip(layers, clips):
    """Applies image augmentation layers to a batch of clips with one draw per clip: the
    frames are stacked as channels (``[B, H, W, T*C]``), so every frame gets the same
    transform."""
    b, t, h, w, c = (tf.shape(clips)[i] for i in range(5))
    images = tf.reshape(tf.transpose(clips, [0, 2, 3, 1, 4]), [b, h, w, t * c])
    for layer in layers:
        images = layer(images, training=True)
    return tf.transpose(tf.reshape(images, [b, h, w, t, c]), [0, 3, 1, 2, 4])


class VideoClassificationTask(ArraysTask, ClassificationTask):
    """Arrays in memory (``ArraysTask``: serving, test and calibration examples from the
    splits), compiled, exported and int8-checked as a classifier."""

    name = "video_classification"
    data_names = ("clips", "ucf101")

    def _arrays(self, model, entry, split, n=None, data=None):
        from keras_zoo.data import clips as clip_data

        t, h, w, c = clip_shape(model)
        if data == "ucf101":  # frames sampled uniformly over each video, resized
            videos, labels = clip_data.load_ucf101(split, frames=t, image_size=(h, w), limit=n)
        else:
            videos, labels = clip_data.load(split, frames=t, image_size=(h, w), n=n)
        labels = labels % model.outputs[0].shape[-1]  # a tiny head may have fewer classes
        x = {"clips": videos}
        if is_two_stream(model):
            x["flow"] = clip_data.optical_flow(videos)
        return x, labels

    @staticmethod
    def _scaled(x):
        return {k: (v.astype(np.float32) / 255.0 if k == "clips" else v) for k, v in x.items()}

    def _model_inputs(self, model, x):
        return x if is_two_stream(model) else x["clips"]

    def battery_data(self, model, entry, n=32, seed=0):
        x, labels = self._arrays(model, entry, "train", n)
        return self._model_inputs(model, self._scaled(x)), labels

    def dataset(self, model, entry, split="train", batch_size=32, seed=0, data=None, augment=(),
                n=None, drop_remainder=False):
        """Embedded clips (``data="clips"``) or UCF101 through TFDS (``data="ucf101"``);
        ``augment`` (training split) from ``AUGMENTATIONS``, one draw per clip for all its
        frames."""
        x, labels = self._arrays(model, entry, split, n, data)
        ds = tf.data.Dataset.from_tensor_slices((x, labels))
        if split == "train":
            ds = ds.shuffle(len(labels), seed=seed, reshuffle_each_iteration=True)
        ds = ds.batch(batch_size, drop_remainder=drop_remainder)
        layers = _augmenter(tuple(augment), seed) if split == "train" else []
        two_stream = is_two_stream(model)

        def prepare(inputs, y):
            clips = tf.cast(inputs["clips"], tf.float32) / 255.0
            if layers:
                clips = _per_clip(layers, clips)
            if two_stream:  # flow is not augmented: a flip or shift would change its meaning
                return {"clips": clips, "flow": inputs["flow"]}, y
            return clips, y

        # The augmentation's draws are a function of (seed, epoch, step), so that a resumed
        # run sees the clips an uninterrupted one would.
        from keras_zoo.data.pipeline import seeded_map

        return seeded_map(ds, prepare, layers, seed).prefetch(tf.data.AUTOTUNE)

    def serving_fn(self, model):
        t, h, w, c = clip_shape(model)
        clips_spec = tf.TensorSpec([None, t, h, w, c], tf.uint8, name="clips")

        def outputs(probabilities):
            return {"probabilities": probabilities,
                    "classes": tf.argmax(probabilities, axis=-1, output_type=tf.int32)}

        if is_two_stream(model):
            flow_spec = tf.TensorSpec([None, t - 1, h, w, 2], tf.float32, name="flow")

            @tf.function(input_signature=[clips_spec, flow_spec])
            def serve_two_stream(clips, flow):
                x = {"clips": tf.cast(clips, tf.float32) / 255.0, "flow": flow}
                return outputs(model(x, training=False))

            return serve_two_stream

        @tf.function(input_signature=[clips_spec])
        def serve(clips):
            return outputs(model(tf.cast(clips, tf.float32) / 255.0, training=False))

        return serve

    def draw_prediction(self, image, outputs, index=0, scale=4):
        """A strip of the clip's frames (``image``: uint8 ``[T, H, W, 3]``), each enlarged
        ``scale`` times, above a caption with the most probable class."""
        from keras_zoo.data.clips import CLASSES
        from keras_zoo.visualize import captioned

        clip = np.asarray(image)
        if clip.ndim != 4:
            raise ValueError(f"draw_prediction: expected a clip [T, H, W, 3], got shape "
                             f"{clip.shape}.")
        strip = np.concatenate(list(clip), axis=1)
        strip = np.repeat(np.repeat(strip, scale, axis=0), scale, axis=1)
        p = np.asarray(outputs["probabilities"])[index]
        k = int(np.argmax(p))
        name = CLASSES[k] if len(p) == len(CLASSES) else f"class {k}"
        return captioned(strip, f"{name} ({p[k]:.2f})")

    def describe_prediction(self, outputs, index=0):
        from keras_zoo.data.clips import CLASSES

        p = np.asarray(outputs["probabilities"])[index]
        names = CLASSES if len(p) == len(CLASSES) else [f"class {i}" for i in range(len(p))]
        top = np.argsort(p)[::-1][:5]
        return ", ".join(f"{names[i]} {p[i]:.3f}" for i in top)

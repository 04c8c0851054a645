"""tf.data pipelines for image classification over the embedded and TFDS datasets.

Pixels travel as uint8 until the batch is augmented, then become float32 in [0, 1]: the
convention of every keras-zoo image model (the SavedModel signature does the same division, so a
client sends raw uint8 pixels).
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from keras_zoo.data import digits, shapes

#: name -> (loader(split, image_size, channels) -> (uint8 images, int labels), number of classes)
DATASETS = {
    "digits": (digits.load, digits.NUM_CLASSES),
    "shapes": (shapes.load, shapes.NUM_CLASSES),
    "mnist": (None, 10),    # TFDS; see keras_zoo.data.tfds
    "cifar10": (None, 10),  # TFDS
}

#: Augmentations a recipe may name, built from Keras core preprocessing layers. The notes' list
#: (002): flips, random crops and scales, colour jitter, translation, rotation, cutout, mixup.
AUGMENTATIONS = ("flip", "crop", "translation", "rotation", "zoom", "color_jitter", "cutout",
                 "randaugment", "mixup", "cutmix")
_BATCH_MIXERS = ("mixup", "cutmix")


def num_classes(name: str) -> int:
    _check_name(name)
    return DATASETS[name][1]


def _check_name(name):
    if name not in DATASETS:
        raise ValueError(f"Unknown dataset {name!r}; expected one of {sorted(DATASETS)}.")


def load_arrays(name: str, split: str = "train", image_size=None, channels=None):
    """``(uint8 images [N,H,W,C], int32 labels [N])`` of an embedded or TFDS dataset."""
    _check_name(name)
    loader = DATASETS[name][0]
    if loader is None:
        from keras_zoo.data import tfds as tfds_loader

        return tfds_loader.load_arrays(name, split, image_size, channels)
    if name == "shapes":
        return loader(split, image_size=image_size or (32, 32), channels=channels or 3)
    return loader(split, image_size=image_size, channels=channels)


def _name_and_factor(item):
    """An augmentation is a name, or ``(name, factor)`` to set its strength."""
    name, factor = (item, None) if isinstance(item, str) else tuple(item)
    if name not in AUGMENTATIONS:
        raise ValueError(f"Unknown augmentation {name!r}; expected some of {AUGMENTATIONS}.")
    return name, factor


def _augmentation_layer(name, factor, seed):
    """The Keras preprocessing layer of one augmentation; ``factor`` None keeps our default."""
    import keras

    def f(default):
        return default if factor is None else factor

    if name == "flip":
        return keras.layers.RandomFlip("horizontal", seed=seed)
    if name == "crop":  # a random crop rescaled to the full size: zooming in only
        return keras.layers.RandomZoom((-f(0.1), 0.0), seed=seed)
    if name == "translation":
        return keras.layers.RandomTranslation(f(0.1), f(0.1), seed=seed)
    if name == "rotation":
        return keras.layers.RandomRotation(f(0.05), seed=seed)
    if name == "zoom":
        return keras.layers.RandomZoom(f(0.1), seed=seed)
    if name == "color_jitter":
        return keras.layers.RandomColorJitter(
            value_range=(0, 255), brightness_factor=f(0.2), contrast_factor=f(0.2),
            saturation_factor=(0.4, 0.6), hue_factor=0.05, seed=seed)
    if name == "cutout":
        return keras.layers.RandomErasing(factor=f(0.5), scale=(0.02, 0.15),
                                          value_range=(0, 255), seed=seed)
    if name == "randaugment":
        return keras.layers.RandAugment(value_range=(0, 255), seed=seed)
    raise ValueError(f"Unknown augmentation {name!r}; expected some of {AUGMENTATIONS}.")


def _augmenter(items, seed):
    layers = []
    for item in items:
        name, factor = _name_and_factor(item)
        if name not in _BATCH_MIXERS:
            layers.append(_augmentation_layer(name, factor, seed))
    return layers


def image_classification_dataset(
    name: str,
    split: str = "train",
    image_size=None,
    channels=None,
    batch_size: int = 32,
    shuffle: bool | None = None,
    augment=(),
    one_hot: bool = False,
    seed: int = 0,
    cache: bool = True,
    drop_remainder: bool = False,
):
    """A batched ``tf.data.Dataset`` of ``(float32 images in [0,1], labels)``.

    Args:
        name: a key of ``DATASETS``.
        split: "train", "validation" or "test".
        image_size, channels: the model's input size and channels.
        batch_size: the global batch size.
        shuffle: default True for "train" only.
        augment: names from ``AUGMENTATIONS`` (or ``(name, factor)`` pairs), applied to
            training batches in this order; "mixup"/"cutmix" mix pairs of a batch and make
            the labels one-hot.
        one_hot: one-hot labels (forced by mixup/cutmix).
        seed: shuffling and augmentation seed.
        cache: cache the decoded images in memory (they are small).
        drop_remainder: drop the last partial batch (needed by some distribution strategies).
    """
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}.")
    images, labels = load_arrays(name, split, image_size, channels)
    classes = num_classes(name)
    mixers = [n for n, _ in map(_name_and_factor, augment) if n in _BATCH_MIXERS]
    one_hot = one_hot or bool(mixers)
    ds = tf.data.Dataset.from_tensor_slices((images, labels.astype(np.int32)))
    if cache:
        ds = ds.cache()
    if shuffle if shuffle is not None else split == "train":
        ds = ds.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size, drop_remainder=drop_remainder)
    layers = _augmenter(augment, seed)

    def prepare(x, y):
        x = tf.cast(x, tf.float32)
        for layer in layers:
            x = layer(x, training=True)
        if one_hot:
            y = tf.one_hot(y, classes)
        return x, y

    ds = ds.map(prepare, num_parallel_calls=tf.data.AUTOTUNE)
    for mixer in mixers:
        import keras

        layer = (keras.layers.MixUp if mixer == "mixup" else keras.layers.CutMix)(seed=seed)

        def mix(x, y, layer=layer):
            out = layer({"images": x, "labels": y}, training=True)
            return out["images"], out["labels"]

        ds = ds.map(mix, num_parallel_calls=tf.data.AUTOTUNE)
    ds = ds.map(lambda x, y: (x / 255.0, y), num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)

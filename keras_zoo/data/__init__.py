"""Data: embedded datasets (no network), tf.data pipelines, augmentation and TFDS loaders.

    images, labels = keras_zoo.data.load_arrays("digits", "train", image_size=(32, 32))
    ds = keras_zoo.data.image_classification_dataset("digits", "train", (32, 32), 1, 64)
"""

from keras_zoo.data import digits, shapes
from keras_zoo.data.pipeline import (
    DATASETS,
    image_classification_dataset,
    load_arrays,
    num_classes,
)

__all__ = [
    "DATASETS",
    "digits",
    "image_classification_dataset",
    "load_arrays",
    "num_classes",
    "shapes",
]

"""Real datasets through tensorflow-datasets (they need the data on disk or a download).

The machines here have no internet; this code is tested with ``tfds.testing.mock_data``, and
works unchanged where ``tfds`` can reach its data directory.
"""

from __future__ import annotations

import numpy as np

#: keras-zoo split -> TFDS split. Validation is carved from the training split, fixed.
SPLITS = {"train": "train[:90%]", "validation": "train[90%:]", "test": "test"}
SUPPORTED = ("mnist", "cifar10", "fashion_mnist", "cifar100")


def tfds_split(split: str) -> str:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {list(SPLITS)}, got {split!r}.")
    return SPLITS[split]


def load_arrays(name: str, split: str = "train", image_size=None, channels=None, data_dir=None,
                limit: int | None = None):
    """``(uint8 images [N,H,W,C], int32 labels [N])`` of a TFDS image classification dataset."""
    import tensorflow_datasets as tfds

    from keras_zoo.data.digits import resize_images

    if name not in SUPPORTED:
        raise ValueError(f"TFDS dataset {name!r} is not wired; expected one of {SUPPORTED}.")
    ds = tfds.load(name, split=tfds_split(split), as_supervised=True, data_dir=data_dir)
    if limit is not None:
        ds = ds.take(limit)
    images, labels = [], []
    for image, label in tfds.as_numpy(ds):
        images.append(image)
        labels.append(label)
    if not images:
        raise ValueError(f"TFDS {name} split {split!r} is empty.")
    images = np.stack(images).astype(np.uint8)
    return resize_images(images, image_size, channels), np.asarray(labels, np.int32)

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


#: TFDS segmentation datasets: name -> (mask feature, the map from its values to class ids).
#: Oxford-IIIT Pet trimaps: 1 pet, 2 background, 3 border -> 0, 1, 2; anything else ignored.
SEGMENTATION = {"oxford_iiit_pet": ("segmentation_mask", {1: 0, 2: 1, 3: 2})}


def load_segmentation_arrays(name, split="train", image_size=(128, 128), data_dir=None,
                             limit=None, ignore_label=255):
    """``(uint8 images [N, H, W, 3], uint8 masks [N, H, W])`` of a TFDS segmentation dataset:
    images resized bilinearly, masks by nearest neighbour (class ids are never interpolated),
    mask values mapped to class ids, unknown values to ``ignore_label``."""
    import tensorflow as tf
    import tensorflow_datasets as tfds

    if name not in SEGMENTATION:
        raise ValueError(f"TFDS segmentation dataset {name!r} is not wired; expected one of "
                         f"{sorted(SEGMENTATION)}.")
    feature, mapping = SEGMENTATION[name]
    h, w = image_size
    lookup = np.full(256, ignore_label, np.uint8)
    for value, class_id in mapping.items():
        lookup[value] = class_id
    ds = tfds.load(name, split=tfds_split(split), data_dir=data_dir)
    if limit is not None:
        ds = ds.take(limit)

    def convert(example):
        mask = tf.image.resize(example[feature], (h, w), "nearest")[..., 0]
        return _resized_image(example, h, w), tf.gather(lookup, tf.cast(mask, tf.int32))

    return _dense_pairs(ds.map(convert), name, split)


def _resized_image(example, h, w):
    """The example's uint8 image resized bilinearly to ``(h, w)``."""
    import tensorflow as tf

    image = tf.image.resize(tf.cast(example["image"], tf.float32), (h, w), "bilinear")
    return tf.cast(tf.clip_by_value(tf.round(image), 0, 255), tf.uint8)


def _dense_pairs(ds, name, split):
    """``(images, targets)`` numpy stacks of a dataset of (image, per-pixel target) pairs."""
    import tensorflow_datasets as tfds

    pairs = list(tfds.as_numpy(ds))
    if not pairs:
        raise ValueError(f"TFDS {name} split {split!r} is empty.")
    return np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])


#: TFDS depth datasets: name -> the depth feature.
DEPTH = {"nyu_depth_v2": "depth"}


def load_depth_arrays(name, split="train", image_size=(240, 320), data_dir=None, limit=None):
    """``(uint8 images [N, H, W, 3], float32 depth [N, H, W])`` of a TFDS depth dataset; the
    images resized bilinearly, the depth by nearest neighbour (an interpolated depth edge is a
    depth no surface has). NYU Depth v2's splits are "train" and "validation" (its test)."""
    import tensorflow as tf
    import tensorflow_datasets as tfds

    if name not in DEPTH:
        raise ValueError(f"TFDS depth dataset {name!r} is not wired; expected one of "
                         f"{sorted(DEPTH)}.")
    # NYU Depth v2 on TFDS has no "test" split: its "validation" is the test set of Eigen et al.
    tfds_splits = {"train": "train[:95%]", "validation": "train[95%:]", "test": "validation"}
    if split not in tfds_splits:
        raise ValueError(f"split must be one of {list(tfds_splits)}, got {split!r}.")
    h, w = image_size
    ds = tfds.load(name, split=tfds_splits[split], data_dir=data_dir)
    if limit is not None:
        ds = ds.take(limit)

    def convert(example):
        depth = tf.cast(example[DEPTH[name]], tf.float32)[..., None]
        depth = tf.image.resize(depth, (h, w), "nearest")[..., 0]
        return _resized_image(example, h, w), depth

    images, depths = _dense_pairs(ds.map(convert), name, split)
    return images, depths.astype(np.float32)

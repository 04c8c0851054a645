"""tf.data pipelines of images with boxes (and instance masks) for detection.

Synthetic shapes (``keras_zoo.data.shapes``) with padded boxes, box-aware augmentation with
Keras core's bounding-box support (``RandomFlip``, ``RandomZoom``... with
``bounding_box_format="xyxy"``), and a TFDS loader of VOC / COCO mapped to the same format.
Elements are ``(images float32 [H, W, 3] in [0, 1], {"boxes": [M, 4] xyxy pixels, "classes":
[M] int32 with -1 padding (, "masks": [M, H, W] uint8)})``.
"""

from __future__ import annotations

import tensorflow as tf

from keras_zoo.data.pipeline import seeded_map

#: Keras preprocessing layers that move boxes with the pixels, by name.
AUGMENTATIONS = ("flip", "zoom", "translation")
_SEEDS = {"train": 100, "validation": 101, "test": 102}
_SIZES = {"train": 512, "validation": 128, "test": 128}


def _augmenter(augment, seed):
    import keras

    unknown = [a for a in augment if a not in AUGMENTATIONS]
    if unknown:
        raise ValueError(f"augment: unknown {unknown}; expected some of {AUGMENTATIONS}.")
    layers = {
        "flip": lambda: keras.layers.RandomFlip("horizontal", seed=seed,
                                                bounding_box_format="xyxy"),
        "zoom": lambda: keras.layers.RandomZoom(0.2, seed=seed, bounding_box_format="xyxy"),
        "translation": lambda: keras.layers.RandomTranslation(0.1, 0.1, seed=seed,
                                                              bounding_box_format="xyxy"),
    }
    return [layers[a]() for a in augment]


def augment_boxes(images, targets, layers, image_size):
    """Applies box-aware Keras layers to a batch; boxes that leave the image are dropped
    (class -1), the rest clipped to it with ``keras.utils.bounding_boxes.clip_to_image_size``."""
    import keras

    data = {"images": images,
            "bounding_boxes": {"boxes": targets["boxes"], "labels": targets["classes"]}}
    for layer in layers:
        data = layer(data)
    h, w = image_size
    boxes = keras.utils.bounding_boxes.clip_to_image_size(
        data["bounding_boxes"], height=h, width=w, bounding_box_format="xyxy")
    kept = (targets["classes"] >= 0) & (boxes["boxes"][..., 2] > boxes["boxes"][..., 0] + 1) & (
        boxes["boxes"][..., 3] > boxes["boxes"][..., 1] + 1)
    out = dict(targets)
    out["boxes"] = tf.where(kept[..., None], tf.cast(boxes["boxes"], tf.float32), 0.0)
    out["classes"] = tf.where(kept, targets["classes"], -1)
    return data["images"], out


def detection_dataset(split="train", image_size=(64, 64), batch_size=32, n=None, num_classes=3,
                      max_objects=3, augment=(), seed=0, masks=False, min_objects=1):
    """Batched synthetic shapes with padded boxes (see the module docstring).

    Args:
        split: "train", "validation" or "test" (disjoint seeds).
        image_size: ``(height, width)``.
        batch_size: batch size.
        n: number of images (default 512 / 128 / 128).
        num_classes: how many shape classes to draw (at most 3).
        max_objects, min_objects: objects per image; boxes are padded to ``max_objects``.
        augment: names from ``AUGMENTATIONS`` (training only); boxes follow the pixels.
        seed: the augmentation's and the shuffle's seed.
        masks: also yield instance masks (flips and zooms do not move masks, so masks and
            augmentation exclude each other).
    """
    from keras_zoo.data import shapes

    if split not in _SEEDS:
        raise ValueError(f"split must be one of {list(_SEEDS)}, got {split!r}.")
    if masks and augment:
        raise ValueError("augment: box-aware augmentation does not move instance masks; "
                         "use masks=False or augment=().")
    data = shapes.generate(n or _SIZES[split], image_size=tuple(image_size),
                           min_objects=min_objects, max_objects=max_objects,
                           classes=shapes.CLASSES[:num_classes], seed=_SEEDS[split])
    targets = {"boxes": data["boxes"], "classes": data["classes"]}
    if masks:
        targets["masks"] = data["masks"]
    ds = tf.data.Dataset.from_tensor_slices((data["images"], targets))
    if split == "train":
        ds = ds.shuffle(len(data["images"]), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size).map(lambda x, y: (tf.cast(x, tf.float32) / 255.0, y))
    if augment and split == "train":
        layers = _augmenter(tuple(augment), seed)
        # Seeds by (seed, epoch, step), not by the layers' state: a resumed run repeats them.
        ds = seeded_map(ds, lambda x, y: augment_boxes(x, y, layers, image_size), layers, seed,
                        num_parallel_calls=None)
    return ds.prefetch(tf.data.AUTOTUNE)


def tfds_detection(name="voc/2007", split="train", image_size=(300, 300), max_objects=20,
                   batch_size=8, data_dir=None):
    """VOC or COCO from TFDS in the same format: images resized to ``image_size`` (boxes
    scaled with them), TFDS' relative ``yxyx`` boxes converted to pixel ``xyxy`` with
    ``keras.utils.bounding_boxes.convert_format``, padded to ``max_objects``.

    Args:
        name: a TFDS detection dataset with ``objects/bbox`` and ``objects/label`` ("voc/2007",
            "coco/2017", ...).
        split: the TFDS split.
        image_size: ``(height, width)`` of the output images.
        max_objects: boxes per image after padding (extra objects are dropped).
        batch_size: batch size.
        data_dir: TFDS' data directory (nothing is downloaded here).
    """
    import keras
    import tensorflow_datasets as tfds

    h, w = image_size

    def convert(example):
        image = tf.image.resize(tf.cast(example["image"], tf.float32), (h, w)) / 255.0
        boxes = keras.utils.bounding_boxes.convert_format(
            example["objects"]["bbox"], source="rel_yxyx", target="xyxy", height=h, width=w)
        labels = tf.cast(example["objects"]["label"], tf.int32)
        count = tf.minimum(tf.shape(labels)[0], max_objects)
        pad = max_objects - count
        boxes = tf.pad(boxes[:count], [[0, pad], [0, 0]])
        labels = tf.pad(labels[:count], [[0, pad]], constant_values=-1)
        return image, {"boxes": tf.reshape(boxes, [max_objects, 4]),
                       "classes": tf.reshape(labels, [max_objects])}

    ds = tfds.load(name, split=split, data_dir=data_dir, download=False)
    return ds.map(convert).batch(batch_size)

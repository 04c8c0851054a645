"""Semantic segmentation data: the synthetic shapes' per-pixel classes at any image size, a
``tf.data`` pipeline with augmentation applied jointly to images and masks (Keras core's
preprocessing layers, which move ``segmentation_masks`` with nearest-neighbour interpolation:
a mask is never interpolated bilinearly), and the Oxford-IIIT Pet trimaps through TFDS.

Masks are uint8 ``[H, W]`` class ids; ``IGNORE_LABEL`` (255) marks pixels that count nowhere.
Elements of the datasets are ``(images float32 [H, W, 3] in [0, 1], masks int32 [H, W])``.
"""

from __future__ import annotations

import numpy as np

#: Pixels with this label are left out of losses and metrics (PASCAL VOC's "void").
IGNORE_LABEL = 255
#: Names ``segmentation_dataset`` loads.
DATA_NAMES = ("shapes", "oxford_iiit_pet")
#: Augmentations by name: Keras core layers that transform images and masks together.
AUGMENTATIONS = ("flip", "translation", "zoom", "rotation")
SPLIT_SEEDS = {"train": 200, "validation": 201, "test": 202}
SIZES = {"train": 512, "validation": 128, "test": 128}
#: Background plus the three shapes of ``keras_zoo.data.shapes``.
SHAPES_CLASSES = ("background", "circle", "square", "triangle")


def check_split(split):
    if split not in SPLIT_SEEDS:
        raise ValueError(f"split must be one of {list(SPLIT_SEEDS)}, got {split!r}.")


def check_masks(masks, num_classes, ignore_label=IGNORE_LABEL, name="masks"):
    """Raises ``ValueError`` if a mask holds a class id outside ``[0, num_classes)`` other than
    ``ignore_label``; returns the masks."""
    masks = np.asarray(masks)
    bad = (masks >= num_classes) | (masks < 0)
    if ignore_label is not None:
        bad &= masks != ignore_label
    if bad.any():
        values = sorted({int(v) for v in np.unique(masks[bad])})
        raise ValueError(
            f"{name}: class ids {values[:10]} are outside the model's {num_classes} classes "
            f"(0..{num_classes - 1}; {ignore_label} is the ignore label). Build the model with "
            f"more classes or remap the labels.")
    return masks


def shapes_segmentation(n, image_size=(32, 32), num_classes=4, seed=0, min_objects=1,
                        max_objects=3):
    """``(images uint8 [n, H, W, 3], masks uint8 [n, H, W])``: synthetic shapes with their
    exact per-pixel classes (0 background, 1 + shape index), drawn from ``seed``.

    Args:
        n: number of images.
        image_size: ``(height, width)`` (any size of at least 8 pixels).
        num_classes: 2 to 4, background included: the first ``num_classes - 1`` shapes are
            drawn (a 2-class model separates circles from the background).
        seed: everything is a function of it.
        min_objects, max_objects: objects per image.
    """
    from keras_zoo.data import shapes

    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or not (
            2 <= num_classes <= len(SHAPES_CLASSES)):
        raise ValueError(f"shapes segmentation: num_classes must be an int in [2, "
                         f"{len(SHAPES_CLASSES)}] (background + shapes), got {num_classes!r}.")
    h, w = (int(s) for s in image_size)
    if min(h, w) < 8:
        raise ValueError(f"shapes segmentation: image_size must be at least 8x8, got "
                         f"{tuple(image_size)}.")
    data = shapes.generate(n, image_size=(h, w), min_objects=min_objects,
                           max_objects=max_objects, classes=shapes.CLASSES[:num_classes - 1],
                           seed=seed)
    return data["images"], data["segmentation"]


def _augmenter(augment, seed):
    import keras

    augment = tuple(augment)
    unknown = [a for a in augment if a not in AUGMENTATIONS]
    if unknown:
        raise ValueError(f"augment: unknown {unknown}; expected some of {AUGMENTATIONS}.")
    # The fill of translated, zoomed and rotated borders is 0: black pixels, background class.
    layers = {
        "flip": lambda: keras.layers.RandomFlip("horizontal", seed=seed),
        "translation": lambda: keras.layers.RandomTranslation(0.1, 0.1, fill_mode="constant",
                                                              seed=seed),
        "zoom": lambda: keras.layers.RandomZoom(0.15, fill_mode="constant", seed=seed),
        "rotation": lambda: keras.layers.RandomRotation(0.05, fill_mode="constant", seed=seed),
    }
    return [layers[a]() for a in augment]


def augment_pair(images, masks, layers):
    """Applies Keras preprocessing ``layers`` to a batch of images ``[B, H, W, C]`` and masks
    ``[B, H, W]`` with one random transformation per example for both (the layers' own
    ``segmentation_masks`` path, nearest-neighbour for masks)."""
    import tensorflow as tf

    data = {"images": images, "segmentation_masks": tf.cast(masks[..., None], tf.float32)}
    for layer in layers:
        data = layer(data)
    return data["images"], tf.cast(tf.round(data["segmentation_masks"][..., 0]), tf.int32)


def load_arrays(data="shapes", split="train", image_size=(32, 32), num_classes=4, n=None,
                seed=None, data_dir=None):
    """``(images uint8 [N, H, W, 3], masks uint8 [N, H, W])`` of a split of ``data``.

    Args:
        data: one of ``DATA_NAMES``.
        split: "train", "validation" or "test" (disjoint seeds for shapes).
        image_size: ``(height, width)``.
        num_classes: the model's classes (shapes: the shapes drawn; TFDS: checked).
        n: number of images (shapes default 512 / 128 / 128; TFDS: all).
        seed: overrides the split's seed (shapes).
        data_dir: TFDS' data directory.
    """
    check_split(split)
    if data == "shapes":
        images, masks = shapes_segmentation(n or SIZES[split], image_size, min(num_classes, 4),
                                            SPLIT_SEEDS[split] if seed is None else seed)
    elif data == "oxford_iiit_pet":
        from keras_zoo.data.tfds import load_segmentation_arrays

        images, masks = load_segmentation_arrays(data, split, image_size, data_dir=data_dir,
                                                 limit=n)
    else:
        raise ValueError(f"segmentation data: unknown {data!r}; expected one of {DATA_NAMES}.")
    return images, check_masks(masks, num_classes, name=f"{data} masks")


def segmentation_dataset(data="shapes", split="train", image_size=(32, 32), num_classes=4,
                         batch_size=32, n=None, augment=(), seed=0, drop_remainder=False,
                         data_dir=None):
    """Batched ``(images float32 in [0, 1], masks int32)`` of ``load_arrays``, the training split
    reshuffled every epoch and augmented (``augment``: names from ``AUGMENTATIONS``)."""
    import tensorflow as tf

    layers = _augmenter(augment, seed) if augment else []
    images, masks = load_arrays(data, split, image_size, num_classes, n, data_dir=data_dir)
    ds = tf.data.Dataset.from_tensor_slices((images, masks))
    if split == "train":
        ds = ds.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size, drop_remainder=drop_remainder).map(
        lambda x, y: (tf.cast(x, tf.float32) / 255.0, tf.cast(y, tf.int32)))
    if layers and split == "train":
        from keras_zoo.data.pipeline import seeded_map

        # The draws are a function of (seed, epoch, step): a resumed run repeats them.
        ds = seeded_map(ds, lambda x, y: augment_pair(x, y, layers), layers, seed)
    return ds.prefetch(tf.data.AUTOTUNE)

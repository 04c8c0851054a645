"""tf.data pipelines for image classification over the embedded and TFDS datasets.

Pixels travel as uint8 until the batch is augmented, then become float32 in [0, 1]: the
convention of every keras-zoo image model (the SavedModel signature does the same division, so a
client sends raw uint8 pixels).
"""

from __future__ import annotations

import math

import keras
import numpy as np
import tensorflow as tf

from keras_zoo.data import digits, rendered_digits, shapes

#: name -> (loader(split, image_size, channels) -> (uint8 images, int labels), number of classes)
DATASETS = {
    "digits": (digits.load, digits.NUM_CLASSES),
    "rendered_digits": (rendered_digits.load, rendered_digits.NUM_CLASSES),
    "rendered_digits_20k": (rendered_digits.load_20k, rendered_digits.NUM_CLASSES),
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


class _BatchKeyedSeeds(keras.random.SeedGenerator):
    """A seed generator without state: its seeds are a function of the key of the batch being
    mapped (see ``seeded_map``) and of the draw's rank within the layer's call."""

    def __init__(self, index):
        # No state variable on purpose: a stateful generator in a tf.data map restarts from its
        # initial state in a resumed process and advances with whatever the prefetch read ahead.
        self.name, self.index, self.key, self.draws = f"batch_keyed_seeds_{index}", index, None, 0
        self._initial_seed = index

    def next(self, ordered=True):
        if self.key is None:
            raise RuntimeError("this augmentation layer draws its seeds from seeded_map's batch "
                               "key; call it through keras_zoo.data.pipeline.seeded_map.")
        self.draws += 1
        seed = tf.stack([self.key, tf.constant(self.index, tf.int64)])
        return tf.random.experimental.stateless_fold_in(seed, self.draws)


def _keyed(layers):
    """Gives every layer of ``layers`` (and the layers they hold, as RandAugment does) a
    ``_BatchKeyedSeeds`` in place of its stateful seed generator; returns the generators."""
    generators, seen, todo = [], set(), list(layers)
    while todo:
        layer = todo.pop(0)
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        if hasattr(layer, "generator") and hasattr(layer, "seed"):
            generator = _BatchKeyedSeeds(len(generators))
            # object.__setattr__: Keras would track the generator as the layer's state.
            object.__setattr__(layer, "generator", generator)
            generators.append(generator)
        todo += [v for v in vars(layer).values() if isinstance(v, keras.layers.Layer)]
    return generators


def seeded_map(ds, fn, layers, seed, num_parallel_calls=tf.data.AUTOTUNE, rerandomize=True):
    """``ds.map(fn)`` in which the random draws of the Keras preprocessing ``layers`` that
    ``fn`` calls are a function of (seed, epoch, step) instead of a generator's state.

    ``layers`` are objects with ``generator`` and ``seed`` attributes: Keras preprocessing
    layers, or a plain holder whose ``generator`` (replaced here by a batch-keyed
    ``keras.random.SeedGenerator``) ``fn`` passes to its own random draws.

    Each element is zipped with a key from ``tf.data.Dataset.random(seed,
    rerandomize_each_iteration=True)``: like a reshuffled ``shuffle``, the keys are a new
    sequence for every iterator (epoch), the same sequence in a fresh process. A run resumed at
    epoch ``e`` that creates ``e`` iterators first (``distribute.distribute_for_resume``) draws
    the augmentation of the uninterrupted run, whatever runs in parallel or is prefetched.
    ``rerandomize=False`` draws the same keys for every iterator (a held-out split that must
    be the same data every epoch, also in a resumed run).
    """
    generators = _keyed(layers)
    keys = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=rerandomize)

    def apply(element, key):
        for generator in generators:
            generator.key, generator.draws = key, 0
        try:
            return fn(*element) if isinstance(element, tuple) else fn(element)
        finally:
            for generator in generators:
                generator.key = None

    return tf.data.Dataset.zip((ds, keys)).map(apply, num_parallel_calls=num_parallel_calls)


def _name_and_factor(item):
    """An augmentation is a name, or ``(name, factor)`` to set its strength."""
    name, factor = (item, None) if isinstance(item, str) else tuple(item)
    if name not in AUGMENTATIONS:
        raise ValueError(f"Unknown augmentation {name!r}; expected some of {AUGMENTATIONS}.")
    return name, factor


def _augmentation_layer(name, factor, seed):
    """The Keras preprocessing layer of one augmentation; ``factor`` None keeps our default."""
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


#: Warps that compose into one affine transform: a run of them in a recipe's ``augment``
#: resamples the batch once (``FusedWarp``).
_WARPS = (keras.layers.RandomTranslation, keras.layers.RandomRotation, keras.layers.RandomZoom)


def _is_flip(layer):
    """A horizontal ``RandomFlip``: an affine map of the pixel grid onto itself, so it joins
    a run of warps (it does not resample on its own, and has no resampling settings)."""
    return isinstance(layer, keras.layers.RandomFlip) and layer.mode == "horizontal"


class FusedWarp:
    """Keras' ``RandomTranslation``, ``RandomRotation``, ``RandomZoom`` and horizontal
    ``RandomFlip`` layers applied in their order as one warp of the batch: each layer draws its
    transformation as when it is called (the same draws, from the same generators, as the
    layers one after the other), the transformations are composed, and the batch is resampled
    once.

    Why: each layer is a bilinear resampling of the whole batch, and the input pipeline of
    LeNet-5's recipe (translation then rotation on 32x32 digits) spent most of its time in
    them: ``keras-zoo benchmark lenet5 --against cached-tensors`` 0.66-0.72 (issue 14).
    Measured in one process (CPU seconds per epoch of the recipe's pipeline, 20 batches of
    64): 0.104 with the two layers and a separate ``/255`` map, 0.067 fused (the warp itself
    ~0.03, the pipeline without augmentation ~0.015). One resampling also blurs the digits
    once instead of twice; the fill (reflection) is of the composed transform's source
    coordinates rather than of the first warp's output near the borders. The recipe still
    reaches its bar (``keras-zoo train lenet5``: test accuracy 0.9833, bar 0.98).

    The papers' crop and flip (``augment=("crop", "flip")``: ``RandomZoom`` zooming in, then a
    horizontal ``RandomFlip``) are one warp too: Keras' flip is a select between the batch and
    its mirror image, another pass over the batch. Measured in a ``tf.data`` map (CPU per
    batch of 32 at 224 x 224): 91.5 ms as the two layers, 66.9 ms fused. A flip maps pixel
    centres onto pixel centres, so a run of flips alone is left to Keras.

    Args:
        layers: ``RandomTranslation``/``RandomRotation``/``RandomZoom`` layers with the same
            interpolation, fill mode and fill value, and horizontal ``RandomFlip`` layers, in
            the order they apply; at least one that resamples.
    """

    def __init__(self, layers):
        layers = list(layers)
        if (not any(isinstance(la, _WARPS) for la in layers)
                or any(not isinstance(la, _WARPS) and not _is_flip(la) for la in layers)):
            raise ValueError(f"FusedWarp: layers must be RandomTranslation/RandomRotation/"
                             f"RandomZoom layers and horizontal RandomFlip layers, at least one "
                             f"of the first three, got {layers!r}.")
        settings = {_settings(la) for la in layers if isinstance(la, _WARPS)}
        if len(settings) != 1:
            raise ValueError(f"FusedWarp: layers must share interpolation, fill_mode and "
                             f"fill_value, got {sorted(settings)}.")
        self.layers = layers
        self.interpolation, self.fill_mode, self.fill_value = settings.pop()

    @staticmethod
    def _matrix(layer, height, width, batch):
        """``[B, 3, 3]`` matrices mapping output pixel coordinates to input ones (the
        convention of ``ImageProjectiveTransformV3``), drawn as the layer's
        ``get_random_transformation`` draws them (the same calls of its generator, the same
        arithmetic: equal to its matrices bit for bit, tests/data/test_fused_warp.py) in a
        handful of ops instead of its few dozen, which cost more than the warp itself."""
        zeros, ones = tf.zeros((batch,)), tf.ones((batch,))
        if _is_flip(layer):
            flips = keras.random.uniform((batch, 1, 1, 1), seed=layer.generator) <= 0.5
            flips = tf.reshape(flips, (-1,))
            # Output column x reads input column width - 1 - x: exact on the pixel grid.
            sign = tf.where(flips, -ones, ones)
            shift = tf.where(flips, tf.cast(width, tf.float32) - 1.0, zeros)
            rows = [sign, zeros, shift, zeros, ones, zeros]
        elif isinstance(layer, keras.layers.RandomZoom):
            zy = keras.random.uniform((batch, 1), 1.0 + layer.height_lower,
                                      1.0 + layer.height_upper, seed=layer.generator)
            zx = zy if layer.width_factor is None else keras.random.uniform(
                (batch, 1), 1.0 + layer.width_lower, 1.0 + layer.width_upper,
                seed=layer.generator)
            zx, zy = zx[:, 0], zy[:, 0]
            # Keras' _get_zoom_matrix: a scale about the image centre.
            rows = [zx, zeros, (tf.cast(width, tf.float32) - 1.0) / 2.0 * (1.0 - zx),
                    zeros, zy, (tf.cast(height, tf.float32) - 1.0) / 2.0 * (1.0 - zy)]
        elif isinstance(layer, keras.layers.RandomTranslation):
            dy = keras.random.uniform((batch, 1), layer.height_lower, layer.height_upper,
                                      seed=layer.generator) * tf.cast(height, tf.float32)
            dx = keras.random.uniform((batch, 1), layer.width_lower, layer.width_upper,
                                      seed=layer.generator) * tf.cast(width, tf.float32)
            rows = [ones, zeros, -dx[:, 0], zeros, ones, -dy[:, 0]]
        else:
            angle = keras.random.uniform((batch,), layer.factor[0] * 360.0,
                                         layer.factor[1] * 360.0, seed=layer.generator)
            angle = angle * tf.constant(math.pi / 180.0)
            cx = 0.5 * (tf.cast(width, tf.float32) - 1)
            cy = 0.5 * (tf.cast(height, tf.float32) - 1)
            cos, sin = tf.cos(angle), tf.sin(angle)
            # Keras' _compute_affine_matrix at zero translation and shear, unit scale.
            rows = [cos, -sin, cx - cx * cos - cy * -sin, sin, cos, cy - cx * sin - cy * cos]
        return tf.reshape(tf.stack(rows + [zeros, zeros, ones], axis=1), (-1, 3, 3))

    def __call__(self, images):
        images = tf.convert_to_tensor(images, tf.float32)
        shape = tf.shape(images)
        # Warping by A then by B samples the input at A(B(p)): the product in the layers'
        # order, the last layer's matrix rightmost.
        matrix = None
        for layer in self.layers:
            m = self._matrix(layer, shape[1], shape[2], shape[0])
            matrix = m if matrix is None else tf.linalg.matmul(matrix, m)
        warped = tf.raw_ops.ImageProjectiveTransformV3(
            images=images, transforms=tf.reshape(matrix, (-1, 9))[:, :8],
            output_shape=shape[1:3], fill_value=self.fill_value,
            interpolation=self.interpolation.upper(), fill_mode=self.fill_mode.upper())
        return tf.ensure_shape(warped, images.shape)  # the static shape the next layers need


def fuse_warps(layers):
    """``layers`` with every run of two or more consecutive warps (``_WARPS``, horizontal
    flips) sharing their resampling settings, at least one of them resampling, replaced by one
    ``FusedWarp``; the others as they are."""
    steps, run = [], []

    def flush():
        if len(run) > 1 and any(isinstance(la, _WARPS) for la in run):
            steps.append(FusedWarp(run))
        else:
            steps.extend(run)
        run.clear()

    def settings(run):
        return {_settings(la) for la in run if isinstance(la, _WARPS)}

    for layer in layers:
        if _is_flip(layer) or (isinstance(layer, _WARPS)
                               and settings(run) <= {_settings(layer)}):
            run.append(layer)
            continue
        flush()
        if isinstance(layer, _WARPS):
            run.append(layer)
        else:
            steps.append(layer)
    flush()
    return steps


def _settings(layer):
    return layer.interpolation, layer.fill_mode, float(layer.fill_value)


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
    mix_layers = [(keras.layers.MixUp if m == "mixup" else keras.layers.CutMix)(seed=seed)
                  for m in mixers]

    steps = fuse_warps(layers)

    def prepare(x, y):
        x = tf.cast(x, tf.float32)
        for step in steps:
            x = step(x) if isinstance(step, FusedWarp) else step(x, training=True)
        if one_hot:
            y = tf.one_hot(y, classes)
        for layer in mix_layers:
            out = layer({"images": x, "labels": y}, training=True)
            x, y = out["images"], out["labels"]
        # In the same map: a second map was one more function call and buffer per batch.
        return x / 255.0, y

    ds = seeded_map(ds, prepare, layers + mix_layers, seed)
    return ds.prefetch(tf.data.AUTOTUNE)

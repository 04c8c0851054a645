"""Embedded data: the digits split, the shapes generator, tf.data pipelines, TFDS loaders."""

import numpy as np
import pytest
import tensorflow as tf

from keras_zoo import data
from keras_zoo.data import digits, shapes


def test_digits_split_is_fixed_disjoint_and_stratified():
    idx = digits._split_indices()
    sizes = {k: len(v) for k, v in idx.items()}
    assert sum(sizes.values()) == 1797
    assert set(idx["train"]).isdisjoint(idx["test"])
    assert set(idx["validation"]).isdisjoint(idx["test"])
    _, labels = digits.load("test")
    counts = np.bincount(labels, minlength=10)
    assert counts.min() >= 30 and counts.max() <= 40  # 20 % of each ~180-image class


@pytest.mark.parametrize("size,channels", [((28, 28), 1), ((32, 32), 3), ((64, 64), 1),
                                           ((227, 227), 3)])
def test_digits_resize(size, channels):
    images, labels = digits.load("validation", size, channels)
    assert images.shape[1:] == size + (channels,)
    assert images.dtype == np.uint8 and images.max() > 200
    assert len(images) == len(labels)


def test_digits_bad_split():
    with pytest.raises(ValueError, match="split must be one of"):
        digits.load("holdout")


def test_shapes_are_deterministic():
    a = shapes.generate(4, (48, 64), max_objects=3, seed=7)
    b = shapes.generate(4, (48, 64), max_objects=3, seed=7)
    c = shapes.generate(4, (48, 64), max_objects=3, seed=8)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    assert not np.array_equal(a["images"], c["images"])


def test_shapes_boxes_are_the_masks_extent():
    out = shapes.generate(10, (40, 40), min_objects=1, max_objects=3, seed=1)
    assert out["images"].shape == (10, 40, 40, 3)
    for i in range(10):
        n = out["num_objects"][i]
        assert 1 <= n <= 3
        assert np.all(out["classes"][i, n:] == -1)
        for j in range(n):
            ys, xs = np.nonzero(out["masks"][i, j])
            np.testing.assert_array_equal(out["boxes"][i, j],
                                          [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1])
            assert np.all(out["segmentation"][i][out["masks"][i, j] > 0]
                          == out["classes"][i, j] + 1)


def test_shapes_classes_look_different():
    out = shapes.generate(60, (32, 32), seed=3)
    assert set(out["labels"]) == {0, 1, 2}
    # a circle fills pi/4 of its box, a square all of it, a triangle about half of it
    fill = {0: [], 1: [], 2: []}
    for i in range(60):
        x0, y0, x1, y1 = out["boxes"][i, 0]
        fill[out["classes"][i, 0]].append(out["masks"][i, 0].sum() / ((x1 - x0) * (y1 - y0)))
    assert np.mean(fill[1]) > np.mean(fill[0]) > np.mean(fill[2])


def test_shapes_bad_arguments():
    with pytest.raises(ValueError, match="min_objects"):
        shapes.generate(1, max_objects=0)
    with pytest.raises(ValueError, match="unknown shapes"):
        shapes.generate(1, classes=("hexagon",))


def test_pipeline_batches_floats_in_unit_range():
    ds = data.image_classification_dataset("digits", "train", (16, 16), 1, batch_size=64)
    x, y = next(iter(ds))
    assert x.shape == (64, 16, 16, 1) and x.dtype == tf.float32
    assert 0.0 <= float(tf.reduce_min(x)) and float(tf.reduce_max(x)) <= 1.0
    assert y.dtype == tf.int32
    total = sum(int(b[0].shape[0]) for b in ds)
    assert total == len(digits._split_indices()["train"])


def test_pipeline_is_seeded():
    a = [y.numpy() for _, y in data.image_classification_dataset("digits", "train", batch_size=32,
                                                                  seed=3)]
    b = [y.numpy() for _, y in data.image_classification_dataset("digits", "train", batch_size=32,
                                                                  seed=3)]
    np.testing.assert_array_equal(np.concatenate(a), np.concatenate(b))


def test_augmentations_keep_shapes_and_range():
    names = ("flip", "crop", "translation", "rotation", "zoom", "color_jitter", "cutout",
             "randaugment")
    # One augmented pipeline (its trace of the eight augmentations is most of the cost),
    # unshuffled so that its first batch holds the same images as the plain one's.
    ds = data.image_classification_dataset("shapes", "validation", (32, 32), 3, batch_size=16,
                                           shuffle=False, augment=names)
    x, y = next(iter(ds))
    assert x.shape == (16, 32, 32, 3)
    assert float(tf.reduce_min(x)) >= 0.0 and float(tf.reduce_max(x)) <= 1.0 + 1e-6
    plain, plain_y = next(iter(data.image_classification_dataset(
        "shapes", "validation", (32, 32), 3, batch_size=16, shuffle=False)))
    np.testing.assert_array_equal(y.numpy(), plain_y.numpy())  # the same images...
    assert not np.allclose(plain.numpy(), x.numpy())  # ...whose pixels augmentation changed


@pytest.mark.parametrize("mixer", ["mixup", "cutmix"])
def test_mixers_make_soft_one_hot_labels(mixer):
    ds = data.image_classification_dataset("digits", "train", (16, 16), 1, batch_size=32,
                                           augment=(mixer,))
    _, y = next(iter(ds))
    assert y.shape == (32, 10)
    np.testing.assert_allclose(tf.reduce_sum(y, -1), np.ones(32), atol=1e-5)
    assert np.any((y.numpy() > 0.01) & (y.numpy() < 0.99))  # some labels are mixed


def test_pipeline_bad_arguments():
    with pytest.raises(ValueError, match="Unknown dataset"):
        data.image_classification_dataset("imagenet")
    with pytest.raises(ValueError, match="Unknown augmentation"):
        data.image_classification_dataset("digits", augment=("warp",))
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        data.image_classification_dataset("digits", batch_size=0)


@pytest.mark.parametrize("name,shape", [("mnist", (28, 28, 1)), ("cifar10", (32, 32, 3))])
def test_tfds_loaders_with_mock_data(name, shape):
    import tensorflow_datasets as tfds

    with tfds.testing.mock_data(num_examples=12):
        images, labels = data.load_arrays(name, "test")
        assert images.shape == (12,) + shape and images.dtype == np.uint8
        assert labels.shape == (12,) and labels.max() < 10
        resized, _ = data.load_arrays(name, "train", image_size=(16, 16), channels=3)
        assert resized.shape[1:] == (16, 16, 3)
        ds = data.image_classification_dataset(name, "validation", (16, 16), 1, batch_size=4)
        x, _ = next(iter(ds))
        assert x.shape == (4, 16, 16, 1)

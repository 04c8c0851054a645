"""The rendered digits: deterministic from a seed, MNIST's format and preprocessing (ink in a
20x20 box, centre of mass at the centre of 28x28), balanced classes, registered by name."""

import numpy as np
import pytest

from keras_zoo.data import load_arrays, num_classes, rendered_digits


@pytest.fixture(scope="module")
def sample():
    return rendered_digits.generate(60, seed=3)


def test_generate_is_deterministic_from_the_seed(sample):
    images, labels = rendered_digits.generate(60, seed=3)
    np.testing.assert_array_equal(images, sample[0])
    np.testing.assert_array_equal(labels, sample[1])
    other, _ = rendered_digits.generate(60, seed=4)
    assert not np.array_equal(other, sample[0])


def test_format_and_balance(sample):
    images, labels = sample
    assert images.shape == (60, 28, 28, 1) and images.dtype == np.uint8
    assert labels.shape == (60,) and labels.dtype == np.int32
    assert images.max(axis=(1, 2, 3)).min() == 255  # every image has full-intensity ink
    np.testing.assert_array_equal(np.bincount(labels, minlength=10), [6] * 10)
    assert labels[:10].tolist() != list(range(10))  # shuffled, not 0..9 repeated
    # White digits on black, about MNIST's ink: most pixels are background.
    ink = (images > 127).mean()
    assert 0.05 < ink < 0.35, ink
    frame = np.ones((28, 28), bool)
    frame[2:-2, 2:-2] = False  # the 20x20 box centred leaves a margin: the frame holds little
    assert images[..., 0][:, frame].sum() < 0.01 * images.astype(np.int64).sum()


def test_mnist_preprocessing_box_and_centre_of_mass(sample):
    images = sample[0][..., 0].astype(np.float64)
    rows, cols = np.arange(28)[None, :, None], np.arange(28)[None, None, :]
    mass = images.sum(axis=(1, 2))
    cy = (images * rows).sum(axis=(1, 2)) / mass
    cx = (images * cols).sum(axis=(1, 2)) / mass
    # The centre of mass at the centre (13.5) within a pixel: the fit's blur moves it a little.
    assert np.abs(cy - 13.5).max() < 1.0 and np.abs(cx - 13.5).max() < 1.0
    for image in images:
        ys, xs = np.nonzero(image > 64)
        # The 20x20 fit: the long side is 20 pixels (give or take the blur), never more.
        longest = max(ys.max() - ys.min() + 1, xs.max() - xs.min() + 1)
        assert 17 <= longest <= 22, longest


def test_classes_differ(sample):
    images, labels = sample
    means = np.stack([images[labels == c].mean(axis=0) for c in range(10)]).reshape(10, -1)
    distances = np.linalg.norm(means[:, None] - means[None], axis=-1)
    assert distances[~np.eye(10, dtype=bool)].min() > 100  # no two classes look alike on average


def test_load_arrays_by_name_resizes_and_rejects_bad_names(monkeypatch):
    # Small splits: the full ones (4,000 / 500 / 1,000 images) take seconds to draw.
    monkeypatch.setitem(rendered_digits.SIZES, "validation", 20)
    rendered_digits._split.cache_clear()
    try:
        images, labels = load_arrays("rendered_digits", "validation")
        assert images.shape == (20, 28, 28, 1) and labels.shape == (20,)
        resized, _ = load_arrays("rendered_digits", "validation", (32, 32), 3)
        assert resized.shape == (20, 32, 32, 3) and resized.dtype == np.uint8
        images[:] = 0  # a caller's copy: the cached split is unchanged
        again, _ = load_arrays("rendered_digits", "validation")
        assert again.max() == 255
    finally:
        rendered_digits._split.cache_clear()
    assert num_classes("rendered_digits") == 10
    with pytest.raises(ValueError, match="split must be one of"):
        rendered_digits.load("holdout")
    with pytest.raises(ValueError, match="Unknown dataset 'rendered_digitz'"):
        load_arrays("rendered_digitz", "train")


def test_splits_are_disjoint_seeds():
    assert len(set(rendered_digits._SPLIT_SEEDS.values())) == len(rendered_digits.SPLITS)
    assert rendered_digits.SIZES == {"train": 4000, "validation": 500, "test": 1000}

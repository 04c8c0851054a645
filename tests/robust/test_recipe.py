"""The recipes madry_mnist_adversarial (the paper's MNIST setting) and
madry_rendered_digits_adversarial (madry_mnist's default) wrap Madry et al.'s network for PGD
training."""

import numpy as np

import keras_zoo
from keras_zoo import robust
from keras_zoo.data import load_arrays, num_classes, rendered_digits
from training import get_recipe
from training.recipes import describe_train_time


def test_madry_recipe_is_the_papers_pgd_setting():
    entry = keras_zoo.models.info("madry_mnist")
    recipe = get_recipe("madry_mnist_adversarial")
    wrapper = recipe.wrap(entry.build("tiny"))
    assert isinstance(wrapper, robust.AdversarialTraining)
    # Madry et al. 2018, section 5 (MNIST): eps 0.3, 40 steps of 0.01, random start, min-max.
    assert (wrapper.method, wrapper.eps, wrapper.steps, wrapper.step_size, wrapper.alpha,
            wrapper.random_start) == ("pgd", 0.3, 40, 0.01, 0.0, True)
    assert wrapper.input_shape == (None, 28, 28, 1)  # the task's pipeline reads the wrapper
    # A run that stays at chance (measured 2026-12-05: 0.100 after 40 epochs) fails its bar.
    assert recipe.test_bar == ("accuracy", 0.9, "max")
    # It is not the default: it stays at chance on the 8x8 digits (the comment in the recipe).
    assert entry.recipe != recipe.name and not recipe.train_minutes


def test_madry_mnist_default_recipe_is_the_one_that_trains_with_a_bar_and_a_time():
    entry = keras_zoo.models.info("madry_mnist")
    recipe = get_recipe(entry.recipe)
    assert recipe.name == "madry_rendered_digits_adversarial"
    # A bar the run can fail: a network left at chance scores 0.1 on the held-out digits.
    assert recipe.test_bar == ("accuracy", 0.95, "max")
    # Time to a useful model (issue 14): measured end to end, shown by `keras-zoo info`.
    assert 0 < recipe.train_minutes["madry_mnist"] <= 20
    assert describe_train_time(entry) == f"{recipe.train_minutes['madry_mnist']:g} min"


def test_rendered_digits_recipe_is_pgd7_at_eps_01_on_the_20k_split():
    recipe = get_recipe("madry_rendered_digits_adversarial")
    wrapper = recipe.wrap(keras_zoo.models.info("madry_mnist").build("tiny"))
    assert isinstance(wrapper, robust.AdversarialTraining)
    assert (wrapper.method, wrapper.eps, wrapper.steps, wrapper.alpha, wrapper.random_start) \
        == ("pgd", 0.1, 7, 0.0, True)
    assert abs(wrapper.step_size - 2.5 * 0.1 / 7) < 1e-9  # Madry et al.'s 2.5 eps / steps
    assert recipe.data_options["data"] == "rendered_digits_20k"


def test_rendered_digits_20k_shares_the_held_out_splits(monkeypatch):
    # Small splits: the full ones take seconds to draw.
    monkeypatch.setitem(rendered_digits.SIZES, "validation", 10)
    monkeypatch.setitem(rendered_digits.SIZES, "test", 20)
    monkeypatch.setattr(rendered_digits, "LARGE_TRAIN_SIZE", 30)
    rendered_digits._split.cache_clear()
    try:
        for split in ("validation", "test"):
            a, la = load_arrays("rendered_digits_20k", split)
            b, lb = load_arrays("rendered_digits", split)
            np.testing.assert_array_equal(a, b)
            np.testing.assert_array_equal(la, lb)
        train_images, train_labels = load_arrays("rendered_digits_20k", "train")
        assert train_images.shape == (30, 28, 28, 1) and train_labels.shape == (30,)
        # Its own seed: none of the held-out images is a training image.
        held_out = load_arrays("rendered_digits", "test")[0].reshape(20, -1)
        flat = train_images.reshape(30, -1)
        assert not (flat[:, None] == held_out[None]).all(-1).any()
    finally:
        rendered_digits._split.cache_clear()
        rendered_digits._large_train.cache_clear()
    assert num_classes("rendered_digits_20k") == 10

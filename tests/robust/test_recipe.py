"""The recipe madry_mnist_adversarial wraps Madry et al.'s network for PGD training."""

import keras_zoo
from keras_zoo import robust
from training import get_recipe


def test_madry_recipe_is_the_papers_pgd_setting():
    entry = keras_zoo.models.info("madry_mnist")
    recipe = get_recipe(entry.recipe)
    assert recipe.name == "madry_mnist_adversarial"
    wrapper = recipe.wrap(entry.build("tiny"))
    assert isinstance(wrapper, robust.AdversarialTraining)
    # Madry et al. 2018, section 5 (MNIST): eps 0.3, 40 steps of 0.01, random start, min-max.
    assert (wrapper.method, wrapper.eps, wrapper.steps, wrapper.step_size, wrapper.alpha,
            wrapper.random_start) == ("pgd", 0.3, 40, 0.01, 0.0, True)
    assert wrapper.input_shape == (None, 28, 28, 1)  # the task's pipeline reads the wrapper

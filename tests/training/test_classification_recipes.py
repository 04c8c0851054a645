"""The classifiers the shared ``classification`` recipe left at chance (mobilenetv2 0.103,
efficientnetb0 0.103, resnext50_32x4d 0.164 held-out accuracy) train by their own recipes:
BatchNormalization's moving averages at momentum 0.9 (the builders' 0.999 and 0.99 lag the
weights over the recipe's 400 steps, so the inference-mode network stayed at chance while the
training accuracy rose), and Adam 1e-2 for the thin tiny MobileNets and EfficientNet. The
measurements are in training/recipes/classification.py."""

import pytest

import keras_zoo
from training.recipes import get_recipe

#: model -> its own recipe.
OWN = {
    "mobilenet": "classification_mobilenet",
    "mobilenetv2": "classification_mobilenet",
    "efficientnetb0": "classification_efficientnet",
    "resnext50_32x4d": "classification_resnext",
}


def test_the_families_have_their_own_recipes_with_bars_and_times():
    efficientnets = [e.name for e in keras_zoo.models.entries()
                     if e.family == "efficientnet"]
    assert len(efficientnets) == 8
    for name in [*OWN, *efficientnets]:
        entry = keras_zoo.models.info(name)
        recipe = get_recipe(entry.recipe)
        assert recipe.name == OWN.get(name, "classification_efficientnet"), name
        assert recipe.batch_norm_momentum == 0.9 and recipe.preset == "tiny"
        assert recipe.test_bar is not None and recipe.test_bar[0] == "accuracy"
        assert recipe.train_minutes[name] > 0, name
    # The shared recipe has the same momentum (since these measurements) and its other models.
    shared = get_recipe("classification")
    assert shared.batch_norm_momentum == 0.9
    assert keras_zoo.models.info("resnet18").recipe == "classification"
    assert not set(shared.train_minutes) & {*OWN, *efficientnets}


def test_the_mobilenets_built_momentum_is_what_the_recipe_overrides():
    """Keras MobileNetV2's 0.999 (kept for its weights): over 400 steps the moving averages
    move 1 - 0.999**400 = 33 % of the way from their initial values."""
    import keras

    model = keras_zoo.models.info("mobilenetv2").build("tiny")
    momenta = {layer.momentum for layer in model.layers
               if isinstance(layer, keras.layers.BatchNormalization)}
    assert momenta == {0.999}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(OWN))
def test_own_recipe_reaches_its_bar(name, tmp_path):
    """Measured (seed 0): mobilenet 0.950, mobilenetv2 0.978, efficientnetb0 0.983,
    resnext50_32x4d 0.947 held-out accuracy, 0.5-0.8 min each on a loaded 2-core machine."""
    from training.trainer import train

    result = train(name, out=str(tmp_path / name), verbose=0)
    assert result.changed == () and result.recipe.name == OWN[name]
    assert result.bar_met, result.test_metrics

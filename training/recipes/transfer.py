"""Two-phase transfer recipes (``Recipe.transfer``): a new head on the frozen backbone of a
checkpoint, then fine-tuning, in one run (``keras_zoo.transfer``).

``keras-zoo train MODEL --from CHECKPOINT --recipe transfer`` runs any registry classifier's own
recipe in two phases (``two_phase``); ``--recipe NAME`` runs a registered two-phase recipe.
"""

import dataclasses

from training.recipes import Recipe, TransferPhases, get_recipe

#: ``train(..., recipe=OWN_RECIPE_IN_TWO_PHASES)``: the model's own recipe by ``two_phase``.
OWN_RECIPE_IN_TWO_PHASES = "transfer"


def two_phase(recipe, head_epochs=None, fine_tune_epochs=None, fine_tune=True,
              learning_rate_factor=0.1, name=None) -> Recipe:
    """``recipe`` (its data, optimizer, schedule, batch size, preset and config) as a two-phase
    transfer recipe: ``head_epochs`` of a new head on the frozen backbone at its learning
    rate, then ``fine_tune_epochs`` with the backbone (or its top ``fine_tune`` blocks)
    unfrozen at ``learning_rate_factor`` times it.

    Both phase lengths default to half of ``recipe.epochs`` (the same budget). Its bar and
    measured minutes are dropped (they are the single-phase run's from random weights), and
    so is early stopping (``TransferPhases`` refuses it).

    Args:
        recipe: a ``Recipe`` or a registered recipe's name.
        head_epochs, fine_tune_epochs: epochs of phase 1 and phase 2.
        fine_tune: ``True`` or the number of top backbone blocks phase 2 trains.
        learning_rate_factor: phase 2's learning rate over phase 1's.
        name: the new recipe's name (default ``<recipe>_two_phase``).
    """
    if isinstance(recipe, str):
        recipe = get_recipe(recipe)
    if recipe.transfer is not None:
        raise ValueError(f"two_phase: recipe {recipe.name!r} is already a two-phase recipe.")
    if recipe.optimizer_factory is not None:
        raise ValueError(f"two_phase: recipe {recipe.name!r} makes its own optimizer "
                         "(optimizer_factory), whose learning rate phase 2 cannot scale.")
    if recipe.wrap is not None:
        raise ValueError(f"two_phase: recipe {recipe.name!r} wraps the model (wrap); the "
                         "phases freeze layers of the model itself.")
    head = head_epochs if head_epochs is not None else max(1, recipe.epochs // 2)
    tune = fine_tune_epochs if fine_tune_epochs is not None else max(1, recipe.epochs - head)
    phases = TransferPhases(head, tune, fine_tune, learning_rate_factor)
    what = "the whole backbone" if fine_tune is True else f"the top {fine_tune} blocks"
    return dataclasses.replace(
        recipe, name=name or f"{recipe.name}_two_phase",
        description=f"{recipe.name} in two transfer phases: {head} epochs of a new head on the "
                    f"frozen backbone at {recipe.learning_rate:g}, then {tune} with {what} "
                    f"unfrozen at {learning_rate_factor:g} of it.",
        epochs=phases.epochs, transfer=phases, early_stopping_patience=None,
        min_test_accuracy=None, min_test_metric=None, train_minutes={})


def resolve(entry, recipe=None) -> Recipe:
    """The recipe a run of registry ``entry`` follows: its own (``recipe`` None), ``recipe``
    itself (a ``Recipe``), its own in two phases (``"transfer"``) or the registered one named
    ``recipe``."""
    if recipe is None:
        return get_recipe(entry.recipe)
    if isinstance(recipe, Recipe):
        return recipe
    if not isinstance(recipe, str):
        raise ValueError(f"recipe must be a recipe name or a Recipe, got {recipe!r}.")
    if recipe == OWN_RECIPE_IN_TWO_PHASES:
        return two_phase(entry.recipe)
    return get_recipe(recipe)


RECIPES = [
    Recipe(
        name="lenet5_digits_transfer",
        description="LeNet-5 (ReLU) from a checkpoint to the embedded digits at 32x32 in two "
                    "phases: 15 epochs of a new head on the frozen backbone, then 30 with the "
                    "top 2 blocks (C3, C5) unfrozen, C1 kept: Adam 1e-3 constant in both (at "
                    "a tenth of the rate the shapes' features stay and lose to scratch).",
        epochs=45,
        batch_size=32,
        learning_rate=1e-3,
        schedule=None,
        preset="canonical",
        config={"activation": "relu"},
        # Measured (seed 0) from a LeNet-5 trained on 6,000 grey shapes for 10 epochs, on the
        # first 50 training digits of each class, 359 test digits (tests/models/
        # representation/test_transfer_slow.py, one train() call): 0.961 against this recipe
        # from scratch 0.930 (30 epochs; +0.031, paired 95 % interval +0.011 to +0.050) and
        # 0.925 (45 epochs); two_phase's defaults (the whole backbone at a tenth of the rate)
        # 0.897, below scratch: the shapes' C3 and C5 features must move for digits
        # (test_representation_slow.py's measurements, with fit outside train(), agree).
        transfer=TransferPhases(head_epochs=15, fine_tune_epochs=30, fine_tune=2,
                                learning_rate_factor=1.0),
    ),
]

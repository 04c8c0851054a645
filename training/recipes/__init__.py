"""Recipes: how a model is trained (data options, optimizer, schedule, epochs, batch size).

A registry entry names its recipe (``Entry.recipe``). Every module of this package defines
``RECIPES = [Recipe(...), ...]``; they are collected on import, so a family adds a file.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from typing import Any, Mapping

_OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop")
_SCHEDULES = (None, "cosine", "warmup_cosine")


@dataclasses.dataclass(frozen=True)
class Recipe:
    """A training recipe.

    Args:
        name: the recipe's name (``Entry.recipe`` refers to it).
        description: one line for ``keras-zoo info``.
        epochs: epochs of ``fit``.
        batch_size: the **global** batch size (split across replicas under a strategy).
        learning_rate: the peak learning rate.
        optimizer: "adam", "adamw", "sgd" (with momentum) or "rmsprop".
        schedule: None (constant), "cosine" (decay to 0 over the run) or "warmup_cosine"
            (linear warm-up over ``warmup_epochs``, then cosine).
        warmup_epochs: for "warmup_cosine".
        weight_decay: for "adamw" (decoupled) and "sgd".
        momentum: for "sgd".
        global_clipnorm: clip the gradients to this global norm (DETR's 0.1), or None.
        data_options: keyword arguments of the task's ``dataset`` for the training split
            (e.g. ``augment=("translation", "rotation")``).
        compile_options: keyword arguments of the task's ``compile`` (e.g. ``one_hot=True``).
        early_stopping_patience: epochs without improvement of ``monitor`` before stopping
            (``None``: no early stopping).
        monitor: the quantity checkpoints and early stopping watch.
        monitor_mode: "min" or "max"; ``None`` infers it from the name (accuracies, AUC,
            PSNR, mAP go up; losses and gaps go down): Keras refuses to guess for a custom
            metric such as a GAN's ``val_stat_gap``.
        preset: the model preset ``keras-zoo train`` builds ("tiny", "canonical" or None).
        config: builder overrides for this recipe.
        min_test_accuracy: what a run of this recipe is expected to reach (documented, and
            checked by the slow tests that run the recipe).
    """

    name: str
    description: str = ""
    epochs: int = 10
    batch_size: int = 32
    learning_rate: float = 1e-3
    optimizer: str = "adam"
    schedule: str | None = "cosine"
    warmup_epochs: int = 0
    weight_decay: float = 0.0
    momentum: float = 0.9
    global_clipnorm: float | None = None
    data_options: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    compile_options: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    early_stopping_patience: int | None = None
    monitor: str = "val_loss"
    monitor_mode: str | None = None
    preset: str | None = None
    config: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    min_test_accuracy: float | None = None

    def __post_init__(self):
        if self.optimizer not in _OPTIMIZERS:
            raise ValueError(f"Recipe {self.name}: optimizer must be one of {_OPTIMIZERS}, "
                             f"got {self.optimizer!r}.")
        if self.monitor_mode not in (None, "min", "max"):
            raise ValueError(f"Recipe {self.name}: monitor_mode must be 'min', 'max' or None, "
                             f"got {self.monitor_mode!r}.")
        if self.global_clipnorm is not None and not self.global_clipnorm > 0:
            raise ValueError(f"Recipe {self.name}: global_clipnorm must be > 0 or None, "
                             f"got {self.global_clipnorm!r}.")
        if self.schedule not in _SCHEDULES:
            raise ValueError(f"Recipe {self.name}: schedule must be one of {_SCHEDULES}, "
                             f"got {self.schedule!r}.")

    @property
    def resolved_monitor_mode(self) -> str:
        if self.monitor_mode is not None:
            return self.monitor_mode
        rising = ("acc", "auc", "precision", "recall", "psnr", "map", "f1", "exact_match")
        return "max" if any(k in self.monitor.lower() for k in rising) else "min"

    def learning_rate_schedule(self, steps_per_epoch: int, epochs: int | None = None):
        import keras

        total = max(1, steps_per_epoch * (epochs or self.epochs))
        if self.schedule is None:
            return self.learning_rate
        warmup = steps_per_epoch * self.warmup_epochs if self.schedule == "warmup_cosine" else 0
        warmup = min(warmup, total - 1)
        return keras.optimizers.schedules.CosineDecay(
            initial_learning_rate=0.0 if warmup else self.learning_rate,
            decay_steps=total - warmup, warmup_target=self.learning_rate if warmup else None,
            warmup_steps=warmup)

    def make_optimizer(self, steps_per_epoch: int, epochs: int | None = None):
        import keras

        lr = self.learning_rate_schedule(steps_per_epoch, epochs)
        clip = {"global_clipnorm": self.global_clipnorm}
        if self.optimizer == "adam":
            return keras.optimizers.Adam(lr, **clip)
        if self.optimizer == "adamw":
            return keras.optimizers.AdamW(lr, weight_decay=self.weight_decay, **clip)
        if self.optimizer == "rmsprop":
            return keras.optimizers.RMSprop(lr, **clip)
        return keras.optimizers.SGD(lr, momentum=self.momentum,
                                    weight_decay=self.weight_decay or None, **clip)


_RECIPES: dict[str, Recipe] = {}


def _collect():
    if _RECIPES:
        return
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for recipe in getattr(module, "RECIPES", ()):
            if recipe.name in _RECIPES:
                raise ValueError(f"Recipe {recipe.name!r} is defined twice.")
            _RECIPES[recipe.name] = recipe


def get_recipe(name: str) -> Recipe:
    _collect()
    if name not in _RECIPES:
        raise ValueError(f"Unknown recipe {name!r}; known: {sorted(_RECIPES)}.")
    return _RECIPES[name]


def recipe_names() -> list:
    _collect()
    return sorted(_RECIPES)

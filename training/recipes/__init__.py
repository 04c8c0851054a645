"""Recipes: how a model is trained (data options, optimizer, schedule, epochs, batch size).

A registry entry names its recipe (``Entry.recipe``). Every module of this package defines
``RECIPES = [Recipe(...), ...]``; they are collected on import, so a family adds a file.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from typing import Any, Mapping

from keras_zoo.registry import Registry

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
        optimizer_factory: a model's own optimizer and schedule instead of the fields above:
            a callable or ``"module:function"`` returning a Keras optimizer, called with
            ``optimizer_options`` and, for each of its other parameters that the model's
            ``get_config()`` has (``d_model``), the model's value. The optimizer fields
            (``learning_rate``, ``optimizer``, ``schedule``, ...) must then stay unset.
        optimizer_options: keyword arguments of ``optimizer_factory``.
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
            checked by the slow tests that run the recipe); ``min_test_metric=("accuracy", x)``.
        min_test_metric: the bar on another figure of the run (``TrainResult.metrics``, the
            task's evaluation metrics included): ``(name, value)``, reached when the figure is
            at least ``value``, or ``(name, value, "min")`` for a figure that must stay at or
            below it (a depth error). Not both with ``min_test_accuracy``.
        wrap: a function ``model -> model`` applied to the built model before it is compiled
            (``keras_zoo.robust.AdversarialTraining`` for adversarial training), or None.
        train_minutes: ``{model name: minutes}``: the measured wall time of ``keras-zoo train
            MODEL`` by this recipe as written, on 2 CPU cores (time to a useful model: the
            run reaches the recipe's bar). Shown by ``keras-zoo info`` and the README's model
            table; a model without a figure shows "not measured" (never an estimate).
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
    optimizer_factory: Any = None
    optimizer_options: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    data_options: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    compile_options: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    early_stopping_patience: int | None = None
    monitor: str = "val_loss"
    monitor_mode: str | None = None
    preset: str | None = None
    config: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    min_test_accuracy: float | None = None
    min_test_metric: tuple | None = None
    wrap: Any = None
    train_minutes: Mapping[str, float] = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        if not isinstance(self.train_minutes, Mapping) or not all(
                isinstance(k, str) and isinstance(v, (int, float)) and not isinstance(v, bool)
                and v > 0 for k, v in self.train_minutes.items()):
            raise ValueError(f"Recipe {self.name}: train_minutes must map model names to "
                             f"positive minutes, got {self.train_minutes!r}.")
        if self.min_test_metric is not None:
            metric = tuple(self.min_test_metric)
            if (self.min_test_accuracy is not None or len(metric) not in (2, 3)
                    or not isinstance(metric[0], str)
                    or not isinstance(metric[1], (int, float))
                    or (len(metric) == 3 and metric[2] not in ("max", "min"))):
                raise ValueError(f"Recipe {self.name}: min_test_metric must be (name, value) or "
                                 f"(name, value, 'max'|'min'), without min_test_accuracy; got "
                                 f"{self.min_test_metric!r}.")
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
        if self.optimizer_factory is None:
            if self.optimizer_options:
                raise ValueError(f"Recipe {self.name}: optimizer_options "
                                 f"{sorted(self.optimizer_options)} need an optimizer_factory.")
        else:
            if not (callable(self.optimizer_factory) or (
                    isinstance(self.optimizer_factory, str) and ":" in self.optimizer_factory)):
                raise ValueError(f"Recipe {self.name}: optimizer_factory must be a callable or "
                                 f"'module:function', got {self.optimizer_factory!r}.")
            overridden = [f.name for f in dataclasses.fields(self) if f.name in _OPTIMIZER_FIELDS
                          and getattr(self, f.name) != f.default]
            if overridden:
                raise ValueError(f"Recipe {self.name}: optimizer_factory makes the optimizer, so "
                                 f"{overridden} would be ignored; set them in optimizer_options.")

    @property
    def test_bar(self):
        """``(metric, value, "max"|"min")`` a run of the recipe must reach, or None."""
        if self.min_test_accuracy is not None:
            return ("accuracy", self.min_test_accuracy, "max")
        if self.min_test_metric is None:
            return None
        name, value, *direction = self.min_test_metric
        return (name, value, direction[0] if direction else "max")

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

    def make_optimizer(self, steps_per_epoch: int, epochs: int | None = None, model=None):
        """The recipe's optimizer for a run of ``epochs`` of ``steps_per_epoch``; ``model``
        gives an ``optimizer_factory`` the parameters it takes from the model's config."""
        import keras

        if self.optimizer_factory is not None:
            return self._factory_optimizer(model)
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


    def _factory_optimizer(self, model):
        import inspect

        factory = self.optimizer_factory
        if isinstance(factory, str):
            module, _, attr = factory.partition(":")
            factory = getattr(importlib.import_module(module), attr)
        options = dict(self.optimizer_options)
        config = model.get_config() if model is not None else {}
        for parameter in inspect.signature(factory).parameters:
            if parameter not in options and parameter in config:
                options[parameter] = config[parameter]
        return factory(**options)


#: The fields an ``optimizer_factory`` replaces.
_OPTIMIZER_FIELDS = ("learning_rate", "optimizer", "schedule", "warmup_epochs", "weight_decay",
                     "momentum", "global_clipnorm")

_RECIPES: Registry[Recipe] = Registry("recipe")


def _collect():
    if len(_RECIPES):
        return
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for recipe in getattr(module, "RECIPES", ()):
            _RECIPES.add(recipe.name, recipe)


def get_recipe(name: str) -> Recipe:
    """The recipe ``name``; ``ValueError`` with close matches if it is unknown."""
    _collect()
    return _RECIPES.get(name)


def recipe_names(pattern: str | None = None) -> list:
    _collect()
    return _RECIPES.names(pattern)


def train_minutes(entry) -> float | None:
    """The measured minutes of ``keras-zoo train NAME`` by registry ``entry``'s own recipe on 2
    CPU cores (``Recipe.train_minutes``), or None where it was not measured."""
    return get_recipe(entry.recipe).train_minutes.get(entry.name)


def describe_train_time(entry) -> str:
    """``train_minutes`` as ``keras-zoo info`` and the README's model table state it."""
    minutes = train_minutes(entry)
    return "not measured" if minutes is None else f"{minutes:g} min"

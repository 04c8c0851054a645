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


def _positive_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


@dataclasses.dataclass(frozen=True)
class TransferPhases:
    """Two-phase transfer learning in one run (``Recipe.transfer``;
    ``keras_zoo.transfer``): phase 1 trains a new head on the frozen backbone of the
    ``from_checkpoint`` weights (BatchNormalization in inference mode) at the recipe's learning
    rate; phase 2 continues from phase 1's weights with all of the backbone (or its top
    ``fine_tune`` blocks) unfrozen, BatchNormalization kept frozen, at ``learning_rate_factor``
    times that rate and with a fresh optimizer. Each phase lays the recipe's schedule over its
    own epochs.

    Args:
        head_epochs: epochs of phase 1 (new head, frozen backbone).
        fine_tune_epochs: epochs of phase 2.
        fine_tune: ``True`` (unfreeze the whole backbone) or N (its top N blocks,
            ``keras_zoo.transfer.blocks``).
        learning_rate_factor: phase 2's learning rate over phase 1's (the usual 1/10,
            ``keras_zoo.transfer.FINE_TUNE_LR_FACTOR``).
    """

    head_epochs: int
    fine_tune_epochs: int
    fine_tune: bool | int = True
    learning_rate_factor: float = 0.1

    def __post_init__(self):
        for field in ("head_epochs", "fine_tune_epochs"):
            if not _positive_int(getattr(self, field)):
                raise ValueError(f"TransferPhases: {field} must be a positive int, got "
                                 f"{getattr(self, field)!r}.")
        if not (self.fine_tune is True or _positive_int(self.fine_tune)):
            raise ValueError(f"TransferPhases: fine_tune must be True (the whole backbone) or a "
                             f"positive int of top blocks, got {self.fine_tune!r}.")
        factor = self.learning_rate_factor
        if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not factor > 0:
            raise ValueError(f"TransferPhases: learning_rate_factor must be > 0, got "
                             f"{factor!r}.")

    @property
    def epochs(self) -> int:
        """Both phases' epochs."""
        return self.head_epochs + self.fine_tune_epochs


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
        transfer: a ``TransferPhases``: the run is two-phase transfer learning from a
            checkpoint (``train(..., from_checkpoint=...)`` is then required), ``epochs`` being
            both phases' (``TransferPhases.epochs``); None: a single-phase run. Not with
            early stopping (it would end phase 1 early), an ``optimizer_factory`` (its learning
            rate cannot be scaled for phase 2) or ``wrap``.
        batch_norm_momentum: the momentum of every BatchNormalization layer of the model for
            this run (set after the build, kept in the saved model's config), or None (the
            builder's own, Keras' 0.99 unless the model sets it). With few steps per epoch the
            running averages at 0.99 lag the weights and the evaluation-mode network falls
            behind the training-mode one; 0.9 is PyTorch's default and most papers' setting.
            Models without BatchNormalization are unaffected.
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
    transfer: TransferPhases | None = None
    batch_norm_momentum: float | None = None

    def __post_init__(self):
        momentum = self.batch_norm_momentum
        if momentum is not None and (isinstance(momentum, bool)
                                     or not isinstance(momentum, (int, float))
                                     or not 0 < momentum < 1):
            raise ValueError(f"Recipe {self.name}: batch_norm_momentum must be in (0, 1) or "
                             f"None, got {momentum!r}.")
        if self.transfer is not None:
            self._check_transfer()
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

    def _check_transfer(self):
        phases = self.transfer
        if not isinstance(phases, TransferPhases):
            raise ValueError(f"Recipe {self.name}: transfer must be a TransferPhases or None, "
                             f"got {phases!r}.")
        if self.epochs != phases.epochs:
            raise ValueError(f"Recipe {self.name}: epochs ({self.epochs}) must be both transfer "
                             f"phases' ({phases.head_epochs} + {phases.fine_tune_epochs}).")
        clashes = [f for f, unset in (("early_stopping_patience", None),
                                      ("optimizer_factory", None), ("wrap", None))
                   if getattr(self, f) is not unset]
        if clashes:
            raise ValueError(f"Recipe {self.name}: a two-phase transfer recipe cannot have "
                             f"{clashes} (early stopping would end phase 1 early; phase 2 "
                             "scales the recipe's own learning rate; the phases freeze layers "
                             "of the model itself).")

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

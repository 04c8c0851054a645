"""The one registry of keras-zoo: every model is built by name through `get`.

Each entry carries what the conformance battery, the CLI, the recipes and the benchmarks need to
know about a model without reading its code: its task, a *tiny* config (builds in under a second,
used by tests), a *canonical* config (the paper's size, used to count parameters), the embedded
dataset it trains on by default, the recipe that trains it, and the checks of the battery it
cannot pass (``debts``), each with the reason, so that a gap is visible rather than skipped.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
from typing import Any, Callable, Mapping

#: The checks of the conformance battery (tests/test_conformance.py). A ``debts`` key must be one.
CHECKS = (
    "build",
    "forward",
    "fit",
    "keras_roundtrip",
    "savedmodel",
    "tflite",
    "int8",
)

_PRESETS = ("tiny", "canonical")


@dataclasses.dataclass(frozen=True)
class Entry:
    """What the registry knows about one model.

    Attributes:
        name: the registry name, lower case (``"resnet50"``).
        builder: a callable returning a ``keras.Model`` from keyword arguments.
        task: ``"classification"``, ``"detection"``, ``"segmentation"``, ``"sequence"``,
            ``"generative"``, ... : it selects the data, losses and serving signature the
            battery and the CLI use (see ``keras_zoo.tasks``).
        family: the folder the model lives in (``"resnet"``).
        tiny: builder kwargs of a config that builds in under a second, for tests.
        canonical: builder kwargs of the paper's size; used to count parameters.
        data: the name of the embedded dataset it trains on by default (``keras_zoo.data``).
        recipe: the training recipe's name (``training/recipes``).
        paper: the reference, for ``keras-zoo info`` and the README table.
        debts: ``{check: reason}`` for each battery check the model cannot pass yet.
        params: the canonical parameter count, where the paper or a reference states it.
        notes: free text shown by ``keras-zoo info``.
    """

    name: str
    builder: Callable[..., Any]
    task: str
    family: str
    tiny: Mapping[str, Any]
    canonical: Mapping[str, Any]
    data: str = "digits"
    recipe: str = "classification"
    paper: str = ""
    debts: Mapping[str, str] = dataclasses.field(default_factory=dict)
    params: int | None = None
    notes: str = ""

    def __post_init__(self):
        unknown = set(self.debts) - set(CHECKS)
        if unknown:
            raise ValueError(
                f"Entry {self.name!r}: debts name unknown checks {sorted(unknown)}; "
                f"expected some of {list(CHECKS)}."
            )
        object.__setattr__(self, "tiny", types.MappingProxyType(dict(self.tiny)))
        object.__setattr__(self, "canonical", types.MappingProxyType(dict(self.canonical)))
        object.__setattr__(self, "debts", types.MappingProxyType(dict(self.debts)))

    def config(self, preset: str | None = None, **overrides) -> dict:
        """The builder kwargs of a preset (``"tiny"``, ``"canonical"``), updated by overrides."""
        if preset is None:
            base = {}
        elif preset in _PRESETS:
            base = dict(getattr(self, preset))
        else:
            raise ValueError(f"preset must be one of {list(_PRESETS)} or None, got {preset!r}.")
        base.update(overrides)
        return base

    def build(self, preset: str | None = None, **overrides):
        return self.builder(**self.config(preset, **overrides))

    def input_spec(self, preset: str = "tiny") -> "builtins.list[tuple]":
        """``[(name, shape, dtype)]`` of the model's inputs at a preset (builds the model).

        A subclassed model (GANs, VAEs, NeRF, PixelCNN, ...) has no symbolic inputs: its
        inputs are then those of its task's serving signature, what an exported model takes.
        """
        model = self.build(preset)
        inputs = getattr(model, "inputs", None)
        if inputs:
            return [(t.name, tuple(t.shape), str(t.dtype)) for t in inputs]
        import tensorflow as tf

        from keras_zoo.tasks import get_task

        task = get_task(self.task)
        signature = task.serving_fn(task.export_model(model)).input_signature
        return [(spec.name, tuple(spec.shape), spec.dtype.name)
                for spec in tf.nest.flatten(signature)]

    @property
    def input_shape(self):
        """The tiny config's input shape (without the batch axis), where the config names one."""
        return self.tiny.get("input_shape")

    def describe(self) -> str:
        lines = [
            f"name:      {self.name}",
            f"task:      {self.task}",
            f"family:    {self.family}",
            f"paper:     {self.paper}",
            f"data:      {self.data}",
            f"recipe:    {self.recipe}",
            f"tiny:      {dict(self.tiny)}",
            f"canonical: {dict(self.canonical)}",
        ]
        if self.params is not None:
            lines.append(f"params:    {self.params:,} (canonical)")
        for check, reason in self.debts.items():
            lines.append(f"debt:      {check}: {reason}")
        if self.notes:
            lines.append(f"notes:     {self.notes}")
        return "\n".join(lines)


_REGISTRY: dict[str, Entry] = {}


def register(
    name: str,
    *,
    task: str,
    family: str,
    tiny: Mapping[str, Any],
    canonical: Mapping[str, Any] | None = None,
    **fields,
):
    """Decorator that registers a builder under ``name``; returns the builder unchanged.

    Several names may register the same builder with other configs (``resnet50`` and
    ``resnet101`` share ``ResNet``): call ``register(...)(builder)`` once per name.
    """

    def decorate(builder):
        key = name.lower()
        if key in _REGISTRY:
            raise ValueError(f"Model name {key!r} is registered twice.")
        _REGISTRY[key] = Entry(
            name=key,
            builder=builder,
            task=task,
            family=family,
            tiny=tiny,
            canonical=canonical if canonical is not None else {},
            **fields,
        )
        return builder

    return decorate


def _lookup(name: str) -> Entry:
    if not isinstance(name, str):
        raise TypeError(f"model name must be a str, got {type(name).__name__}.")
    key = name.lower()
    if key not in _REGISTRY:
        close = difflib.get_close_matches(key, sorted(_REGISTRY), n=5, cutoff=0.5)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise ValueError(
            f"Unknown model name {name!r}.{hint} `keras-zoo list` shows all "
            f"{len(_REGISTRY)} models."
        )
    return _REGISTRY[key]


def info(name: str) -> Entry:
    """The registry entry of ``name`` (raises ``ValueError`` with close matches if unknown)."""
    return _lookup(name)


def get(name: str, preset: str | None = None, **config):
    """Builds the model registered as ``name``.

    Args:
        name: a name from ``list()`` (case-insensitive).
        preset: ``None`` for the builder's own defaults (the paper's size), ``"tiny"`` for the
            test config or ``"canonical"`` for the registry's paper-size config.
        **config: builder keyword arguments; they override the preset's.
    """
    return _lookup(name).build(preset, **config)


def list(task: str | None = None) -> "builtins.list[str]":  # noqa: A001 - the public name
    """The sorted names of all registered models, or of one task's."""
    return sorted(n for n, e in _REGISTRY.items() if task is None or e.task == task)


def entries(task: str | None = None) -> "builtins.list[Entry]":
    return [_REGISTRY[n] for n in list(task)]


def tasks() -> "builtins.list[str]":
    return sorted({e.task for e in _REGISTRY.values()})


import builtins  # noqa: E402  (used in the annotations above, after `list` is shadowed)

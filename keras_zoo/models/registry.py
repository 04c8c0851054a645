"""The one registry of keras-zoo: every model is built by name through `get`.

Each entry carries what the conformance battery, the CLI, the recipes and the benchmarks need to
know about a model without reading its code: its task, a *tiny* config (builds in under a second,
used by tests), a *canonical* config (the paper's size, used to count parameters), the embedded
dataset it trains on by default, the recipe that trains it, and the checks of the battery it
cannot pass (``debts``), each with the reason, so that a gap is visible rather than skipped.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import inspect
import numbers
import re
import sys
import types
from typing import Any, Callable, Mapping

from keras_zoo.registry import Registry, is_pattern

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



#: What ``keras.Model.__init__`` itself takes; a functional Model subclass that passes its
#: other keyword arguments on to it would otherwise ignore a misspelt one without a word.
_MODEL_ARGUMENTS = ("name", "trainable", "dtype")


def builder_arguments(builder) -> tuple:
    """``(names, open_ended)``: the keyword arguments ``builder`` takes, through
    ``__wrapped__`` (a wrapper that fixes some of another builder's arguments declares it) and,
    for a ``keras.Model`` subclass, every ``__init__`` of its classes down to ``keras.Model``
    (whose own are ``name``, ``trainable`` and ``dtype``). ``open_ended``: a ``**kwargs`` whose
    destination is unknown, so the names are not all it takes."""
    import keras

    target = inspect.unwrap(builder)
    explicit = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    if isinstance(target, type) and issubclass(target, keras.Model):
        names = []
        for cls in target.__mro__:
            if cls is keras.Model:
                break
            if "__init__" in vars(cls):
                names += [n for n, p in inspect.signature(cls.__init__).parameters.items()
                          if n != "self" and p.kind in explicit]
        return [*dict.fromkeys([*names, *_MODEL_ARGUMENTS])], False
    parameters = inspect.signature(target).parameters
    names = [n for n, p in parameters.items() if p.kind in explicit]
    return names, any(p.kind is p.VAR_KEYWORD for p in parameters.values())


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
        jit_compile: whether XLA (``jit_compile=True``) wins this model's training step on
            CPU at its recipe's preset and batch, as measured by ``keras-zoo benchmark MODEL
            --jit-compile`` (``training.xla``); ``keras-zoo train`` uses it on a
            machine without a GPU. None: not measured (Keras' own choice: no XLA on CPU).
        module: the module whose ``register(...)`` call made the entry (filled in by
            ``register``; ``keras-zoo info`` prints it and its file).
        data_options: ``{data name: {option: value}}``, defaults of the task's ``dataset``
            options that the model's paper fixes for that dataset (X3D on UCF101: its clip
            stride gamma_tau, ``{"ucf101": {"stride": 12}}``); the caller's own options win.
            tests/test_registry.py checks each names a dataset the task loads and an option
            its ``dataset`` takes.
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
    jit_compile: bool | None = None
    module: str = ""
    data_options: Mapping[str, Mapping[str, Any]] = dataclasses.field(default_factory=dict)

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
        object.__setattr__(self, "data_options", types.MappingProxyType(
            {data: types.MappingProxyType(dict(options))
             for data, options in self.data_options.items()}))

    def config(self, preset: str | None = None, **overrides) -> dict:
        """The builder kwargs of a preset (``"tiny"``, ``"canonical"``), updated by overrides.

        An override of a known key whose value is not of the kind of that key's values in the
        tiny and canonical configs and the builder's default (``accepted_kinds``) is a
        ``ValueError`` naming the key, the value and what is accepted."""
        if preset is None:
            base = {}
        elif preset in _PRESETS:
            base = dict(getattr(self, preset))
        else:
            raise ValueError(f"preset must be one of {list(_PRESETS)} or None, got {preset!r}.")
        for key, value in overrides.items():
            kinds = self.accepted_kinds(key)
            if kinds and _kind(value) not in kinds:
                takes = " or ".join(_KIND_NAMES[k] for k in kinds)
                raise ValueError(f"{self.name}: config {key}={value!r} is "
                                 f"{_KIND_NAMES[_kind(value)]}; {key} takes {takes}.")
        base.update(overrides)
        return base

    def accepted_kinds(self, key) -> tuple:
        """The kinds of value (``"bool"``, ``"number"``, ``"str"``, ``"sequence"``,
        ``"mapping"``, ``"none"``) that config ``key`` takes, read from its values in the tiny
        and canonical configs and the builder's default; ``()``: anything (a key without such
        a value, or one whose value is of another kind, such as a callable)."""
        references = [c[key] for c in (self.tiny, self.canonical) if key in c]
        try:
            parameter = inspect.signature(self.builder).parameters.get(key)
        except (TypeError, ValueError):
            parameter = None
        if parameter is not None and parameter.default is not parameter.empty:
            references.append(parameter.default)
        kinds = {_kind(r) for r in references}
        if key == "activation" or key.endswith("_activation"):
            kinds.add("none")  # Keras' convention: activation=None is the identity (logits)
        if not kinds or "other" in kinds or kinds == {"none"}:
            return ()
        return tuple(k for k in _KIND_NAMES if k in kinds)

    def build(self, preset: str | None = None, **overrides):
        accepted, open_ended = builder_arguments(self.builder)
        if not open_ended:
            unknown = sorted(set(overrides) - set(accepted))
            if unknown:  # a ValueError naming it, not the builder's TypeError
                raise ValueError(f"{self.name}: unknown config {', '.join(unknown)}; "
                                 f"accepted: {', '.join(accepted)}.")
        try:
            return self.builder(**self.config(preset, **overrides))
        except TypeError as error:  # a builder passing **kwargs on to one that refuses a key
            match = re.search(r"unexpected keyword argument '(\w+)'", str(error))
            if not (open_ended and match and match.group(1) in overrides):
                raise
            raise ValueError(f"{self.name}: unknown config {match.group(1)}"
                             + (f"; accepted: {', '.join(accepted)}." if accepted else ".")
                             ) from None

    @property
    def source_file(self) -> str | None:
        """The file of ``module``, or None if it cannot be found."""
        module = sys.modules.get(self.module)
        return getattr(module, "__file__", None)

    @property
    def input_shape(self):
        """The tiny config's input shape (without the batch axis), where the config names one."""
        return self.tiny.get("input_shape")

    def describe(self) -> str:
        lines = [
            f"name:      {self.name}",
            f"task:      {self.task}",
            f"family:    {self.family}",
            f"module:    {self.module}" + (f" ({self.source_file})" if self.source_file else ""),
            f"paper:     {self.paper}",
            f"data:      {self.data}",
            f"recipe:    {self.recipe}",
            f"tiny:      {dict(self.tiny)}",
            f"canonical: {dict(self.canonical)}",
        ]
        if self.params is not None:
            lines.append(f"params:    {self.params:,} (canonical)")
        for data, options in self.data_options.items():
            lines.append(f"data opts: {data}: {dict(options)} (the paper's; the caller's win)")
        for check, reason in self.debts.items():
            lines.append(f"debt:      {check}: {reason}")
        if self.notes:
            lines.append(f"notes:     {self.notes}")
        return "\n".join(lines)


_KIND_NAMES = {"bool": "a bool", "number": "a number", "str": "a string",
               "sequence": "a list or tuple", "mapping": "a dict", "none": "None",
               "other": "another kind of value"}


def _kind(value) -> str:
    """The kind of a config value ``Entry.config`` checks overrides against."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, numbers.Real):  # an int default (dropout=0) takes a float too
        return "number"
    if isinstance(value, str):
        return "str"
    if isinstance(value, Mapping):
        return "mapping"
    if isinstance(value, collections.abc.Sequence) or hasattr(value, "__array__"):
        return "sequence"
    return "other"


_REGISTRY: Registry[Entry] = Registry("model", "`keras-zoo list` shows all {count} models.")


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

    fields.setdefault("module", sys._getframe(1).f_globals.get("__name__", ""))

    def decorate(builder):
        key = name.lower()
        _REGISTRY.add(key, Entry(
            name=key,
            builder=builder,
            task=task,
            family=family,
            tiny=tiny,
            canonical=canonical if canonical is not None else {},
            **fields,
        ))
        return builder

    return decorate


def _lookup(name: str) -> Entry:
    return _REGISTRY.get(name)


def info(name: str) -> Entry:
    """The registry entry of ``name`` (raises ``ValueError`` with close matches if unknown)."""
    return _lookup(name)


def get(name: str, preset: str | None = None, weights=None, **config):
    """Builds the model registered as ``name``.

    Args:
        name: a name from ``list()`` (case-insensitive).
        preset: ``None`` for the builder's own defaults (the paper's size), ``"tiny"`` for the
            test config or ``"canonical"`` for the registry's paper-size config.
        weights: ``None`` (random), a ``.weights.h5``/``.keras`` path, ``"imagenet"``
            (keras.applications) or ``"keras_hub:<preset>"``; see ``keras_zoo.weights``.
        **config: builder keyword arguments; they override the preset's.
    """
    if weights is None:
        return _lookup(name).build(preset, **config)
    from keras_zoo import weights as _weights  # imports models: loaded only when asked for

    return _weights.build(_lookup(name), preset, config, weights)


def list(task: str | None = None, pattern: str | None = None) -> "builtins.list[str]":  # noqa: A001
    """The sorted names of the registered models: all, one task's, or those matching a
    shell-style pattern (``list("vit_*")``: an argument with ``*``, ``?`` or ``[`` is a
    pattern, any other a task name).

    Args:
        task: a task name (``"classification"``), or a pattern when it has wildcards.
        pattern: a shell-style pattern of names, case-insensitive.
    """
    if is_pattern(task) and pattern is None:
        task, pattern = None, task
    return [e.name for e in _REGISTRY.values(pattern) if task is None or e.task == task]


def entries(task: str | None = None, pattern: str | None = None) -> "builtins.list[Entry]":
    """The entries of ``list(task, pattern)``, in the same order."""
    return [_REGISTRY.get(n) for n in list(task, pattern)]


def tasks() -> "builtins.list[str]":
    return sorted({e.task for e in _REGISTRY.values()})


import builtins  # noqa: E402  (used in the annotations above, after `list` is shadowed)

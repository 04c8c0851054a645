"""A task tells the battery, the CLI and the exporter how to feed, train and serve a model.

Each registry entry names its task (``Entry.task``); the task object supplies what differs
between, say, a classifier and a GAN: a batch of training data for the battery, the compile
arguments, the check that a few steps of ``fit`` learned something, and the serving signature
(raw inputs -> dict of named outputs, preprocessing inside the graph).

The contract a subclass keeps (checked when the class is defined, ``Task.__init_subclass__``):
``dataset`` and ``battery_data`` take explicit keyword arguments, never ``**options``; a call
with an option the subclass's method does not declare raises ``ValueError`` naming the task, the
option and the accepted ones. ``data_names`` lists the dataset names ``dataset(data=...)`` can
load; any other name raises ``ValueError`` listing them. A task that loads one name only need not
declare ``data``: the check is all there is to do. ``seed`` seeds every random choice the data
makes (shuffling, augmentation, sampling).
"""

from __future__ import annotations

import functools
import inspect

import numpy as np

#: The methods whose keyword options are validated against the subclass's signature.
_VALIDATED = ("battery_data", "dataset")
#: Parameters that are the call's subject, not options.
_NOT_OPTIONS = ("self", "model", "entry")


def _accepted(function):
    return [name for name in inspect.signature(function).parameters if name not in _NOT_OPTIONS]


def _validating(cls, method, function):
    """``function`` (``cls.<method>``) wrapped to reject undeclared options and data names."""
    parameters = inspect.signature(function).parameters
    swallowed = [p.name for p in parameters.values() if p.kind is p.VAR_KEYWORD]
    if swallowed:
        raise TypeError(f"{cls.__name__}.{method} takes **{swallowed[0]}: a task's options are "
                        "explicit keyword arguments, so that an unsupported one is refused.")
    takes_data = "data" in parameters
    if method == "dataset" and not takes_data and len(cls.data_names) > 1:
        raise TypeError(f"{cls.__name__}.dataset must take data=: the task loads "
                        f"{list(cls.data_names)}.")
    accepted = _accepted(function) + ([] if takes_data or method != "dataset" else ["data"])
    checks_split = method == "dataset" and {"split", "augment"} <= set(parameters)
    signature = inspect.signature(function)

    @functools.wraps(function)
    def checked(self, *args, **kwargs):
        unknown = sorted(set(kwargs) - set(accepted))
        if unknown:
            raise ValueError(f"task {self.name!r}: {method} does not support the option(s) "
                             f"{unknown}; it accepts {accepted}.")
        if checks_split:  # augmentation is the training split's: never dropped in silence
            bound = signature.bind_partial(self, *args, **kwargs).arguments
            split = bound.get("split", parameters["split"].default)
            if split != "train" and bound.get("augment"):
                raise ValueError(f"task {self.name!r}: augment={tuple(bound['augment'])!r} "
                                 f"applies to the training split only, got split={split!r}; "
                                 f"accepted for {split!r}: augment=().")
        if method == "dataset" and "data" in kwargs:
            data = kwargs["data"] if takes_data else kwargs.pop("data")
            if data is not None:
                self.check_data(data)
        return function(self, *args, **kwargs)

    checked.validated = True
    checked.accepted = tuple(accepted)
    return checked


class Task:
    """The interface every task implements. Methods receive the built model and its entry.

    Attributes:
        name: the task's name (``Entry.task``); ``"base"`` classes are not registered.
        data_names: the dataset names ``dataset(data=...)`` can load (an entry's ``data`` is
            one of them).
        split_options: the ``dataset`` options that say what an example is, so that a recipe's
            value holds for every split (the data set itself; a video's clip sampling); the
            other options (augmentation, sizes) are the training split's.
    """

    name = "base"
    data_names: tuple[str, ...] = ()
    split_options: tuple[str, ...] = ("data",)
    #: Test examples ``keras-zoo verify`` compares on by default (bounded time per model).
    verify_size: int = 10_000
    #: ``keras-zoo verify``'s bar for ``int8_agreement`` of a trained model's int8 file.
    int8_bar: float = 0.98

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for method in _VALIDATED:
            function = cls.__dict__.get(method)
            if function is not None and not getattr(function, "validated", False):
                setattr(cls, method, _validating(cls, method, function))

    def check_data(self, data):
        """Raises ``ValueError`` unless ``data`` is one of ``data_names``."""
        if data not in self.data_names:
            raise ValueError(f"task {self.name!r} cannot load data {data!r}; it loads "
                             f"{list(self.data_names) or 'only its entries own data'}.")

    def options(self, method="dataset"):
        """The keyword options ``method`` (``"dataset"``, ``"battery_data"``) accepts."""
        function = getattr(type(self), method)
        return list(getattr(function, "accepted", _accepted(function)))

    # --- data ----------------------------------------------------------------------------
    def battery_data(self, model, entry, n=32, seed=0):
        """``(x, y)`` numpy arrays (or dicts of them) that ``model.fit`` accepts directly."""
        raise NotImplementedError

    def dataset(self, model, entry, split="train", batch_size=32, seed=0, data=None):
        """The ``tf.data.Dataset`` the recipe trains on (embedded data, ``entry.data``).

        Subclasses add their options as keyword arguments (the recipe's ``data_options``,
        training split only, e.g. ``augment=("flip",)``); ``data`` may name another dataset
        of ``data_names`` than ``entry.data``.
        """
        raise NotImplementedError

    # --- training ------------------------------------------------------------------------
    def compile(self, model, entry, learning_rate=1e-3, optimizer=None):
        """Compiles ``model``: with ``optimizer`` if given (a recipe's), else Adam(learning_rate)."""
        raise NotImplementedError

    #: The logged quantity that must fall in a few steps of ``fit`` (``learned``).
    learned_key = "loss"

    def learned(self, history) -> tuple[bool, str]:
        """Whether a few steps of ``fit`` moved the model the right way; (ok, explanation):
        ``learned_key`` is finite and falls."""
        key = self.learned_key
        losses = [float(v) for v in history.history[key]]
        if not np.all(np.isfinite(losses)):
            return False, f"{key} is not finite: {losses}"
        return losses[-1] < losses[0], f"{key} {losses[0]:.4f} -> {losses[-1]:.4f}"

    # --- serving -------------------------------------------------------------------------
    def export_model(self, model):
        """The part of ``model`` that is served (a GAN serves its generator)."""
        return model

    def serving_fn(self, model):
        """A ``tf.function`` with an ``input_signature`` of raw, named inputs returning a dict."""
        raise NotImplementedError

    def serving_endpoints(self, model) -> dict:
        """More SavedModel signatures beside ``serving_default``, ``{name: tf.function}``
        (CLIP's ``text_embeddings``, ``classify``); TFLite converts ``serving_default`` only.
        Default: none."""
        return {}

    def serving_example(self, model, n=4, seed=0) -> dict:
        """Raw inputs for ``serving_fn``, as a dict name -> numpy array."""
        raise NotImplementedError

    def test_examples(self, model, entry, n=32):
        """``(raw serving inputs, labels or None)`` from the embedded test split."""
        return self.serving_example(model, n), None

    def representative_examples(self, model, entry, n=100, seed=0):
        """Raw serving inputs (dicts) drawn from the embedded data, for int8 calibration."""
        return [self.serving_example(model, 1, seed + i) for i in range(n)]

    def int8_agreement(self, reference: dict, quantized: dict) -> float:
        """How well int8 outputs agree with float ones, in [0, 1] (1 is perfect)."""
        raise NotImplementedError

    def int8_check(self, reference: dict, quantized: dict) -> tuple[bool, str]:
        """The battery's int8 check on a barely trained tiny model: (ok, explanation).

        Top-1 agreement is meaningless where the float model itself hesitates, so the default
        compares where it does not; tasks may override.
        """
        raise NotImplementedError

    def parity_check(self, reference: dict, actual: dict):
        """Asserts that a SavedModel's or float TFLite's outputs equal Keras' (``reference``)."""
        assert sorted(reference) == sorted(actual), (sorted(reference), sorted(actual))
        for key in reference:
            np.testing.assert_allclose(np.asarray(actual[key]), np.asarray(reference[key]),
                                       atol=self.parity_tolerance(), rtol=0, err_msg=key)

    def parity_tolerance(self) -> float:
        """Largest absolute difference allowed between Keras, SavedModel and float TFLite."""
        return 1e-4

    # --- evaluation and prediction -----------------------------------------------------------
    def evaluation_metrics(self, model, entry, split="test", data=None, seed=0) -> dict:
        """Held-out figures beyond ``model.evaluate``'s (detectors: ``map50``, ``map``), as
        ``{name: float}``; ``train`` and ``keras-zoo evaluate`` report them. Default: none."""
        return {}

    def training_callbacks(self, model, entry, out) -> list:
        """Callbacks ``train`` adds on the chief, writing into the run directory ``out``
        (dense prediction: overlays of a few held-out images). Default: none."""
        return []

    def draw_prediction(self, image, outputs, index=0):
        """A ``PIL.Image`` of row ``index`` of ``outputs`` (the serving dict) drawn on
        ``image`` (uint8 ``[H, W, C]``), for ``keras-zoo predict``."""
        raise ValueError(f"predict does not support task {self.name!r}.")

    def describe_prediction(self, outputs, index=0) -> str:
        """Row ``index`` of ``outputs`` (the serving dict) as text, for ``keras-zoo predict``."""
        raise ValueError(f"predict does not support task {self.name!r}.")


def array_dataset(x, y, split, batch_size, seed):
    """``(x, y)`` arrays (or dicts/tuples of arrays) as a batched ``tf.data`` pipeline, the
    training split reshuffled every epoch."""
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if split == "train":
        ds = ds.shuffle(len(tf.nest.flatten(y)[0]), seed=seed)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


class ArraysTask(Task):
    """A task whose splits are small in-memory arrays, ``self._arrays(model, entry, split, n)``
    returning ``(x, y)``: the battery and the dataset both come from it."""

    def _arrays(self, model, entry, split, n=None, data=None):
        raise NotImplementedError

    def battery_data(self, model, entry, n=32, seed=0):
        return self._arrays(model, entry, "train", n)

    def dataset(self, model, entry, split="train", batch_size=32, seed=0, n=None, data=None):
        x, y = self._arrays(model, entry, split, n, data)
        return array_dataset(x, y, split, batch_size, seed)

    # The examples below assume ``x`` is a dict keyed by the serving signature's input names.

    def serving_example(self, model, n=4, seed=0):
        x, _ = self._arrays(model, None, "validation", max(n, 1))
        return {k: v[:n] for k, v in x.items()}

    def test_examples(self, model, entry, n=64):
        return self._arrays(model, entry, "test", n)

    def representative_examples(self, model, entry, n=100, seed=0):
        x, _ = self._arrays(model, entry, "train", n)
        return [{k: v[i:i + 1] for k, v in x.items()} for i in range(n)]

"""The conformance battery: every registered model's tiny config through every check.

build -> forward -> fit a few steps (it must learn) -> .keras round trip (safe_mode) ->
SavedModel reloaded in a fresh process without keras_zoo -> TFLite with builtin ops and parity
-> int8 TFLite. A model that cannot pass a check declares it in its registry entry (``debts``):
the check is then an expected failure with the reason shown in the summary, and it turns into a
failure the day it passes (strict), so that the debt is removed from the entry.
"""

import json
import os

import keras
import numpy as np
import pytest

import keras_zoo
from keras_zoo.export import convert_savedmodel, export_savedmodel, flex_ops, op_names, run
from keras_zoo.export.fresh import FreshProcess
from keras_zoo.tasks import get_task

ENTRIES = keras_zoo.models.entries()


def _graph_fingerprint(model):
    """The model's layers and their configs, names aside: equal fingerprints, equal graphs."""
    layers = []
    for layer in model.layers:
        try:
            config = {k: v for k, v in layer.get_config().items() if k != "name"}
        except NotImplementedError:  # no config: never taken for another model's twin
            config = {"id": id(layer)}
        layers.append((type(layer).__name__, config))
    return json.dumps(layers, sort_keys=True, default=str)


def _representatives():
    """Entries whose tiny model is the same graph as an earlier entry's (resnet50/101/152,
    efficientnetb0..b7 at their tiny size: depth and width are what tiny configs shrink) are
    checked once, through the first of them. Build and forward still run on every entry."""
    first, shared = {}, {}
    for entry in ENTRIES:
        model = entry.build("tiny")
        key = (entry.task, repr(sorted(entry.debts.items())), type(model).__name__,
               _graph_fingerprint(model))
        keras.backend.clear_session()
        if key in first:
            shared[entry.name] = first[key].name
        else:
            first[key] = entry
    return list(first.values()), shared


REPRESENTATIVES, SHARED = _representatives()
#: Checks cheap enough to run on every entry; the others run on one entry per distinct graph.
EVERY_ENTRY = ("build", "forward")


def _params(check):
    params = []
    for entry in ENTRIES if check in EVERY_ENTRY else REPRESENTATIVES:
        marks = []
        if check in entry.debts:
            marks.append(pytest.mark.xfail(reason=f"{entry.name}: {entry.debts[check]}",
                                           strict=True))
        params.append(pytest.param(entry, id=entry.name, marks=marks))
    return params


def _build(entry):
    keras.utils.set_random_seed(0)
    return entry.build("tiny")


def _numpy(out):
    if isinstance(out, dict):
        return {k: np.asarray(v) for k, v in out.items()}
    if isinstance(out, (list, tuple)):
        return [np.asarray(o) for o in out]
    return np.asarray(out)


def _close(a, b, atol):
    if isinstance(a, dict):
        assert sorted(a) == sorted(b)
        for k in a:
            np.testing.assert_allclose(a[k], b[k], atol=atol, rtol=0, err_msg=k)
    elif isinstance(a, list):
        for x, y in zip(a, b, strict=True):
            np.testing.assert_allclose(x, y, atol=atol, rtol=0)
    else:
        np.testing.assert_allclose(a, b, atol=atol, rtol=0)


@pytest.fixture(scope="module")
def fresh():
    with FreshProcess() as process:
        yield process


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """SavedModels exported once per model and shared by the SavedModel and TFLite checks."""
    root = tmp_path_factory.mktemp("saved_models")
    cache = {}

    def get(entry):
        if entry.name not in cache:
            model = _build(entry)
            task = get_task(entry.task)
            served = task.export_model(model)
            fn = task.serving_fn(served)
            path = export_savedmodel(served, os.fspath(root / entry.name / "1"), fn)
            cache[entry.name] = (model, task, fn, path)
        return cache[entry.name]

    return get


def test_registry_is_not_empty():
    assert len(ENTRIES) >= 5


def test_shared_tiny_graphs_are_reported():
    # Visible in the log: which entries were checked through another's identical tiny graph.
    for name, representative in sorted(SHARED.items()):
        print(f"{name}: heavy checks run on {representative} (same tiny graph)")
    assert all(r in {e.name for e in REPRESENTATIVES} for r in SHARED.values())


@pytest.mark.parametrize("entry", _params("build"))
def test_build(entry):
    model = _build(entry)
    assert isinstance(model, keras.Model)
    assert model.count_params() > 0
    assert model.built


@pytest.mark.parametrize("entry", _params("forward"))
def test_forward(entry):
    model = _build(entry)
    task = get_task(entry.task)
    x, _ = task.battery_data(model, entry, n=4)
    out = _numpy(model(x, training=False))
    flat = list(out.values()) if isinstance(out, dict) else out if isinstance(out, list) else [out]
    for o in flat:
        assert o.shape[0] == 4
        assert np.all(np.isfinite(o)), "non-finite output"


@pytest.mark.parametrize("entry", _params("fit"))
def test_fit_learns(entry):
    model = _build(entry)
    task = get_task(entry.task)
    task.compile(model, entry)
    x, y = task.battery_data(model, entry, n=32)
    history = model.fit(x, y, batch_size=16, epochs=4, shuffle=False, verbose=0)
    ok, message = task.learned(history)
    assert ok, f"{entry.name}: {message}"


@pytest.mark.parametrize("entry", _params("keras_roundtrip"))
def test_keras_roundtrip(entry, tmp_path):
    model = _build(entry)
    task = get_task(entry.task)
    x, _ = task.battery_data(model, entry, n=4)
    expected = _numpy(model(x, training=False))
    path = os.fspath(tmp_path / f"{entry.name}.keras")
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    _close(_numpy(loaded(x, training=False)), expected, 1e-6)


@pytest.mark.parametrize("entry", _params("savedmodel"))
def test_savedmodel_in_fresh_process(entry, exported, fresh):
    _, task, fn, path = exported(entry)
    example = task.serving_example(task.export_model(_build(entry)), n=3)
    expected = _numpy(fn(**example))
    actual, report = fresh.run(path, example)
    assert report["ok"], report.get("error")
    assert not report["keras_zoo_imported"]
    assert set(report["inputs"]) == set(example), report["inputs"]
    task.parity_check(expected, actual)


@pytest.mark.parametrize("entry", _params("tflite"))
def test_tflite_builtin_ops_and_parity(entry, exported):
    _, task, fn, path = exported(entry)
    converted = convert_savedmodel(path, "float")
    assert flex_ops(converted) == [], f"Flex ops: {op_names(converted)}"
    example = task.serving_example(task.export_model(_build(entry)), n=2)
    expected = _numpy(fn(**example))
    task.parity_check(expected, run(converted, example))


@pytest.mark.parametrize("entry", _params("int8"))
def test_int8_tflite(entry, exported):
    model, task, fn, path = exported(entry)
    served = task.export_model(model)
    converted = convert_savedmodel(
        path, "int8", task.representative_examples(served, entry, n=32))
    assert flex_ops(converted) == [], f"Flex ops: {op_names(converted)}"
    examples, _ = task.test_examples(served, entry, n=32)
    ok, message = task.int8_check(_numpy(fn(**examples)), run(converted, examples))
    assert ok, f"{entry.name}: {message}"

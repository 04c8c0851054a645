"""The layer battery: every public layer of ``keras_zoo.layers`` against its formula.

For each case of tests/layer_cases/: the output equals an independent NumPy reference; the
config round-trips; a tiny model holding the layer saves and reloads as ``.keras`` with
``safe_mode=True``; gradients flow; and the tiny model converts to TFLite with builtin ops only,
with the same outputs. A case that cannot pass a check declares why (``tflite="reason"``),
and the battery reports it as a visible debt.

The file round trip and the TFLite conversion have a fixed cost (a SavedModel export and a
converter run: about 0.9 CPU s per conversion) far above the layer's own. So the cases of one
``tests/layer_cases`` module are saved and converted together, as one model with each case's
layer on its own inputs (no case's graph touches another's), and each case then checks its own
outputs. If the module's model cannot be saved or converted, or has a Flex op, every case of it
falls back to its own tiny model, so that the failure names the case that causes it.
"""

import inspect
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_zoo
from keras_zoo.export import tflite
from tests.layer_cases import cases_by_module

GROUPS = cases_by_module()
CASES = [case for cases in GROUPS.values() for case in cases]
IDS = [c.id for c in CASES]
GROUP_OF = {case.id: group for group, cases in GROUPS.items() for case in cases}
# The shared checks keep a module's cases in one xdist worker, which then builds it once.
SHARED_PARAMS = [pytest.param(c, id=c.id, marks=pytest.mark.xdist_group(f"layers-{GROUP_OF[c.id]}"))
                 for c in CASES]


def _inputs(case, seed=0):
    return [np.asarray(a) for a in case.inputs(np.random.default_rng(seed))]


def _built(case):
    keras.utils.set_random_seed(0)
    layer = case.make()
    inputs = _inputs(case)
    out = case.call(layer, [tf.constant(a) for a in inputs], training=case.training)
    return layer, inputs, out


#: case id -> ``_built(case)``: test_formula's build, handed on to test_config_roundtrip and
#: then to test_gradients_flow (each would otherwise build and call the same seeded layer; the
#: first two only read it). Popped by the last, so a layer is held only between its checks.
_BUILT = {}


def _built_for_reading(case, keep):
    """``_built(case)``, made once for the checks that take it as ``_built`` leaves it."""
    built = _BUILT.pop(case.id, None) or _built(case)
    if keep:
        _BUILT[case.id] = built
    return built


def _tiny_model(case, layer, inputs):
    symbolic = [keras.Input(batch_shape=a.shape, dtype=str(a.dtype)) for a in inputs]
    out = case.call(layer, symbolic)
    return keras.Model(symbolic if len(symbolic) > 1 else symbolic[0], out)


#: (check, module) -> {case id: (expected, actual)}, or None: the module's shared model failed.
_SHARED = {}


def _module_model(cases):
    """One model holding every case's layer, and per case its inputs and output positions."""
    symbolic, outputs, inputs, where = [], [], [], {}
    for case in cases:
        layer, case_inputs, _ = _built(case)
        case_symbolic = [keras.Input(batch_shape=a.shape, dtype=str(a.dtype))
                         for a in case_inputs]
        out = case.call(layer, case_symbolic)
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
        where[case.id] = (len(outputs), len(outputs) + len(outs), isinstance(out, (list, tuple)))
        symbolic += case_symbolic
        outputs += outs
        inputs += case_inputs
    return keras.Model(symbolic, outputs), inputs, where


def _flat(out):
    # A model of one output returns it bare, not in a list of one.
    return [np.asarray(o) for o in out] if isinstance(out, (list, tuple)) else [np.asarray(out)]


def _per_case(outs, where):
    return {cid: list(outs[a:b]) if many else outs[a] for cid, (a, b, many) in where.items()}


def _shared(check, case, run):
    """The module's results for ``check`` (``run(model, inputs)`` -> flat outputs), or None."""
    group = GROUP_OF[case.id]
    if (check, group) not in _SHARED:
        cases = [c for c in GROUPS[group] if check != "tflite" or c.tflite is True]
        try:
            model, inputs, where = _module_model(cases)
            expected = _per_case(_flat(model(inputs, training=False)), where)
            outputs = _flat(run(model, inputs))
            assert len(outputs) == sum(b - a for a, b, _ in where.values())
            actual = _per_case(outputs, where)
        except Exception:  # each case then runs alone, and its failure names the culprit
            _SHARED[(check, group)] = None
        else:
            _SHARED[(check, group)] = {cid: (expected[cid], actual[cid]) for cid in where}
    results = _SHARED[(check, group)]
    return None if results is None else results[case.id]


def _numpy(out):
    if isinstance(out, (list, tuple)):
        return [np.asarray(o) for o in out]
    return np.asarray(out)


def _assert_close(actual, expected, atol):
    if isinstance(expected, (list, tuple)):
        for a, e in zip(actual, expected, strict=True):
            np.testing.assert_allclose(np.asarray(a), np.asarray(e), atol=atol, rtol=0)
    else:
        np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), atol=atol, rtol=0)


def test_every_public_layer_has_a_case():
    covered = {c.layer_class for c in CASES}
    public = {getattr(keras_zoo.layers, n) for n in keras_zoo.layers.__all__}
    layers = {c for c in public if inspect.isclass(c) and issubclass(c, keras.layers.Layer)}
    missing = sorted(c.__name__ for c in layers - covered)
    assert not missing, f"layers without a formula case in tests/layer_cases: {missing}"


def test_every_layer_is_registered_serializable():
    for name in keras_zoo.layers.__all__:
        obj = getattr(keras_zoo.layers, name)
        if inspect.isclass(obj) and issubclass(obj, keras.layers.Layer):
            registered = keras.saving.get_registered_name(obj)
            assert registered.startswith("keras_zoo>"), f"{name} is not registered: {registered}"


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_formula(case):
    if case.reference is None:
        pytest.fail(f"{case.id}: no NumPy reference")
    layer, inputs, out = _built_for_reading(case, keep=True)
    _assert_close(_numpy(out), case.reference(layer, inputs), case.atol)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_config_roundtrip(case):
    layer, inputs, out = _built_for_reading(case, keep=True)
    config = layer.get_config()
    clone = layer.__class__.from_config(config)
    assert clone.get_config() == config
    case.call(clone, [tf.constant(a) for a in inputs])
    clone.set_weights(layer.get_weights())
    again = case.call(clone, [tf.constant(a) for a in inputs], training=case.training)
    if not case.training:
        _assert_close(_numpy(again), _numpy(out), 1e-6)


def _keras_file_roundtrip(model, inputs, directory):
    path = os.fspath(directory / "layer.keras")
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    out = loaded(inputs, training=False)
    return [np.asarray(o) for o in out] if isinstance(out, (list, tuple)) else np.asarray(out)


@pytest.mark.parametrize("case", SHARED_PARAMS)
def test_keras_file_roundtrip(case, tmp_path_factory):
    directory = tmp_path_factory.mktemp("layers")
    shared = _shared("keras", case, lambda m, i: _keras_file_roundtrip(m, i, directory))
    if shared is None:  # alone: its own tiny model
        layer, inputs, _ = _built(case)
        model = _tiny_model(case, layer, inputs)
        shared = (_numpy(model(inputs if len(inputs) > 1 else inputs[0], training=False)),
                  _keras_file_roundtrip(model, inputs if len(inputs) > 1 else inputs[0],
                                        directory))
    expected, actual = shared
    _assert_close(actual, expected, 1e-6)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_gradients_flow(case):
    if case.gradients is not True:
        _BUILT.pop(case.id, None)
        pytest.xfail(f"declared debt: {case.gradients}")
    layer, inputs, _ = _built_for_reading(case, keep=False)
    tensors = [tf.constant(a) for a in inputs]
    float_inputs = [t for t in tensors if t.dtype.is_floating]
    with tf.GradientTape() as tape:
        tape.watch(float_inputs)
        out = case.call(layer, tensors, training=True)
        outs = out if isinstance(out, (list, tuple)) else [out]
        loss = tf.add_n([tf.reduce_sum(tf.square(tf.cast(o, tf.float32))) for o in outs
                         if o.dtype.is_floating])
    sources = float_inputs + list(layer.trainable_variables)
    grads = tape.gradient(loss, sources)
    assert any(g is not None for g in grads), "no gradient reaches inputs or weights"
    for g in grads:
        if g is not None:
            g = tf.convert_to_tensor(g)
            assert np.all(np.isfinite(g.numpy())), "non-finite gradient"
    assert any(g is not None and np.any(tf.convert_to_tensor(g).numpy() != 0) for g in grads)


def _tflite_outputs(model, inputs):
    converted = tflite.convert_keras(model)
    assert tflite.flex_ops(converted) == [], tflite.op_names(converted)
    interp = tflite.interpreter(converted)
    runner = interp.get_signature_runner("serving_default")
    result = runner(**{f"input_{i}": a for i, a in enumerate(inputs)})
    return [result[f"output_{i}"] for i in range(len(result))]


@pytest.mark.parametrize("case", SHARED_PARAMS)
def test_tflite_builtin_ops_and_parity(case):
    if case.tflite is not True:
        pytest.xfail(f"declared debt: {case.tflite}")
    shared = _shared("tflite", case, _tflite_outputs)
    if shared is None:  # alone: its own tiny model
        layer, inputs, _ = _built(case)
        model = _tiny_model(case, layer, inputs)
        expected = _numpy(model(inputs if len(inputs) > 1 else inputs[0], training=False))
        actual = _tflite_outputs(model, inputs)
        shared = (expected, actual if isinstance(expected, list) else actual[0])
    expected, actual = shared
    _assert_close(actual, expected, max(case.atol, 1e-5))

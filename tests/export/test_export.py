"""Export: the TF-Serving layout, atomic versions, TFLite files, verify, bad input."""

import json
import os

import keras
import numpy as np
import pytest

import keras_zoo
from keras_zoo import export as kz_export
from keras_zoo.export import bundle, savedmodel


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A LeNet-5 trained for a few epochs (so int8 agreement means something), as .keras."""
    from keras_zoo.tasks import get_task

    keras.utils.set_random_seed(0)
    entry = keras_zoo.models.info("lenet5")
    model = entry.build("tiny")
    task = get_task("classification")
    task.compile(model, entry, learning_rate=3e-3)
    model.fit(task.dataset(model, entry, "train", 64), epochs=4, verbose=0)
    path = os.fspath(tmp_path_factory.mktemp("ckpt") / "lenet5.keras")
    model.save(path)
    return model, entry, path


# One worker runs the module (under xdist): the model is trained and exported once, not once per
# worker.
pytestmark = pytest.mark.xdist_group("export")


@pytest.fixture(scope="module")
def exported(trained, tmp_path_factory):
    """``trained`` exported once with every TFLite mode (float, fp16, int8), for the tests that
    read an export without changing it: ``(root, path)``. Each export (a SavedModel, three
    conversions and an int8 calibration) costs several CPU seconds."""
    model, entry, source = trained
    root = tmp_path_factory.mktemp("serve")
    path = kz_export.export(model, "lenet5", entry, root=root, tflite=("float", "fp16", "int8"),
                            source=source)
    return root, path


def test_export_writes_the_serving_layout(trained, exported):
    model, entry, _ = trained
    root, path = exported
    assert path == os.path.join(root, "lenet5", "1")
    files = set(os.listdir(path))
    assert {"saved_model.pb", "variables", "lenet5.tflite", "lenet5_fp16.tflite",
            "lenet5_int8.tflite", "keras_zoo.json"} <= files
    meta = json.load(open(os.path.join(path, "keras_zoo.json")))
    assert meta["model"] == "lenet5" and meta["version"] == 1
    assert not [d for d in os.listdir(os.path.join(root, "lenet5")) if d.startswith(".")]
    # the next export without a version takes the next one (version 1 is left as it was)
    again = kz_export.export(model, "lenet5", entry, root=root, tflite=())
    assert again.endswith(os.path.join("lenet5", "2"))


def test_serving_signature_has_named_inputs_and_outputs(exported):
    import tensorflow as tf

    _, path = exported
    fn = tf.saved_model.load(path).signatures["serving_default"]
    _, inputs = fn.structured_input_signature
    assert list(inputs) == ["images"] and inputs["images"].dtype == tf.uint8
    assert set(fn.structured_outputs) == {"probabilities", "classes"}


def test_exporting_twice_to_one_version_fails_and_keeps_the_first(trained, tmp_path):
    model, entry, _ = trained
    path = kz_export.export(model, "m", entry, version=3, root=tmp_path, tflite=())
    before = open(os.path.join(path, "saved_model.pb"), "rb").read()
    with pytest.raises(FileExistsError, match="never overwritten"):
        kz_export.export(model, "m", entry, version=3, root=tmp_path, tflite=())
    assert open(os.path.join(path, "saved_model.pb"), "rb").read() == before


def test_a_crash_while_writing_leaves_no_half_version(tmp_path):
    target = os.fspath(tmp_path / "m" / "1")

    def write(tmp):
        open(os.path.join(tmp, "saved_model.pb"), "w").write("partial")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        savedmodel.write_atomically(target, write)
    assert not os.path.exists(target)
    assert os.listdir(tmp_path / "m") == []


@pytest.mark.parametrize("version", ["abc", "1.5", 0, -2, True])
def test_bad_versions_are_refused(version, tmp_path):
    with pytest.raises(ValueError, match="version must be a positive integer"):
        savedmodel.version_dir(tmp_path, "m", version)


def test_unknown_tflite_mode_is_refused(trained, tmp_path):
    model, entry, _ = trained
    with pytest.raises(ValueError, match="tflite: unknown modes"):
        kz_export.export(model, "m", entry, root=tmp_path, tflite=("int4",))
    assert not os.path.exists(tmp_path / "m" / "1")


def test_verify_passes_and_reports_figures(exported, fresh):
    _, path = exported
    ok, rows = kz_export.verify(path, fresh=fresh)
    assert ok, rows
    checks = " ".join(r[0] for r in rows)
    assert "fresh process" in checks and "int8" in checks and "fp16" in checks


def test_verify_fails_on_a_different_model(exported, fresh, tmp_path):
    _, path = exported
    other = keras_zoo.models.get("lenet5", preset="tiny")  # untrained weights
    other_path = os.fspath(tmp_path / "other.keras")
    other.save(other_path)
    ok, rows = kz_export.verify(path, other_path, fresh=fresh)
    assert not ok
    # The SavedModel and the float and fp16 files all differ from the untrained model.
    assert len([r for r in rows if "max |diff|" in r[0]]) == 3
    assert not any(r[3] for r in rows if "max |diff|" in r[0])


def test_corrupt_keras_file_is_a_clear_error(tmp_path):
    path = tmp_path / "broken.keras"
    path.write_bytes(b"not a zip at all")
    with pytest.raises(ValueError, match="not a valid .keras file"):
        bundle.load_keras(path)
    truncated = tmp_path / "truncated.keras"
    keras_zoo.models.get("mlp", preset="tiny").save(os.fspath(tmp_path / "ok.keras"))
    truncated.write_bytes((tmp_path / "ok.keras").read_bytes()[:300])
    with pytest.raises(ValueError, match="truncated.keras"):
        bundle.load_keras(truncated)


def test_savedmodel_runs_without_keras_zoo_in_a_fresh_process(trained, exported):
    from keras_zoo.export import run_fresh
    from keras_zoo.tasks import get_task

    model, _, _ = trained
    _, path = exported
    task = get_task("classification")
    example = task.serving_example(model, 5)
    outputs, report = run_fresh(path, example)
    assert report["ok"] and report["keras_zoo_imported"] is False
    np.testing.assert_allclose(outputs["probabilities"],
                               task.serving_fn(model)(**example)["probabilities"], atol=1e-5)


def test_conversion_without_serving_default_names_the_signatures_found(tmp_path):
    import tensorflow as tf

    module = tf.Module()
    module.double = tf.function(lambda x: {"y": 2 * x},
                                input_signature=[tf.TensorSpec([1, 2], tf.float32)])
    tf.saved_model.save(module, os.fspath(tmp_path / "m"),
                        signatures={"other": module.double.get_concrete_function()})
    with pytest.raises(ValueError, match=r"no 'serving_default'.*\['other'\]"):
        kz_export.convert_savedmodel(tmp_path / "m", "float")


def test_conversion_of_a_serving_default_matches_tensorflow(tmp_path):
    import tensorflow as tf

    module = tf.Module()
    module.double = tf.function(lambda x: {"y": 2 * x + 1},
                                input_signature=[tf.TensorSpec([1, 2], tf.float32, name="x")])
    tf.saved_model.save(module, os.fspath(tmp_path / "m"),
                        signatures={"serving_default": module.double.get_concrete_function()})
    out = kz_export.run(kz_export.convert_savedmodel(tmp_path / "m", "float"),
                        {"x": np.array([[1.0, -2.0]], np.float32)})
    np.testing.assert_allclose(out["y"], [[3.0, -3.0]])


def test_export_serves_the_model_with_its_batch_norms_folded(tmp_path):
    """`export` serves `served_model`'s graph (the conformance battery checks that one): the
    batch norm after the convolution is gone from the SavedModel, and the SavedModel and its
    float TFLite equal the unfolded model."""
    import tensorflow as tf
    from tensorflow.core.protobuf import saved_model_pb2

    from keras_zoo.tasks import get_task

    keras.utils.set_random_seed(0)
    entry = keras_zoo.models.info("lenet5")
    inputs = keras.Input(entry.build("tiny").input_shape[1:])
    x = keras.layers.Conv2D(4, 3)(inputs)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.GlobalAveragePooling2D()(keras.layers.ReLU()(x))
    model = keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(x))
    norm = model.layers[2]
    rng = np.random.default_rng(0)
    for variable, value in zip(norm.weights, (rng.uniform(0.5, 2, 4), rng.normal(0, 0.5, 4),
                                              rng.normal(0, 0.5, 4), rng.uniform(0.3, 2, 4)),
                               strict=True):
        variable.assign(value.astype("float32"))
    path = kz_export.export(model, "bn", entry, root=tmp_path, tflite=("float",))
    meta = json.load(open(os.path.join(path, "keras_zoo.json")))
    assert (meta["batch_norms_folded"], meta["batch_norms_rewritten"]) == (1, 0)
    proto = saved_model_pb2.SavedModel()
    proto.ParseFromString(open(os.path.join(path, "saved_model.pb"), "rb").read())
    ops = {node.op for f in proto.meta_graphs[0].graph_def.library.function
           for node in f.node_def}
    assert "Conv2D" in ops and not any("BatchNorm" in op for op in ops), sorted(ops)
    task = get_task(entry.task)
    example = task.serving_example(model, 3)
    expected = task.serving_fn(model)(**example)["probabilities"]
    served = tf.saved_model.load(path).signatures["serving_default"](
        **{k: tf.constant(v) for k, v in example.items()})["probabilities"]
    np.testing.assert_allclose(served, expected, atol=1e-5)
    flat = open(os.path.join(path, "bn.tflite"), "rb").read()
    np.testing.assert_allclose(kz_export.run(flat, example)["probabilities"], expected,
                               atol=1e-5)


def _without_tensor_names(flatbuffer):
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(flatbuffer))
    for subgraph in model.subgraphs:
        for tensor in subgraph.tensors:
            tensor.name = b""
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


def test_one_conversion_gives_the_float_and_int8_flatbuffers_of_two(tmp_path):
    """`SavedModelConversion` runs the SavedModel's MLIR conversion once for "float" and "int8"
    (the battery's two TFLite checks): the flatbuffers are those of two separate conversions
    (the float one byte for byte; the int8 one but for tensor names: an int8-mode conversion
    names some folded constants otherwise, as attentive_reader's embedding table); "fp16",
    and "int8" before "float", are converted on their own."""
    import tensorflow as tf

    from keras_zoo.export import tflite

    keras.utils.set_random_seed(0)
    tokens = keras.Input((6,), dtype="int32", name="tokens")
    pixels = keras.Input((8, 8, 1), name="pixels")
    words = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(20, 4)(tokens))
    image = keras.layers.Flatten()(keras.layers.Conv2D(3, 3, activation="relu")(pixels))
    outputs = keras.layers.Dense(5)(keras.layers.Concatenate()([words, image]))
    model = keras.Model([tokens, pixels], outputs)
    path = os.fspath(tmp_path / "m")
    kz_export.export_savedmodel(model, path, tflite._default_fn(model, tf))
    rng = np.random.default_rng(0)
    representative = [{"input_0": rng.integers(0, 20, (1, 6)).astype(np.int32),
                       "input_1": rng.uniform(0, 1, (1, 8, 8, 1)).astype(np.float32)}
                      for _ in range(8)]

    shared = kz_export.SavedModelConversion(path)
    flat, int8 = shared.convert("float"), shared.convert("int8", representative)
    assert shared.conversions == 1
    assert flat == kz_export.convert_savedmodel(path, "float")
    separate = kz_export.convert_savedmodel(path, "int8", representative)
    assert _without_tensor_names(int8) == _without_tensor_names(separate)
    assert int8 != flat and "QUANTIZE" in kz_export.op_names(int8)
    assert shared.convert("fp16") == kz_export.convert_savedmodel(path, "fp16")
    assert shared.conversions == 2
    int8_first = kz_export.SavedModelConversion(path)
    assert int8_first.convert("int8", representative) == separate
    assert int8_first.convert("float") == flat and int8_first.conversions == 2


def test_the_checks_run_litert_without_the_xnnpack_delegate(monkeypatch):
    """``run`` (verify, the battery) compares on LiteRT's builtin kernels: XNNPACK served
    outputs that changed from an interpreter's second call on (see ``tflite.interpreter``);
    ``xnnpack=True`` is the delegate a phone runs; anything else is refused."""
    import ai_edge_litert.interpreter as litert

    from keras_zoo.export import tflite

    made = []
    monkeypatch.setattr(litert, "Interpreter", lambda **kwargs: made.append(kwargs))
    tflite.interpreter(b"flat")
    tflite.interpreter(b"flat", xnnpack=True)
    assert made == [
        {"model_content": b"flat",
         "experimental_op_resolver_type": litert.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES},
        {"model_content": b"flat"}]
    with pytest.raises(ValueError, match="xnnpack must be True or False"):
        tflite.interpreter(b"flat", xnnpack="yes")

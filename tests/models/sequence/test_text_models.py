"""Text models that serve raw strings: tokenisation inside the graph with plain TensorFlow ops,
so the SavedModel runs in a fresh process without keras_zoo or tensorflow-text; the vocabulary
is saved with the model; bad input (OOV, over-long, empty) is handled; and the integer-token
endpoint converts to TFLite with builtin ops (the string graph cannot: a declared debt)."""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_zoo
from keras_zoo.export import convert_keras, export_savedmodel, flex_ops, op_names, run
from keras_zoo.tasks import get_task


def _tiny(name):
    keras.utils.set_random_seed(0)
    return keras_zoo.models.get(name, preset="tiny")


# Both models' checks in one xdist worker (the session's shared fresh process: conftest.py).
@pytest.mark.xdist_group("text_models_fresh")
@pytest.mark.parametrize("name", ["lstm_char_lm", "lstm_text_classifier"])
def test_string_signature_in_a_fresh_process(name, tmp_path, fresh):
    entry = keras_zoo.models.info(name)
    model = _tiny(name)
    task = get_task(entry.task)
    fn = task.serving_fn(model)
    path = export_savedmodel(model, os.fspath(tmp_path / name / "1"), fn)
    example = task.serving_example(model, n=3)
    assert example["text"][0] == ""  # the empty string is part of the example
    expected = {k: np.asarray(v) for k, v in fn(**example).items()}
    actual, report = fresh.run(path, example)
    assert report["ok"], report.get("error")
    assert not report["keras_zoo_imported"]
    assert report["inputs"] == {"text": ["string", [None]]}
    for key in expected:
        np.testing.assert_allclose(actual[key], expected[key], atol=1e-3, err_msg=key)
    # tensorflow-text is not needed either: no op of the graph comes from it.
    graph = tf.saved_model.load(path).signatures["serving_default"].graph.as_graph_def()
    ops = {n.op for f in graph.library.function for n in f.node_def} | {n.op for n in graph.node}
    assert not any(op.startswith(("WordpieceTokenize", "SentencepieceOp", "RegexSplitWithOffsets",
                                  "UnicodeScriptTokenize")) for op in ops), sorted(ops)


def test_vocabulary_is_saved_with_the_model(tmp_path):
    model = _tiny("lstm_char_lm")
    path = os.fspath(tmp_path / "lm.keras")
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert loaded.vocabulary == model.vocabulary
    text = tf.constant(["Return the", "", "\u4e2d" * 40])
    np.testing.assert_array_equal(loaded.tokenizer(text), model.tokenizer(text))


def test_lm_bad_input_oov_truncation_empty():
    model = _tiny("lstm_char_lm")
    task = get_task("language_model")
    out = task.serving_fn(model)(tf.constant(["", "\u4e2d\u4e2d", "ab" * 100]))
    length = model.sequence_length
    np.testing.assert_array_equal(out["length"].numpy(), [0, 2, length])  # truncated to T
    tokens = model.tokenizer(tf.constant(["\u4e2d\u4e2d"])).numpy()
    assert tokens[0, 0] == 1 and tokens[0, 1] == 1  # OOV -> [UNK]
    p = out["next_token_probabilities"].numpy()
    np.testing.assert_allclose(p.sum(-1), 1.0, atol=1e-5)
    assert np.isfinite(out["log_likelihood"].numpy()).all()


@pytest.mark.parametrize("name", ["lstm_char_lm", "gru_char_lm", "lstm_text_classifier"])
def test_integer_endpoint_converts_with_builtin_ops(name):
    model = _tiny(name)
    converted = convert_keras(model)
    ops = op_names(converted)
    assert flex_ops(converted) == [], ops
    assert "WHILE" not in ops  # unrolled: no TensorList ops
    length = model.sequence_length
    tokens = model.tokenizer(tf.constant(["Return the value"])).numpy().astype(np.int32)
    assert tokens.shape == (1, length)
    expected = np.asarray(model(tokens))
    np.testing.assert_allclose(run(converted, {"input_0": tokens})["output_0"], expected,
                               atol=1e-5)

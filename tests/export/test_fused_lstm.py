"""Keras 3 LSTMs to TFLite's fused UNIDIRECTIONAL_SEQUENCE_LSTM at export time
(keras_zoo/export/fused_lstm.py), matching the Keras model."""

import keras
import numpy as np
import pytest

import keras_zoo
from keras_zoo.export import convert_keras, flex_ops, op_names, run
from keras_zoo.export.fused_lstm import fused_lstm_serving_fn


def _tokens(model, rng, vocabulary_size):
    length = model.input_shape[1]
    rows = [rng.integers(1, vocabulary_size, length) for _ in range(3)]
    rows[1][length // 2:] = 0  # right padding
    rows[2][:] = 0  # all padding
    return [r[None].astype(np.int32) for r in rows]


@pytest.mark.parametrize("name", ["lstm_classifier", "lstm_char_lm"])
def test_lstm_models_convert_to_the_fused_tflite_lstm(name):
    keras.utils.set_random_seed(0)
    model = keras_zoo.models.get(name, preset="tiny")
    fn = fused_lstm_serving_fn(model)
    converted = convert_keras(model, fn)
    ops = op_names(converted)
    assert "UNIDIRECTIONAL_SEQUENCE_LSTM" in ops, ops
    assert flex_ops(converted) == []
    assert ops.count("UNIDIRECTIONAL_SEQUENCE_LSTM") == sum(
        isinstance(layer, keras.layers.LSTM) for layer in model.layers)
    vocabulary_size = model.get_layer("embedding").input_dim
    for tokens in _tokens(model, np.random.default_rng(0), vocabulary_size):
        expected = np.asarray(model(tokens, training=False))
        np.testing.assert_allclose(np.asarray(fn(tokens)["outputs"]), expected, atol=1e-5)
        np.testing.assert_allclose(run(converted, {"tokens": tokens})["outputs"], expected,
                                   atol=1e-4)


def test_unsupported_graphs_are_refused():
    model = keras_zoo.models.get("bilstm_classifier", preset="tiny")
    with pytest.raises(ValueError, match="Bidirectional"):
        fused_lstm_serving_fn(model)

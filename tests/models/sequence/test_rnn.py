"""RNN family: the parameter formulas (the notes' "LSTM has about 4x the parameters of a simple
RNN"), the Jordan cell's recurrence, the deep RNN's skip connections, and bad arguments."""

import keras
import numpy as np
import pytest

from keras_zoo.models.sequence.rnn import JordanCell, RNNClassifier, RNNLanguageModel


def _count(layer, m, t=5):
    model = keras.Sequential([keras.Input((t, m)), layer])
    return model.count_params()


@pytest.mark.parametrize("m,n", [(3, 4), (10, 32), (64, 128)])
def test_parameter_formulas_against_keras(m, n):
    simple = _count(keras.layers.SimpleRNN(n), m)
    lstm = _count(keras.layers.LSTM(n), m)
    gru = _count(keras.layers.GRU(n), m)
    gru_v1 = _count(keras.layers.GRU(n, reset_after=False), m)
    assert simple == n * (m + n + 1)  # W, U, b
    assert lstm == 4 * n * (m + n + 1)  # four gates: i, f, c~, o
    assert lstm == 4 * simple  # the notes' "about 4x" is exactly 4x
    # Keras' default reset_after=True (cuDNN-compatible) keeps separate input and recurrent
    # biases: 3n(m + n + 2); Cho et al.'s GRU has one bias per gate: 3n(m + n + 1).
    assert gru == 3 * n * (m + n + 2)
    assert gru_v1 == 3 * n * (m + n + 1)


def test_jordan_cell_feeds_back_the_output():
    rng = np.random.default_rng(0)
    m, n, o, t = 3, 5, 4, 6
    cell = JordanCell(n, output_units=o)
    layer = keras.layers.RNN(cell, return_sequences=True)
    x = rng.normal(size=(2, t, m)).astype(np.float32)
    out = np.asarray(layer(x))
    w, b = cell.hidden.get_weights()
    (u,) = cell.recurrent.get_weights()
    v, c = cell.readout.get_weights()
    y = np.zeros((2, o))
    for step in range(t):  # Jordan 1986: h_t = tanh(W x_t + U y_{t-1} + b), y_t = tanh(V h_t + c)
        h = np.tanh(x[:, step] @ w + y @ u + b)
        y = np.tanh(h @ v + c)
        np.testing.assert_allclose(out[:, step], y, atol=1e-5)
    assert layer.count_params() == (m * n + n) + o * n + (n * o + o)


def test_deep_rnn_skip_connections_reach_every_layer_and_the_output():
    vocab = ["", "[UNK]"] + list("abc")
    model = RNNLanguageModel(vocab, cell="lstm", units=4, embedding_dim=3, sequence_length=5,
                             num_layers=3, skip_connections=True)
    # Layers 2 and 3 read [x; h_{l-1}] (3 + 4 inputs); the output reads all three layers.
    assert model.get_layer("rnn2").input.shape[-1] == 3 + 4
    assert model.get_layer("rnn3").input.shape[-1] == 3 + 4
    assert model.get_layer("logits").input.shape[-1] == 3 * 4
    plain = RNNLanguageModel(vocab, cell="lstm", units=4, embedding_dim=3, sequence_length=5,
                             num_layers=3)
    assert plain.get_layer("logits").input.shape[-1] == 4


def test_bidirectional_classifier_doubles_the_recurrent_parameters():
    uni = RNNClassifier("gru", units=8, vocabulary_size=5, embedding_dim=4, sequence_length=6)
    bi = RNNClassifier("gru", units=8, vocabulary_size=5, embedding_dim=4, sequence_length=6,
                       bidirectional=True)
    assert bi.get_layer("rnn1_bidirectional").count_params() == \
        2 * uni.get_layer("rnn1").count_params()


def test_classifier_masks_padding():
    model = RNNClassifier("lstm", units=8, vocabulary_size=6, embedding_dim=4, sequence_length=8,
                          unroll=False)
    x = np.array([[3, 4, 3, 4, 0, 0, 0, 0]], np.int32)
    shorter = keras.Model(model.input, model.output)
    # Padding (0) is masked: the same tokens with more padding give the same output.
    y1 = np.asarray(shorter(x))
    model2 = RNNClassifier("lstm", units=8, vocabulary_size=6, embedding_dim=4,
                           sequence_length=4, unroll=False)
    model2.set_weights(model.get_weights())
    np.testing.assert_allclose(np.asarray(model2(x[:, :4])), y1, atol=1e-6)


@pytest.mark.parametrize("kwargs,match", [
    ({"cell": "transformer"}, "cell"),
    ({"units": 0}, "units"),
    ({"classes": 1}, "classes"),
    ({"dropout": 1.5}, "dropout"),
    ({"vocabulary_size": None}, "vocabulary_size"),
    ({"vocabulary": ["a", "b"]}, "vocabulary"),
])
def test_bad_arguments(kwargs, match):
    config = {"cell": "lstm", "units": 4, "vocabulary_size": 5, **kwargs}
    if "vocabulary" in kwargs:
        config.pop("vocabulary_size")
    with pytest.raises(ValueError, match=match):
        RNNClassifier(**config)


def test_language_model_rejects_missing_vocabulary():
    with pytest.raises(ValueError, match="vocabulary"):
        RNNLanguageModel(None)

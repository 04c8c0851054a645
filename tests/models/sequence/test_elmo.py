"""ELMo: character ids, the layer mix formula, the two LMs' directions, and learning."""

import keras
import numpy as np
import pytest

import keras_zoo
from keras_zoo.data import text
from keras_zoo.models.sequence.elmo import BOW, CHAR_OFFSET, EOW, ELMoBiLM, ScalarMix, char_ids
from tests.deferred import assert_deferred, deferred_weights

TINY = {"sequence_length": 6, "max_chars": 8, "char_dim": 4, "filters": ((1, 4), (2, 4)),
        "highway_layers": 1, "projection_dim": 8, "num_layers": 2}


def test_char_ids():
    ids = char_ids([["ab", "\u00e9"], []], max_chars=5, sequence_length=3)
    assert ids.shape == (2, 3, 5)
    assert ids[0, 0].tolist() == [BOW, CHAR_OFFSET + 97, CHAR_OFFSET + 98, EOW, 0]
    assert ids[0, 1].tolist() == [BOW, CHAR_OFFSET + 0xC3, CHAR_OFFSET + 0xA9, EOW, 0]
    assert (ids[1] == 0).all() and (ids[0, 2] == 0).all()


def test_scalar_mix_formula():
    rng = np.random.default_rng(0)
    hs = [rng.normal(size=(2, 3, 4)).astype(np.float32) for _ in range(3)]
    mix = ScalarMix(3)
    mix(hs)
    mix.set_weights([np.array([0.5, -1.0, 2.0], np.float32), np.array(1.7, np.float32)])
    s = np.exp([0.5, -1.0, 2.0]) / np.exp([0.5, -1.0, 2.0]).sum()
    np.testing.assert_allclose(np.asarray(mix(hs)), 1.7 * sum(w * h for w, h in zip(s, hs, strict=True)),
                               atol=1e-5)


def test_directions_are_causal():
    keras.utils.set_random_seed(0)
    model = ELMoBiLM(20, **TINY)
    a = char_ids([["the", "cat", "sat", "on", "a", "mat"]], 8)
    b = a.copy()
    b[0, 3] = char_ids([["dog"]], 8)[0, 0]  # change word 3
    oa, ob = model(a), model(b)
    f_a, f_b = np.asarray(oa["forward"]), np.asarray(ob["forward"])
    np.testing.assert_allclose(f_a[:, :3], f_b[:, :3], atol=1e-5)  # forward: t < 3 unaffected
    bw_a, bw_b = np.asarray(oa["backward"]), np.asarray(ob["backward"])
    np.testing.assert_allclose(bw_a[:, 4:], bw_b[:, 4:], atol=1e-5)  # backward: t > 3 too
    assert not np.allclose(f_a[:, 3:], f_b[:, 3:])
    elmo = model.embedder()(a)
    assert elmo.shape == (1, 6, 2 * TINY["projection_dim"])


def test_bilm_learns_on_the_corpus(graph_optimizer_off):
    keras.utils.set_random_seed(0)
    docs = text.corpus("train")[:60]
    vocabulary = text.word_vocabulary(docs, max_tokens=200)
    index = {w: i for i, w in enumerate(vocabulary)}
    words = [w for d in docs for w in text.standardize(d).split()]
    t = TINY["sequence_length"]
    sentences = [words[i:i + t] for i in range(0, len(words) - t, t)][:64]
    ids = np.array([[index.get(w, 1) for w in s] for s in sentences], np.int32)
    x = char_ids(sentences, TINY["max_chars"], t)
    y = {"forward": np.concatenate([ids[:, 1:], np.zeros((len(ids), 1), np.int32)], 1),
         "backward": np.concatenate([np.zeros((len(ids), 1), np.int32), ids[:, :-1]], 1)}
    model = ELMoBiLM(len(vocabulary), **TINY)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(keras.optimizers.Adam(1e-2), loss={"forward": loss, "backward": loss})
    history = model.fit(x, y, batch_size=16, epochs=4, verbose=0)
    assert history.history["loss"][-1] < 0.9 * history.history["loss"][0]


def test_lstmp_cell_matches_the_formula():
    from keras_zoo.models.sequence.elmo import LSTMPCell

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    layer = keras.layers.RNN(LSTMPCell(5, 3, cell_clip=0.5, projection_clip=0.2),
                             return_sequences=True)
    x = rng.normal(size=(2, 4, 6)).astype(np.float32)
    out = np.asarray(layer(x))
    kernel, recurrent, bias, projection = [np.asarray(w, np.float64) for w in layer.get_weights()]
    assert kernel.shape == (6, 20) and recurrent.shape == (3, 20) and projection.shape == (5, 3)

    def sigmoid(z):
        return 1 / (1 + np.exp(-z))

    r, c = np.zeros((2, 3)), np.zeros((2, 5))
    for t in range(4):
        z = x[:, t] @ kernel + r @ recurrent + bias
        i, f, g, o = np.split(z, 4, axis=-1)
        c = np.clip(sigmoid(f) * c + sigmoid(i) * np.tanh(g), -0.5, 0.5)
        r = np.clip((sigmoid(o) * np.tanh(c)) @ projection, -0.2, 0.2)
        np.testing.assert_allclose(out[:, t], r, atol=1e-5)


def test_original_elmo_has_the_papers_93_6m_parameters():
    """Peters et al. (2018) / AllenNLP's "original" model: 93.6M without the word softmax.

    Ours is 93,600,816; AllenNLP's 93,600,864 has 48 more, its character table having 262
    rows to our 259 (3 x 16 = 48). The formula is pinned against the built model in the slow
    test below.
    """
    from keras_zoo.models.sequence import elmo

    without_softmax = elmo.bilm_parameters_without_softmax(**elmo.ELMO_ORIGINAL)
    assert without_softmax == 93_600_864 - 3 * 16
    assert round(without_softmax / 1e6, 1) == 93.6
    entry = keras_zoo.models.info("elmo")
    assert entry.params == without_softmax + 513 * 793_471


@pytest.mark.slow
def test_built_original_elmo_matches_the_formula():
    """The 93.6M model built (its weights deferred), with a 2-word softmax subtracted."""
    from keras_zoo.models.sequence import elmo

    with deferred_weights():  # counted only (tests/deferred.py)
        model = ELMoBiLM(**{**elmo.ELMO_ORIGINAL, "word_vocabulary_size": 2})
        assert_deferred(model.weights)
    assert model.count_params() - (512 + 1) * 2 == elmo.bilm_parameters_without_softmax(
        **elmo.ELMO_ORIGINAL)


def test_elmo_rejects_bad_lstm_units():
    with pytest.raises(ValueError, match="lstm_units"):
        ELMoBiLM(20, **{**TINY, "lstm_units": 0})


def test_bilm_serving_outputs_the_layers():
    from keras_zoo.tasks import get_task

    keras.utils.set_random_seed(0)
    entry = keras_zoo.models.info("elmo")
    model = entry.build("tiny")
    task = get_task(entry.task)
    served = task.export_model(model)
    example = task.serving_example(served, n=3)
    out = task.serving_fn(served)(**example)
    layers = np.asarray(out["layers"])
    t = entry.tiny["sequence_length"]
    assert layers.shape == (3, entry.tiny["num_layers"] + 1, t, 2 * entry.tiny["projection_dim"])
    mix = model.embedder()(example["chars"])  # a fresh mix is the mean of the layers
    np.testing.assert_allclose(np.asarray(mix), layers.mean(axis=1), atol=1e-5)
    assert np.asarray(out["next_word"]).shape == (3, t)

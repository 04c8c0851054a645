"""ELMo: character ids, the layer mix formula, the two LMs' directions, and learning."""

import keras
import numpy as np

from keras_zoo.data import text
from keras_zoo.models.sequence.elmo import BOW, CHAR_OFFSET, EOW, ELMoBiLM, ScalarMix, char_ids

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


def test_bilm_learns_on_the_corpus():
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

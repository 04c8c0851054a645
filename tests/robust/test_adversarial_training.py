"""AdversarialTraining: the mixed objective of Goodfellow et al. 2015 and Madry et al.'s min-max,
trained by plain fit, under tf.distribute, saved with safe_mode."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_zoo import robust


def _net(seed=0):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((8, 8, 1))
    x = keras.layers.Conv2D(4, 3, padding="same", activation="relu")(inputs)
    x = keras.layers.Flatten()(x)
    return keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(x), name="small")


def _data(n=16, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, 8, 8, 1)).astype(np.float32), rng.integers(0, 3, n)


def _ce(model, x, y):
    p = np.asarray(model(x))
    return float(-np.mean(np.log(p[np.arange(len(y)), y])))


def test_fgsm_objective_is_the_papers_mixture():
    # J~ = alpha J(x) + (1 - alpha) J(x + eps sign(grad J)), Goodfellow et al. 2015, section 5:
    # one step at learning rate 0 logs J~ at the initial weights.
    x, y = _data()
    wrapper = robust.AdversarialTraining(_net(), method="fgsm", eps=0.1, alpha=0.5)
    wrapper.compile(keras.optimizers.SGD(0.0), "sparse_categorical_crossentropy")
    wrapper.run_eagerly = True  # one step of a formula: the same train_step, untraced
    history = wrapper.fit(x, y, batch_size=16, epochs=1, verbose=0, shuffle=False)
    classifier = wrapper.classifier
    expected = 0.5 * _ce(classifier, x, y) + 0.5 * _ce(classifier,
                                                     robust.fgsm(classifier, x, y, 0.1), y)
    assert history.history["loss"][0] == pytest.approx(expected, rel=1e-4)


def test_pgd_min_max_trains_and_round_trips(tmp_path):
    x, y = _data()
    wrapper = robust.AdversarialTraining(_net(), method="pgd", eps=0.1, steps=2, alpha=0.0)
    wrapper.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy",
                    metrics=["accuracy"])
    history = wrapper.fit(x, y, batch_size=16, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    path = tmp_path / "adv.keras"
    wrapper.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert isinstance(loaded, robust.AdversarialTraining) and loaded.steps == 2
    np.testing.assert_allclose(loaded.predict(x, verbose=0), wrapper.predict(x, verbose=0),
                               atol=1e-6)


def test_adversarial_training_under_mirrored_strategy_matches_one_device():
    x, y = _data()

    def run(strategy):
        with strategy.scope():
            wrapper = robust.AdversarialTraining(_net(), method="pgd", eps=0.1, steps=2,
                                                 alpha=0.5, seed=3)
            wrapper.compile(keras.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
        ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(8)
        history = wrapper.fit(ds, epochs=1, verbose=0)
        return history.history["loss"], wrapper.get_weights()

    plain_loss, plain_weights = run(tf.distribute.get_strategy())
    mirrored_loss, mirrored_weights = run(tf.distribute.MirroredStrategy(["/cpu:0"]))
    np.testing.assert_allclose(mirrored_loss, plain_loss, rtol=1e-5)
    for a, b in zip(mirrored_weights, plain_weights, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_bad_configuration_names_the_argument():
    with pytest.raises(ValueError, match="eps="):
        robust.AdversarialTraining(_net(), eps=1.5)
    with pytest.raises(ValueError, match="alpha="):
        robust.AdversarialTraining(_net(), alpha=2.0)
    with pytest.raises(ValueError, match="method="):
        robust.AdversarialTraining(_net(), method="cw")
    inputs = keras.Input((8, 8, 1), dtype="uint8")
    served = keras.Model(inputs, _net()(keras.layers.Rescaling(1 / 255)(inputs)))
    with pytest.raises(ValueError, match="classifier"):
        robust.AdversarialTraining(served)

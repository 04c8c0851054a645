"""Separate stream training of the late-fused networks (two_stream, Beyond Short Snippets with its
flow network): one step descends the sum of the streams' own losses, inference is the average."""

import keras
import numpy as np
import pytest

import keras_zoo
from keras_zoo.models.video.late_fusion import SeparateStreamTraining, averaged_streams


def _late_fused():
    a, b = keras.Input((3,), name="a"), keras.Input((2,), name="b")
    pa = keras.layers.Dense(4, activation="softmax", name="a_scores")(a)
    pb = keras.layers.Dense(4, activation="softmax", name="b_scores")(b)
    fused = keras.layers.Average(name="fused_scores")([pa, pb])
    return keras.Model({"a": a, "b": b}, fused, name="late")


def test_a_step_descends_the_sum_of_the_streams_losses(tmp_path):
    keras.utils.set_random_seed(0)
    network = _late_fused()
    rng = np.random.default_rng(0)
    x = {"a": rng.normal(size=(8, 3)).astype(np.float32),
         "b": rng.normal(size=(8, 2)).astype(np.float32)}
    y = rng.integers(0, 4, size=8)
    before = [np.asarray(w) for w in network.trainable_weights]

    def stream_loss(kernel, bias, inputs):  # -log softmax(inputs @ kernel + bias)[y], mean
        z = inputs @ kernel + bias
        z = z - z.max(-1, keepdims=True)
        p = np.exp(z) / np.exp(z).sum(-1, keepdims=True)
        return -np.log(p[np.arange(8), y]).mean(), p

    # Plain SGD at lr 1: the update is minus the gradient. Each stream's weights move by the
    # gradient of its own cross-entropy only (the average's loss would weight them by their
    # share of the fused score of the true class).
    model = SeparateStreamTraining(network)
    model.compile(optimizer=keras.optimizers.SGD(1.0), loss="sparse_categorical_crossentropy")
    model.train_on_batch(x, y)
    for (kernel, bias), inputs, layer in ((before[:2], x["a"], "a_scores"),
                                          (before[2:], x["b"], "b_scores")):
        _, p = stream_loss(kernel, bias, inputs)
        d = (p - np.eye(4)[y]) / 8
        np.testing.assert_allclose(np.asarray(network.get_layer(layer).kernel),
                                   kernel - inputs.T @ d, atol=1e-5)
        np.testing.assert_allclose(np.asarray(network.get_layer(layer).bias),
                                   bias - d.sum(0), atol=1e-5)
    # Inference is the network's: the average of the streams' scores; saved and loaded safely.
    np.testing.assert_allclose(np.asarray(model(x)), np.asarray(network(x)), atol=1e-6)
    path = str(tmp_path / "late.keras")
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert isinstance(loaded, SeparateStreamTraining)
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(model(x)), atol=1e-6)


def test_the_zoo_late_fused_networks_have_averaged_streams_others_are_refused():
    two_stream = keras_zoo.models.get("two_stream", preset="tiny")
    names = [t._keras_history[0].name for t in averaged_streams(two_stream)]
    assert names == ["spatial_predictions", "temporal_predictions"]
    from training import get_recipe

    recipe = get_recipe("beyond_short_snippets")
    snippets = keras_zoo.models.get("beyond_short_snippets", preset="tiny", **recipe.config)
    names = [t._keras_history[0].name for t in averaged_streams(snippets)]
    assert names == ["predictions", "flow_network"]
    assert isinstance(recipe.wrap(snippets), SeparateStreamTraining)
    # A network with one head (two_stream_fusion's conv fusion ends so) has no streams' scores.
    inputs = keras.Input((3,))
    one_head = keras.Model(inputs, keras.layers.Dense(4, activation="softmax")(inputs))
    with pytest.raises(ValueError, match="not an Average of stream scores"):
        SeparateStreamTraining(one_head)

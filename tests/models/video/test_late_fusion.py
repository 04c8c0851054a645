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


def _inputs(model, seed=0):
    rng = np.random.default_rng(seed)
    return {t.name.split(":")[0]: rng.random((2, *t.shape[1:])).astype(np.float32)
            for t in model.inputs}


def _streams(model, x):
    return [np.asarray(s) for s in keras.Model(model.inputs, averaged_streams(model))(x)]


def _layer_output(model, name, x):
    return np.asarray(keras.Model(model.inputs, model.get_layer(name).output)(x))


def test_the_zoo_late_fused_networks_have_averaged_streams_others_are_refused():
    two_stream = keras_zoo.models.get("two_stream", preset="tiny")
    x = _inputs(two_stream)
    spatial, temporal = _streams(two_stream, x)
    np.testing.assert_allclose(spatial, _layer_output(two_stream, "spatial_predictions", x))
    np.testing.assert_allclose(temporal, _layer_output(two_stream, "temporal_predictions", x))
    assert not np.allclose(spatial, temporal)
    from training import get_recipe

    recipe = get_recipe("beyond_short_snippets")
    snippets = keras_zoo.models.get("beyond_short_snippets", preset="tiny", **recipe.config)
    x = _inputs(snippets)
    pooled, flow = _streams(snippets, x)
    np.testing.assert_allclose(pooled, _layer_output(snippets, "predictions", x), atol=1e-6)
    np.testing.assert_allclose(flow, np.asarray(snippets.get_layer("flow_network")(x["flow"])),
                               atol=1e-6)
    assert isinstance(recipe.wrap(snippets), SeparateStreamTraining)
    # A network with one head (two_stream_fusion's conv fusion ends so) has no streams' scores.
    inputs = keras.Input((3,))
    one_head = keras.Model(inputs, keras.layers.Dense(4, activation="softmax")(inputs))
    with pytest.raises(ValueError, match="not an Average of stream scores"):
        SeparateStreamTraining(one_head)
    # An Average that is not the output does not make a late-fused network.
    a, b = keras.Input((3,), name="a"), keras.Input((3,), name="b")
    fused = keras.layers.Dense(4, activation="softmax", name="after")(
        keras.layers.Average(name="inner_average")([a, b]))
    with pytest.raises(ValueError, match="'after' \\(Dense\\), not an Average"):
        averaged_streams(keras.Model([a, b], fused))


def test_the_wrapper_of_a_loaded_network_finds_its_streams(tmp_path):
    # The streams are found in a network rebuilt from its config (safe_mode=True), whose
    # tensors are new objects: the wrapper's stream sub-model gives each stream's scores.
    network = _late_fused()
    path = str(tmp_path / "network.keras")
    network.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    model = SeparateStreamTraining(loaded)
    x = {"a": np.ones((2, 3), np.float32), "b": np.ones((2, 2), np.float32)}
    spatial, temporal = (np.asarray(s) for s in model.streams(x))
    np.testing.assert_allclose(spatial, np.asarray(loaded.get_layer("a_scores")(x["a"])),
                               atol=1e-6)
    np.testing.assert_allclose(temporal, np.asarray(loaded.get_layer("b_scores")(x["b"])),
                               atol=1e-6)

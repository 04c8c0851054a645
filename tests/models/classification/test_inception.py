"""GoogLeNet (with auxiliary classifiers), BN-Inception and Inception v3."""

import keras
import numpy as np
import pytest

import keras_zoo
from keras_zoo.models.classification.googlenet import GoogLeNet
from keras_zoo.models.classification.inception_v2 import BNInception
from keras_zoo.models.classification.inception_v3 import InceptionV3
from keras_zoo.tasks import get_task
from keras_zoo.tasks.classification import AUX_LOSS_WEIGHT, compile_kwargs, main_output_model
from tests.deferred import assert_deferred, deferred_weights
from tests.models.classification.apps_transfer import assert_transfer, random_images

# GoogLeNet's Table 1, again: #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj, and the
# table's own "params" column (thousands).
GOOGLENET_TABLE = [
    ("3a", 64, 96, 128, 16, 32, 32, 159), ("3b", 128, 128, 192, 32, 96, 64, 380),
    ("4a", 192, 96, 208, 16, 48, 64, 364), ("4b", 160, 112, 224, 24, 64, 64, 437),
    ("4c", 128, 128, 256, 24, 64, 64, 463), ("4d", 112, 144, 288, 32, 64, 64, 580),
    ("4e", 256, 160, 320, 32, 128, 128, 840), ("5a", 256, 160, 320, 32, 128, 128, 1072),
    ("5b", 384, 192, 384, 48, 128, 128, 1388),
]
GOOGLENET_COLUMN_OTHERS_K = 2.7 + 112 + 1000  # conv1, conv2, linear


def googlenet_count_from_layers(classes=1000):
    """Weights and biases from the layer columns of Table 1."""
    total = (7 * 7 * 3 * 64 + 64) + (64 * 64 + 64) + (3 * 3 * 64 * 192 + 192)
    channels = 192
    for _, c1, c3r, c3, c5r, c5, proj, _ in GOOGLENET_TABLE:
        total += channels * c1 + c1 + channels * c3r + c3r + 9 * c3r * c3 + c3
        total += channels * c5r + c5r + 25 * c5r * c5 + c5 + channels * proj + proj
        channels = c1 + c3 + c5 + proj
    return total + channels * classes + classes


def test_googlenet_count_follows_table_1_layers():
    # Built in a StatelessScope that defers the weights' initialization (tests/deferred.py):
    # the same layers and variable shapes, no random draws; the counts are checked after.
    with deferred_weights():
        model = GoogLeNet(aux_classifiers=False)
        assert_deferred(model.weights)
    assert model.count_params() == googlenet_count_from_layers() == 6_998_552
    # The paper's params column sums to 6.8M (6797.7K) but does not recompute from its own
    # layer columns (an erratum of the lecture notes): the layer definitions give 2.9 % more.
    column = sum(row[-1] for row in GOOGLENET_TABLE) + GOOGLENET_COLUMN_OTHERS_K
    assert column == pytest.approx(6797.7)
    assert model.count_params() / (column * 1e3) == pytest.approx(1.0295, abs=5e-4)
    # conv1: the table says 2.7K, its definition 7*7*3*64 = 9,408 weights.
    assert np.prod(model.get_layer("conv1_7x7_s2").kernel.shape) == 9408


def test_googlenet_has_two_auxiliary_classifiers_on_4a_and_4d():
    model = GoogLeNet(width=0.125, aux_dense_units=16, input_shape=(224, 224, 3), classes=7)
    assert [tuple(o.shape) for o in model.outputs] == [(None, 7)] * 3
    assert model.outputs[0]._keras_history[0].name == "predictions"
    assert [model.get_layer(f"aux{i}_pool").input.shape[1] for i in (1, 2)] == [14, 14]
    # Section 5: 5x5/3 pooling gives 4x4, then 1x1 conv 128 (width-scaled), FC, dropout 0.7.
    assert model.get_layer("aux1_pool").output.shape[1:3] == (4, 4)
    assert model.get_layer("aux2_dropout").rate == 0.7
    assert model.get_layer("top_dropout").rate == 0.4
    with deferred_weights():  # two paper-size builds, counted only (tests/deferred.py)
        heads = GoogLeNet().count_params() - GoogLeNet(aux_classifiers=False).count_params()
    # Each head: conv 528/512->128, FC 2048->1024, FC 1024->1000.
    per_head = lambda c: c * 128 + 128 + 2048 * 1024 + 1024 + 1024 * 1000 + 1000  # noqa: E731
    assert heads == per_head(512) + per_head(528)


def test_googlenet_trains_auxiliary_heads_with_weight_0_3_and_exports_main_only():
    model = keras_zoo.models.get("googlenet", preset="tiny")
    entry = keras_zoo.models.info("googlenet")
    task = get_task("classification")
    assert compile_kwargs(model)["loss_weights"] == [1.0, AUX_LOSS_WEIGHT, AUX_LOSS_WEIGHT]
    assert AUX_LOSS_WEIGHT == 0.3
    task.compile(model, entry)
    # One eager step is enough: the weighting holds for every step's losses, and tracing the
    # step into a graph (most of this test's cost) is what the battery's fit check does.
    model.run_eagerly = True
    x, y = task.battery_data(model, entry, n=16)
    history = model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    keys = set(history.history)
    assert {"predictions_loss", "aux1_predictions_loss", "aux2_predictions_loss"} <= keys
    # The total is the main loss plus 0.3 times each auxiliary loss.
    h = {k: v[-1] for k, v in history.history.items()}
    expected = h["predictions_loss"] + 0.3 * (h["aux1_predictions_loss"]
                                             + h["aux2_predictions_loss"])
    assert h["loss"] == pytest.approx(expected, rel=1e-3)
    served = main_output_model(model)
    assert len(served.outputs) == 1 and not any(layer.name.startswith("aux") for layer in served.layers)
    np.testing.assert_allclose(np.asarray(served(x[:2])), np.asarray(model(x[:2])[0]),
                               atol=1e-6)


def test_bn_inception_follows_figure_5():
    # Built in a StatelessScope that defers the weights' initialization (tests/deferred.py):
    # the same layers and variable shapes, no random draws; the counts are checked after.
    with deferred_weights():
        model = BNInception()
        assert_deferred(model.weights)
    widths = {layer.name: layer.output.shape[-1] for layer in model.layers
              if isinstance(layer, keras.layers.Concatenate)}
    # The branch columns of Figure 5 (its "output size" column says 576 for 4c/4d, 1024 for 4e).
    assert widths == {"inception_3a": 256, "inception_3b": 320, "inception_3c": 576,
                      "inception_4a": 576, "inception_4b": 576, "inception_4c": 608,
                      "inception_4d": 608, "inception_4e": 1056, "inception_5a": 1024,
                      "inception_5b": 1024}
    stem = model.get_layer("conv1_7x7_s2")
    assert isinstance(stem, keras.layers.SeparableConv2D) and stem.depth_multiplier == 8
    assert not any(isinstance(layer, keras.layers.Conv2D) and layer.kernel_size == (5, 5)
                   for layer in model.layers)
    assert model.count_params() == 11_298_560
    assert sum(isinstance(layer, keras.layers.BatchNormalization) for layer in model.layers) == \
        sum(isinstance(layer, (keras.layers.Conv2D, keras.layers.SeparableConv2D))
            for layer in model.layers)


def test_inception_v3_count_equals_keras_applications():
    # Built in a StatelessScope that defers the weights' initialization (tests/deferred.py):
    # the same layers and variable shapes, no random draws; the counts are checked after.
    with deferred_weights():
        ours = keras_zoo.models.get("inception_v3", preset="canonical")
        theirs = keras.applications.InceptionV3(weights=None)
        assert_deferred(ours.weights + theirs.weights)
    assert ours.count_params() == theirs.count_params() == 23_851_784


@pytest.mark.slow  # two full models and a 299x299 forward: ~25 s here
def test_inception_v3_full_size_transfer():
    ours = InceptionV3(classifier_activation=None)
    theirs = keras.applications.InceptionV3(weights=None, classifier_activation=None)
    assert_transfer(ours, theirs, random_images((299, 299, 3), n=1))


def test_inception_v3_small_input_transfer():
    ours = InceptionV3(include_top=False, pooling="avg", input_shape=(75, 75, 3))
    theirs = keras.applications.InceptionV3(weights=None, include_top=False, pooling="avg",
                                            input_shape=(75, 75, 3))
    assert_transfer(ours, theirs, random_images((75, 75, 3)))
    assert [ours.get_layer(f"mixed{i}").output.shape[-1] for i in range(11)] == \
        [256, 288, 288, 768, 768, 768, 768, 768, 1280, 2048, 2048]


def test_inception_v3_auxiliary_classifier_is_optional_and_dropped_at_export():
    model = InceptionV3(width=0.0625, aux_classifier=True, input_shape=(75, 75, 3), classes=5)
    assert len(model.outputs) == 2
    assert model.get_layer("aux_pool").input.shape[1] == model.get_layer("mixed7").output.shape[1]
    assert len(main_output_model(model).outputs) == 1
    with pytest.raises(ValueError, match="aux_classifier"):
        InceptionV3(aux_classifier=True, include_top=False)


@pytest.mark.parametrize("builder, small", [(InceptionV3, (64, 64, 3)), (GoogLeNet, (16, 16, 3)),
                                            (BNInception, (16, 16, 3))])
def test_wrong_input_shape_with_top_is_a_value_error(builder, small):
    with pytest.raises(ValueError, match="static height and width"):
        builder(input_shape=(None, None, 3))
    with pytest.raises(ValueError, match="at least"):
        builder(input_shape=small)


def test_depth_arguments_are_checked():
    with pytest.raises(ValueError, match="modules"):
        GoogLeNet(modules=("3a", "6a"))
    with pytest.raises(ValueError, match="4a and 4d"):
        GoogLeNet(modules=("3a", "4a", "5b"))
    with pytest.raises(ValueError, match="modules"):
        BNInception(modules=())
    with pytest.raises(ValueError, match="repeats"):
        InceptionV3(repeats=(3, 0, 2))
    # A shortened GoogLeNet still downsamples between stages 3, 4 and 5.
    short = GoogLeNet(width=0.125, modules=("3a", "4a", "4d", "5b"), aux_dense_units=8)
    assert short.get_layer("inception_5b").output.shape[1:3] == (7, 7)

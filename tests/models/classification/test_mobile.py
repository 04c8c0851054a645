"""MobileNet v1 and v2: keras.applications' counts, weights and names; the multipliers."""

import keras
import numpy as np
import pytest

import keras_zoo
from keras_zoo.blocks.mobile import make_divisible
from keras_zoo.models.classification.mobilenet import MobileNet
from keras_zoo.models.classification.mobilenet_v2 import MobileNetV2
from tests.deferred import assert_deferred, deferred_weights
from tests.models.classification.apps_transfer import (
    assert_transfer,
    random_images,
    weighted_layers,
)


def test_mobilenet_canonical_count_and_transfer_at_224():
    ours = keras_zoo.models.get("mobilenet", preset="canonical", classifier_activation=None)
    theirs = keras.applications.MobileNet(weights=None, classifier_activation=None)
    assert ours.count_params() == theirs.count_params() == 4_253_864
    assert weighted_layers(ours) == weighted_layers(theirs)  # same names: load by name too
    assert_transfer(ours, theirs, random_images((224, 224, 3)))


def test_mobilenetv2_canonical_count_and_transfer_at_224():
    ours = keras_zoo.models.get("mobilenetv2", preset="canonical", classifier_activation=None)
    theirs = keras.applications.MobileNetV2(weights=None, classifier_activation=None)
    assert ours.count_params() == theirs.count_params() == 3_538_984
    assert weighted_layers(ours) == weighted_layers(theirs)
    assert_transfer(ours, theirs, random_images((224, 224, 3)))


@pytest.mark.parametrize("alpha, size, top", [(0.5, 128, True), (0.25, 64, False),
                                             (0.75, 96, False)])
def test_mobilenet_width_and_resolution_multipliers(alpha, size, top):
    # The paper's two knobs: alpha thins every layer, rho is the input resolution.
    ours = MobileNet(alpha=alpha, input_shape=(size, size, 3), classifier_activation=None,
                     include_top=top, pooling="avg")
    theirs = keras.applications.MobileNet(alpha=alpha, input_shape=(size, size, 3),
                                          weights=None, classifier_activation=None,
                                          include_top=top, pooling="avg")
    assert_transfer(ours, theirs, random_images((size, size, 3)))
    assert ours.get_layer("conv_pw_13").filters == int(1024 * alpha)


def test_mobilenet_width_multiplier_cuts_params_about_alpha_squared():
    # Section 3.3: the multiplier reduces cost and parameters roughly by alpha**2: exactly for
    # the pointwise convolutions, which dominate; depthwise kernels and BN are linear in alpha.
    def body(alpha):
        with deferred_weights():  # counted only (tests/deferred.py)
            model = MobileNet(alpha=alpha, include_top=False, input_shape=(32, 32, 3))
            assert_deferred(model.weights)
        return model.count_params()

    ratio = body(0.5) / body(1.0)
    assert 0.25 < ratio == pytest.approx(0.25, rel=0.05)


@pytest.mark.parametrize("alpha", [0.35, 1.4])
def test_mobilenetv2_width_multiplier_matches_keras(alpha):
    ours = MobileNetV2(alpha=alpha, input_shape=(96, 96, 3), include_top=False)
    theirs = keras.applications.MobileNetV2(alpha=alpha, input_shape=(96, 96, 3),
                                            include_top=False, weights=None)
    assert_transfer(ours, theirs, random_images((96, 96, 3)))
    # alpha > 1 widens the last convolution too, alpha < 1 keeps its 1280 channels.
    assert ours.get_layer("Conv_1").filters == (1792 if alpha > 1 else 1280)


def test_make_divisible_never_loses_more_than_ten_percent():
    assert make_divisible(32 * 0.35, 8) == 16  # 11.2 rounds to 8, which loses > 10 %
    assert make_divisible(1280 * 1.4, 8) == 1792
    for value in np.linspace(8, 500, 97):
        rounded = make_divisible(value, 8)
        assert rounded % 8 == 0 and rounded >= 0.9 * value


def test_mobilenetv2_residuals_only_where_shapes_match():
    with deferred_weights():  # the layers only (tests/deferred.py)
        model = MobileNetV2(input_shape=(96, 96, 3), include_top=False)
        assert_deferred(model.weights)
    adds = sorted(int(layer.name.split("_")[1]) for layer in model.layers
                  if isinstance(layer, keras.layers.Add))
    # Table 2: a residual in every repeat after the first of a stage.
    assert adds == [2, 4, 5, 7, 8, 9, 11, 12, 14, 15]


@pytest.mark.parametrize("builder", [MobileNet, MobileNetV2])
def test_wrong_input_shape_with_top_is_a_value_error(builder):
    with pytest.raises(ValueError, match="static height and width"):
        builder(input_shape=(None, None, 3))
    with pytest.raises(ValueError, match="at least 32"):
        builder(input_shape=(16, 16, 3))
    with pytest.raises(ValueError, match="alpha"):
        builder(alpha=0)
    # Without the top a variable size is fine, as in keras.applications.
    with deferred_weights():  # the output shape only (tests/deferred.py)
        model = builder(input_shape=(None, None, 3), include_top=False)
        assert_deferred(model.weights)
    assert model.output_shape[1] is None

"""EfficientNet: compound scaling, keras.applications' counts and weights for B0-B7."""

import keras
import numpy as np
import pytest

import keras_zoo
from keras_zoo.models.classification import efficientnet as E
from tests.deferred import assert_deferred, deferred_weights
from tests.models.classification.apps_transfer import (
    assert_transfer,
    random_images,
    weighted_layers,
)

VARIANTS = list(E.EFFICIENTNET_VARIANTS)
# B0 runs by default; building a pair of B1-B7 takes 4-15 s each unloaded (20-30 s on the
# shared test machine), so they are in the slow tier.
SLOW = {"b1", "b2", "b3", "b4", "b5", "b6", "b7"}


def _params(keys):
    return [pytest.param(k, marks=[pytest.mark.slow] if k in SLOW else []) for k in keys]


def test_compound_scaling_constant_is_the_notes_1_92027():
    # Notes 004 and the paper, section 3.3: alpha * beta^2 * gamma^2 ~ 2.
    assert E.ALPHA * E.BETA ** 2 * E.GAMMA ** 2 == pytest.approx(1.92027, abs=5e-6)
    width, depth, resolution = E.compound_coefficients(1)
    assert (width, depth, resolution) == (pytest.approx(1.1), pytest.approx(1.2), 258)
    # FLOPs scale with depth * width^2 * resolution^2: about 2**phi.
    for phi in range(8):
        w, d, _ = E.compound_coefficients(phi)
        flops = d * w ** 2 * E.GAMMA ** (2 * phi)
        assert flops == pytest.approx(1.92027 ** phi, rel=1e-4)


def test_released_variants_are_not_the_formula():
    # The released B1-B7 (and keras.applications) use rounded, hand-tuned coefficients: not
    # the formula's values for phi = 1..7. B0 is the baseline of both.
    assert E.EFFICIENTNET_VARIANTS["b0"][:3] == (1.0, 1.0, 224)
    formula = [E.compound_coefficients(phi) for phi in range(1, 8)]
    table = [E.EFFICIENTNET_VARIANTS[f"b{i}"][:3] for i in range(1, 8)]
    assert all(f != t for f, t in zip(formula, table, strict=True))
    # Both grow monotonically in every dimension.
    for column in range(3):
        assert [t[column] for t in table] == sorted(t[column] for t in table)
        assert [f[column] for f in formula] == sorted(f[column] for f in formula)


@pytest.mark.parametrize("key", _params(VARIANTS))
def test_canonical_count_equals_keras_applications(key):
    # Built in a StatelessScope that defers the weights' initialization (tests/deferred.py):
    # the same layers and variable shapes, no random draws; the counts are checked after.
    with deferred_weights():
        ours = keras_zoo.models.get(f"efficientnet{key}", preset="canonical")
        theirs = getattr(keras.applications, f"EfficientNet{key.upper()}")(weights=None)
        assert_deferred(ours.weights + theirs.weights)
    assert ours.count_params() == theirs.count_params() == E.EFFICIENTNET_PARAMS[key]
    assert ours.input_shape == theirs.input_shape


def test_b0_full_size_transfer():
    ours = E.EfficientNetB0(classifier_activation=None)
    theirs = keras.applications.EfficientNetB0(weights=None, classifier_activation=None)
    images = random_images((224, 224, 3), n=1)  # one image at full size
    # keras-zoo models take [0, 1]; keras.applications' EfficientNet rescales [0, 255].
    assert_transfer(ours, theirs, images, their_images=255.0 * images)


def test_b0_names_match_except_the_squeeze_excitation_layer():
    ours = weighted_layers(E.EfficientNetB0(include_top=False, input_shape=(64, 64, 3)))
    theirs = weighted_layers(keras.applications.EfficientNetB0(
        weights=None, include_top=False, input_shape=(64, 64, 3)))
    # keras.applications' Normalization is auto-named ("normalization_5" in a busy session).
    norm_ours = ours.pop("normalization")
    norm_theirs = [theirs.pop(n) for n in list(theirs) if n.startswith("normalization")]
    assert norm_theirs == [norm_ours]
    se_ours = {n for n in ours if n.endswith("_se")}
    se_theirs = {n for n in theirs if n.endswith(("_se_reduce", "_se_expand"))}
    assert {n[:-3] for n in se_ours} == {n[:-10] for n in se_theirs}
    assert {n: s for n, s in ours.items() if n not in se_ours} == {
        n: s for n, s in theirs.items() if n not in se_theirs}


@pytest.mark.parametrize("key", [k if k == "b1" else pytest.param(k, marks=pytest.mark.slow)
                                 for k in VARIANTS[1:]])
def test_small_input_transfer(key):
    builder = getattr(E, f"EfficientNet{key.upper()}")
    ours = builder(include_top=False, pooling="avg", input_shape=(64, 64, 3))
    theirs = getattr(keras.applications, f"EfficientNet{key.upper()}")(
        weights=None, include_top=False, pooling="avg", input_shape=(64, 64, 3))
    images = random_images((64, 64, 3))
    # Halved BN scales: untrained B7 activations otherwise reach ~1e8 (see perturbed_weights).
    assert_transfer(ours, theirs, images, their_images=255.0 * images, gamma_scale=0.5)


def test_drop_connect_rate_grows_linearly_with_block_index():
    model = E.EfficientNetB0(include_top=False, input_shape=(64, 64, 3), drop_connect_rate=0.2)
    rates = [layer.rate for layer in model.layers if layer.name.endswith("_drop")]
    assert rates == sorted(rates) and 0 < rates[0] < rates[-1] < 0.2
    assert len(rates) == 9  # blocks with a residual: repeats after the first of each stage


def test_drop_connect_drops_whole_examples_in_training():
    model = E.EfficientNet(width_coefficient=0.25, depth_coefficient=1.0, top_filters=32,
                           stages=E.EFFICIENTNET_B0_STAGES[:2], include_top=False,
                           input_shape=(32, 32, 3), drop_connect_rate=0.9)
    layer = next(layer for layer in model.layers if layer.name.endswith("_drop"))
    x = np.ones((8, 4, 4, 3), "float32")
    y = np.asarray(layer(x, training=True))
    per_example = y.reshape(8, -1)
    assert np.all(np.ptp(per_example, axis=1) == 0)  # one decision per example
    np.testing.assert_array_equal(np.asarray(layer(x, training=False)), x)


def test_wrong_input_shape_with_top_is_a_value_error():
    with pytest.raises(ValueError, match="static height and width"):
        E.EfficientNetB0(input_shape=(None, None, 3))
    with pytest.raises(ValueError, match="at least 32"):
        E.EfficientNetB0(input_shape=(16, 16, 3))
    with pytest.raises(ValueError, match="width_coefficient"):
        E.EfficientNet(width_coefficient=0)

"""RoIAlign / RoIPool beyond the layer battery: numeric gradients, empty box sets, bad input."""

import numpy as np
import pytest
import tensorflow as tf

from keras_zoo.layers import RoIAlign, RoIPool
from tests.layer_cases.roi import roi_align_reference


def _inputs(seed=0):
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(2, 6, 7, 2)).astype(np.float64)
    boxes = np.array([[1.3, 0.7, 9.1, 8.2], [-2.0, 3.1, 5.5, 14.0], [6.2, 6.6, 12.9, 11.4]],
                     np.float32)
    return features, boxes, np.array([0, 1, 1], np.int32)


@pytest.mark.parametrize("aligned", [True, False])
def test_roi_align_gradient_matches_finite_differences(aligned):
    features, boxes, indices = _inputs()
    layer = RoIAlign((2, 3), spatial_scale=0.5, sampling_ratio=2, aligned=aligned)

    # A tf.function: compute_gradient calls f twice per input element and differentiates it
    # once per output element; eagerly each call re-dispatches every op (~7 CPU s in all).
    @tf.function
    def f(x):
        return layer([tf.cast(x, tf.float32), boxes, indices])

    theoretical, numerical = tf.test.compute_gradient(f, [tf.constant(features, tf.float32)],
                                                      delta=1e-2)
    # RoIAlign is linear in the features: the finite difference is exact up to float32 noise.
    np.testing.assert_allclose(theoretical[0], numerical[0], atol=2e-3)
    assert np.abs(theoretical[0]).sum() > 0


def test_roi_pool_gradient_goes_to_the_argmax():
    features, boxes, indices = _inputs(1)
    layer = RoIPool((2, 2), spatial_scale=0.5)

    @tf.function  # see above: one trace instead of hundreds of eager calls
    def f(x):
        return layer([x, boxes, indices])

    theoretical, numerical = tf.test.compute_gradient(f, [tf.constant(features, tf.float32)],
                                                      delta=1e-3)
    np.testing.assert_allclose(theoretical[0], numerical[0], atol=2e-2)
    # Each output has exactly one source cell (its max) with gradient 1.
    assert np.all(np.isin(theoretical[0], [0.0, 1.0]))
    assert np.all(theoretical[0].sum(axis=1) == 1.0)  # [outputs, inputs]


@pytest.mark.parametrize("layer", [RoIAlign(3, 0.5), RoIPool(3, 0.5)], ids=["align", "pool"])
def test_empty_box_set(layer):
    features = tf.random.normal((2, 6, 6, 4))
    out = layer([features, tf.zeros((0, 4)), tf.zeros((0,), tf.int32)])
    assert tuple(out.shape) == (0, 3, 3, 4)


def test_several_images_take_their_own_feature_map():
    features, boxes, _ = _inputs()
    layer = RoIAlign(2, 0.5, aligned=True)
    both = layer([tf.constant(features, tf.float32), boxes, np.array([1, 1, 0], np.int32)])
    first = roi_align_reference(features, boxes[2:], np.array([0]), (2, 2), 0.5, 2, True)
    second = roi_align_reference(features, boxes[:2], np.array([1, 1]), (2, 2), 0.5, 2, True)
    np.testing.assert_allclose(both.numpy(), np.concatenate([second, first]), atol=1e-5)


@pytest.mark.parametrize("cls", [RoIAlign, RoIPool])
def test_wrong_box_dimension_is_a_clear_error(cls):
    with pytest.raises(ValueError, match=r"boxes must have shape \[K, 4\]"):
        cls(2)([tf.zeros((1, 4, 4, 1)), tf.zeros((3, 5)), tf.zeros((3,), tf.int32)])


@pytest.mark.parametrize("cls", [RoIAlign, RoIPool])
@pytest.mark.parametrize("size", [-1, 0, (2, -3), (2,)])
def test_bad_output_size_is_a_clear_error(cls, size):
    with pytest.raises(ValueError, match="output_size must be a positive int"):
        cls(size)


def test_bad_sampling_ratio_is_a_clear_error():
    with pytest.raises(ValueError, match="sampling_ratio must be a positive int"):
        RoIAlign(2, sampling_ratio=0)


def test_roi_pool_quantises_to_int8_and_keeps_negative_features():
    """Masked cells are 0 after a shift by the per-box minimum, never -1e30: the int8 LiteRT
    runtime runs the layer (it aborted on the old masking), and signed features pool right."""
    import keras

    from keras_zoo.export import convert_keras, run

    features, boxes, indices = _inputs()
    inputs = keras.Input((6, 7, 2), batch_size=1)
    pooled = RoIPool((2, 3), spatial_scale=0.5)([inputs, boxes[:2], indices[:2] * 0])
    model = keras.Model(inputs, pooled)
    x = features[:1].astype(np.float32) - 1.0  # mostly negative
    expected = np.asarray(model(x))
    assert expected.min() < 0
    rng = np.random.default_rng(1)
    representative = [{"input_0": (rng.normal(size=x.shape) - 1.0).astype(np.float32)}
                      for _ in range(16)]
    flat = convert_keras(model, mode="int8", representative=representative)
    actual = run(flat, {"input_0": x})["output_0"]
    spread = float(np.ptp(x))
    assert np.max(np.abs(actual - expected)) < 0.05 * spread

"""Test-time augmentation as a wrapper model (keras_zoo/models/classification/tta.py)."""

import keras
import numpy as np
import pytest

from keras_zoo.layers import TestTimeView
from keras_zoo.models.classification.tta import TestTimeAugmentation, view_boxes


def _net(activation="softmax"):
    keras.utils.set_random_seed(0)
    inputs = keras.Input((8, 8, 1))
    x = keras.layers.Conv2D(3, 3, activation="relu")(inputs)
    x = keras.layers.Flatten()(x)
    return keras.Model(inputs, keras.layers.Dense(4, activation=activation)(x), name="small")


def _softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def test_mean_of_probabilities_over_the_image_and_its_mirror():
    base = _net()
    x = np.random.default_rng(0).random((3, 8, 8, 1)).astype(np.float32)
    tta = TestTimeAugmentation(base, flip=True, crops=(), scales=())
    expected = (base(x).numpy() + base(x[:, :, ::-1]).numpy()) / 2
    np.testing.assert_allclose(tta(x).numpy(), expected, atol=1e-6)


def test_mean_of_logits_equals_softmax_of_mean_logits_for_either_head():
    logits = _net(activation=None)
    x = np.random.default_rng(1).random((2, 8, 8, 1)).astype(np.float32)
    expected = _softmax((logits(x).numpy() + logits(x[:, :, ::-1]).numpy()) / 2)
    tta = TestTimeAugmentation(logits, flip=True, crops=(), scales=(), average="logits")
    np.testing.assert_allclose(tta(x).numpy(), expected, atol=1e-5)
    # A softmax head: log-probabilities differ from the logits by a per-view constant.
    probabilities = keras.Model(logits.inputs, keras.layers.Softmax()(logits.outputs[0]))
    tta = TestTimeAugmentation(probabilities, flip=True, crops=(), scales=(), average="logits")
    np.testing.assert_allclose(tta(x).numpy(), expected, atol=1e-5)


def test_views_and_bad_arguments():
    assert view_boxes(("center",), 0.5, (2.0,)) == [(0, 0, 1, 1), (0.25, 0.25, 0.5, 0.5),
                                                    (0.25, 0.25, 0.5, 0.5)]
    with pytest.raises(ValueError, match="crops"):
        view_boxes(("middle",))
    with pytest.raises(ValueError, match="scales"):
        view_boxes((), 0.5, (1.0,))
    with pytest.raises(ValueError, match="mode"):
        TestTimeAugmentation(_net(), average="median")
    model = TestTimeAugmentation(_net(), flip=True, crops=("center", "top_left"), scales=(0.9,))
    views = [layer for layer in model.layers if isinstance(layer, TestTimeView)]
    assert len(views) == 7  # 4 views x 2, the identity view needs no layer

"""Slow tier: test-time augmentation is at least as accurate as the plain small model on the
held-out digits."""

import keras
import numpy as np
import pytest

import keras_zoo
from keras_zoo.data import load_arrays
from keras_zoo.models.classification.tta import TestTimeAugmentation

pytestmark = pytest.mark.slow


def test_tta_is_at_least_as_accurate_as_the_plain_small_model():
    keras.utils.set_random_seed(0)
    # Deliberately small: LeNet-5 (61,706 parameters), a few epochs, no training augmentation.
    model = keras_zoo.models.get("lenet5", input_shape=(32, 32, 1), classes=10,
                                 activation="relu")
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    x, y = load_arrays("digits", "train", (32, 32), 1)
    model.fit(x.astype(np.float32) / 255, y, batch_size=32, epochs=8, verbose=0)
    xt, yt = load_arrays("digits", "test", (32, 32), 1)
    xt = xt.astype(np.float32) / 255
    plain = float(np.mean(model.predict(xt, verbose=0).argmax(-1) == yt))
    tta = TestTimeAugmentation(model, flip=False, crops=("center", "top_left", "top_right",
                                                         "bottom_left", "bottom_right"),
                               crop_fraction=0.9, scales=(0.9,))
    augmented = float(np.mean(tta.predict(xt, verbose=0).argmax(-1) == yt))
    print(f"\nheld-out digits: plain {plain:.4f}, TTA {augmented:.4f} ({len(yt)} images)")
    assert augmented >= plain

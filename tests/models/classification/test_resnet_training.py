"""Slow tier: the CIFAR ResNet-20 of He et al. 2016 (section 4.2, option A) learns the embedded
digits (32x32, 3 channels) to >= 97 % test accuracy in a few minutes on 2 CPU cores."""

import time

import keras
import pytest

from keras_zoo.data import image_classification_dataset
from keras_zoo.models.classification.resnet_cifar import CifarResNet

EPOCHS = 12


@pytest.mark.slow
def test_resnet20_reaches_97_percent_on_digits():
    model = CifarResNet(20, input_shape=(32, 32, 3), classes=10)
    train = image_classification_dataset("digits", "train", image_size=(32, 32), channels=3,
                                         batch_size=32, augment=[("translation", 0.08)])
    test = image_classification_dataset("digits", "test", image_size=(32, 32), channels=3,
                                        batch_size=128)
    steps = EPOCHS * len(train)
    # The paper's SGD with momentum 0.9 and weight decay; a cosine schedule replaces its
    # step decay at 32k/48k iterations, which suits a run of a few hundred steps.
    schedule = keras.optimizers.schedules.CosineDecay(0.05, steps, warmup_target=None)
    model.compile(optimizer=keras.optimizers.SGD(schedule, momentum=0.9, weight_decay=1e-4),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(train, epochs=EPOCHS, verbose=0)
    seconds = time.perf_counter() - start
    _, accuracy = model.evaluate(test, verbose=0)
    print(f"ResNet-20 on digits: test accuracy {accuracy:.4f} after {EPOCHS} epochs, "
          f"{seconds:.0f} s of training")
    assert accuracy >= 0.97

"""Slow tier of the generative family: training runs of minutes on 2 CPU cores.

Measured on the shared 2-core machine (see the report): conditional DCGAN ~1.5 min, VAE ~40 s,
CycleGAN ~2 min.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_zoo
from keras_zoo.data import domains
from keras_zoo.tasks import get_task

pytestmark = pytest.mark.slow
TASK = get_task("generative")

#: What the runs below must reach (measured values in the comments).
CONDITIONAL_ACCURACY = 0.90   # 0.995 after 30 epochs at Adam(4e-4, 0.5)
VAE_ELBO_GAIN_NATS = 5.0      # held-out -ELBO 33.8 after epoch 1 -> 25.4 after 16
CYCLE_ERROR = 0.07            # mean |F(G(x)) - x| 0.44 at init -> 0.052 after 15 epochs


def _digits_classifier():
    """LeNet-5 from the zoo on 32x32 digits (about 96 % test accuracy after 15 epochs)."""
    entry = keras_zoo.models.info("lenet5")
    task = get_task("classification")
    model = entry.build("tiny")
    task.compile(model, entry, learning_rate=3e-3)
    model.fit(task.dataset(model, entry, "train", 32), epochs=15, verbose=0)
    images, labels = task.test_examples(model, entry, n=400)
    accuracy = np.mean(np.argmax(model.predict(images["images"] / 255.0, verbose=0), -1)
                       == labels)
    assert accuracy > 0.93, accuracy
    return model


def test_conditional_dcgan_samples_are_classified_as_their_condition():
    keras.utils.set_random_seed(0)
    classifier = _digits_classifier()
    entry = keras_zoo.models.info("cgan")
    model = entry.build("tiny", image_shape=(16, 16, 1), latent_dim=32,
                        generator_filters=(64, 32), discriminator_filters=(32, 64))
    TASK.compile(model, entry, learning_rate=4e-4)
    model.fit(TASK.dataset(model, entry, "train", 32), epochs=30, verbose=0)
    labels = np.repeat(np.arange(10), 20)
    samples = model.generate(labels=labels, seed=1)
    predicted = np.argmax(classifier.predict(tf.image.resize(samples, (32, 32)), verbose=0), -1)
    accuracy = float(np.mean(predicted == labels))
    assert accuracy >= CONDITIONAL_ACCURACY, accuracy


def test_vae_held_out_elbo_improves_over_its_first_epoch():
    keras.utils.set_random_seed(0)
    entry = keras_zoo.models.info("vae")
    model = entry.build("tiny", units=(128,), latent_dim=8)
    TASK.compile(model, entry, learning_rate=1e-3)
    train = TASK.dataset(model, entry, "train", 32)
    test = TASK.dataset(model, entry, "test", 64, drop_remainder=False)
    model.fit(train, epochs=1, verbose=0)
    first = model.evaluate(test, return_dict=True, verbose=0)["loss"]
    model.fit(train, epochs=15, verbose=0)
    last = model.evaluate(test, return_dict=True, verbose=0)
    assert first - last["loss"] >= VAE_ELBO_GAIN_NATS, (first, last)
    assert last["kl"] > 0.5  # the posterior is used, not collapsed to the prior


def test_cyclegan_cycle_reconstruction_on_held_out_images():
    keras.utils.set_random_seed(0)
    entry = keras_zoo.models.info("cyclegan")
    model = entry.build("tiny")
    model.compile(learning_rate=2e-4)
    model.fit(TASK.dataset(model, entry, "train", 16), epochs=15, verbose=0)
    red, _ = domains.load("red_to_blue_unpaired", "test", (16, 16))
    red = red.astype(np.float32) / 255.0
    assert model.cycle_error(red) < CYCLE_ERROR
    shape = red[..., 0] > 0.5
    fake = np.asarray(model(red)["images"])
    assert fake[..., 2][shape].mean() > fake[..., 0][shape].mean() + 0.3  # red became blue

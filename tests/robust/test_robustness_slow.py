"""Slow tier: Madry et al.'s network on the held-out digits (28x28, pixels in [0, 1]) under
PGD-40, FGSM and uniform noise, transfer of its adversarial examples to a second architecture,
and PGD adversarial training (keras_zoo.robust.AdversarialTraining with plain fit)."""

import keras
import numpy as np
import pytest

import keras_zoo
from keras_zoo import robust
from keras_zoo.data import load_arrays

pytestmark = pytest.mark.slow


def _digits(split):
    x, y = load_arrays("digits", split, (28, 28), 1)
    return x.astype(np.float32) / 255, y


def _fit(model, epochs, seed=0):
    keras.utils.set_random_seed(seed)
    x, y = _digits("train")
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, batch_size=50, epochs=epochs, verbose=0)
    return model


@pytest.fixture(scope="module")
def normal_madry():
    keras.utils.set_random_seed(0)
    return _fit(keras_zoo.models.get("madry_mnist", preset="canonical"), epochs=15)


def test_normally_trained_madry_network_under_attack_and_transfer(normal_madry):
    x, y = _digits("test")
    clean = robust.accuracy(normal_madry, x, y)
    figures = {"clean": clean}
    for eps in (0.1, 0.3):
        adversarial = robust.pgd(normal_madry, x, y, eps=eps, steps=40, step_size=0.01)
        figures[f"pgd40 {eps}"] = robust.accuracy(normal_madry, adversarial, y)
        figures[f"fgsm {eps}"] = robust.accuracy(normal_madry, robust.fgsm(normal_madry, x, y,
                                                                           eps), y)
        figures[f"noise {eps}"] = robust.accuracy(
            normal_madry, robust.uniform_noise(normal_madry, x, eps, seed=0), y)
        if eps == 0.1:
            transfer_examples = adversarial
    other = _fit(keras_zoo.models.get("mlp", input_shape=(28, 28, 1), classes=10), epochs=30)
    figures["mlp clean"] = robust.accuracy(other, x, y)
    figures["mlp on madry's pgd 0.1 (transfer)"] = robust.accuracy(other, transfer_examples, y)
    figures["mlp on its own pgd 0.1"] = robust.accuracy(
        other, robust.pgd(other, x, y, eps=0.1, steps=40, step_size=0.01), y)
    # Where this network falls below 10 %: eps 0.15 (see below).
    adversarial = robust.pgd(normal_madry, x, y, eps=0.15, steps=40, step_size=0.01)
    figures["pgd40 0.15"] = robust.accuracy(normal_madry, adversarial, y)
    print("\n" + "\n".join(f"{k:36s} {v:.4f}" for k, v in figures.items()))
    assert clean >= 0.95
    # The bar (< 10 % at eps 0.1) is MNIST's; it is NOT met on these digits. Measured
    # (seed 0, PGD-40, step 0.01): 0.19-0.28 survive at eps 0.1 across runs (same seed; the
    # training is not bit-reproducible here), 0.014-0.020 at 0.15, 0.0 at 0.2. Not the attack
    # (the survivors fall at 0.15; more steps and a margin loss changed nothing), not the
    # scale (the network has no preprocessing layer, the pixels are [0, 1], eps is in those
    # units), barely the clipping (without the [0, 1] clip 0.19 instead of 0.25), not
    # under-training (60 epochs instead of 15: 0.28). It is the data: sklearn's 8x8 digits
    # hold 64 values, and the fewer independent pixels the attack can move, the more survive
    # (Goodfellow et al.'s linearity argument): the same network and training on the native
    # 8x8 images keeps 0.56 at eps 0.1 (0.20 at 0.15), resized to 28x28 by nearest neighbour
    # (3.5x3.5 blocks) 0.53, bilinearly (these) 0.19-0.28; MNIST has 784 pixels of its own.
    # The survivors are the images separated by the largest clean logit margins (median 19.5
    # against 11.0).
    # Other input pipelines (session 28, the same network, 15 epochs, PGD-40 step 0.01):
    # - sharp edges do not make it fragile: the digits upscaled bilinearly and thresholded at
    #   0.5 (binary, like most of MNIST's pixels) keep 0.84 at eps 0.1 (0.63 at 0.15), more
    #   than the grey digits;
    # - the shapes (28x28 grey, 600 training images, 3 classes) do: clean 0.985, 0.0 at eps
    #   0.1 (FGSM 0.17, uniform noise 0.74), but PGD training there did not stay robust: PGD-3
    #   at eps 0.1 from scratch ended at chance (0.27 clean, Adam 1e-3 10 epochs and 1e-4 20
    #   epochs; 2,400 images 5 epochs 0.38), and from the clean network (0.97) 10 epochs at
    #   3e-4 kept 0.575 clean and 0.215 under PGD-40 at 0.1. Neither pipeline shows the
    #   paper's pair (normal fragile, Madry robust) within this budget, so the test stays on
    #   the digits with the bar as measured.
    # - digits drawn at 28x28 with MNIST's preprocessing ("rendered_digits", session 29:
    #   Hershey fonts, random affine and elastic distortion, 20x20 box centred by centre of
    #   mass; 4,000 training images, this protocol, figures on its validation / test splits)
    #   show the first half of the pair, not the second. Normal network: clean 0.976 / 0.979,
    #   PGD-40 at eps 0.1 0.060 / 0.059, at 0.3 0.0 / 0.0, FGSM 0.302 / 0.287 at 0.1 and
    #   0.042 / 0.038 at 0.3, uniform noise 0.974 / 0.977 and 0.932 / 0.946. PGD-3 training at
    #   eps 0.1 (the second test's setting) keeps only 0.626 / 0.628 under PGD-40 at 0.1
    #   (clean 0.960 / 0.970); 20 epochs 0.636 (validation), Adam 3e-4 0.636 (validation),
    #   training at eps 0.15 0.646 / 0.649 (clean 0.928 / 0.945). What helps the one hurts the
    #   other: without the final blur the adversarially trained network keeps 0.716 but the
    #   normal one 0.158; milder distortions leave the normal one 0.166-0.584 (validation).
    #   No setting tried met both bars, so these tests stay on the digits.
    assert figures["pgd40 0.1"] <= 0.35
    assert figures["pgd40 0.15"] < 0.10
    assert figures["pgd40 0.3"] <= 0.02
    for eps in (0.1, 0.3):  # the notes' control: noise of the same size barely hurts
        assert figures[f"noise {eps}"] - figures[f"fgsm {eps}"] >= 0.5
        assert figures[f"noise {eps}"] >= clean - 0.05
    # Transfer: the examples hurt a second architecture, less than its own white-box attack.
    assert figures["mlp on madry's pgd 0.1 (transfer)"] <= figures["mlp clean"] - 0.2
    assert figures["mlp on madry's pgd 0.1 (transfer)"] > figures["mlp on its own pgd 0.1"]


def test_pgd_adversarial_training_keeps_accuracy_under_pgd40():
    keras.utils.set_random_seed(0)
    classifier = keras_zoo.models.get("madry_mnist", preset="canonical")
    # PGD-3 examples (step 2.5 eps / steps) within eps = 0.1, alpha = 0 (the min-max), 10 epochs:
    # what the CPU budget allowed (measured: clean 0.972, PGD-40 0.735 at eps 0.1, 0.0 at 0.3;
    # 4 epochs gave 0.660). The recipe madry_mnist_adversarial is the paper's eps 0.3 setting.
    wrapper = robust.AdversarialTraining(classifier, method="pgd", eps=0.1, alpha=0.0, steps=3)
    _fit(wrapper, epochs=10)
    x, y = _digits("test")
    figures = {"clean": robust.accuracy(wrapper, x, y)}
    for eps in (0.1, 0.3):
        adversarial = robust.pgd(wrapper, x, y, eps=eps, steps=40, step_size=0.01)
        figures[f"pgd40 {eps}"] = robust.accuracy(wrapper, adversarial, y)
    print("\n" + "\n".join(f"{k:12s} {v:.4f}" for k, v in figures.items()))
    assert figures["pgd40 0.1"] >= 0.7

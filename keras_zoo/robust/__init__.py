"""Attack and harden any registered classifier: FGSM (Goodfellow et al. 2015), PGD (Madry et al.
2018), the uniform-noise control, adversarial training as a ``fit``-able wrapper, and
test-time augmentation as a wrapper model."""

from keras_zoo.robust.adversarial_training import AdversarialTraining
from keras_zoo.robust.attacks import accuracy, check_eps, fgsm, pgd, uniform_noise

__all__ = ["AdversarialTraining", "accuracy", "check_eps", "fgsm", "pgd", "uniform_noise"]

"""Adversarial training recipes (keras_zoo.robust)."""

from training.recipes import Recipe


def _madry_pgd(model):
    """Madry et al. (ICLR 2018), section 5 and appendix C: the min-max objective (alpha = 0)
    with PGD examples, eps = 0.3 of [0, 1], 40 steps of 0.01, a random start."""
    from keras_zoo.robust import AdversarialTraining

    return AdversarialTraining(model, method="pgd", eps=0.3, alpha=0.0, steps=40,
                               step_size=0.01, random_start=True)


RECIPES = [
    Recipe(
        name="madry_mnist_adversarial",
        description="Madry et al.'s network trained on digits against PGD (eps 0.3, 40 steps "
                    "of 0.01, random start, alpha 0: the min-max objective): Adam, batch 50.",
        # The paper: Adam 1e-4, batch 50, 100k steps on MNIST's 60k images. The 1,257 training
        # digits give 26 steps an epoch, so the rate is raised and the run counted in epochs.
        epochs=40,
        batch_size=50,
        learning_rate=1e-3,
        preset="canonical",
        wrap=_madry_pgd,
    ),
]

"""Adversarial training recipes (keras_zoo.robust)."""

from training.recipes import Recipe


def _madry_pgd(model):
    """Madry et al. (ICLR 2018), section 5 and appendix C: the min-max objective (alpha = 0)
    with PGD examples, eps = 0.3 of [0, 1], 40 steps of 0.01, a random start."""
    from keras_zoo.robust import AdversarialTraining

    return AdversarialTraining(model, method="pgd", eps=0.3, alpha=0.0, steps=40,
                               step_size=0.01, random_start=True)


def _madry_pgd7(model):
    """The min-max objective (alpha = 0) against PGD-7 within eps = 0.1 of [0, 1], steps of
    2.5 eps / 7 (Madry et al.'s rule of thumb), a random start."""
    from keras_zoo.robust import AdversarialTraining

    return AdversarialTraining(model, method="pgd", eps=0.1, alpha=0.0, steps=7,
                               step_size=2.5 * 0.1 / 7, random_start=True)


RECIPES = [
    Recipe(
        name="madry_mnist_adversarial",
        description="Madry et al.'s network trained on digits against PGD (eps 0.3, 40 steps "
                    "of 0.01, random start, alpha 0: the min-max objective): Adam, batch 50.",
        # The paper: Adam 1e-4, batch 50, 100k steps on MNIST's 60k images. The 1,257 training
        # digits give 26 steps an epoch, so the rate is raised and the run counted in epochs.
        # `keras-zoo train madry_mnist`, 2026-12-05, 2 cores at load 0.9-1.9 from other
        # sessions: the 40 epochs completed in 12.7 min (16-23 s an epoch), but the network
        # never left chance: training accuracy 0.05-0.10 and loss 2.3025-2.35 (ln 10 = 2.3026)
        # in every epoch, validation 0.1006, held-out accuracy 0.100. No train_minutes: the
        # time is not to a useful model. Not investigated (the paper's Adam 1e-4, a warm-up of
        # eps, or clean epochs first are candidates).
        # The bar makes such a run fail (`train` exits 1 and says so) instead of ending as if it
        # had made a robust model; madry_rendered_digits_adversarial is the recipe that trains.
        min_test_accuracy=0.9,
        epochs=40,
        batch_size=50,
        learning_rate=1e-3,
        preset="canonical",
        wrap=_madry_pgd,
    ),
    Recipe(
        name="madry_rendered_digits_adversarial",
        description="Madry et al.'s network trained on the 28x28 rendered digits (20,000 "
                    "training images) against PGD-7 at eps 0.1 (steps of 2.5 eps / 7, random "
                    "start, alpha 0: the min-max objective): Adam 1e-3 cosine, batch 50, 6 "
                    "epochs.",
        # The paper's MNIST setting scaled to the CPU: eps 0.1 instead of 0.3, PGD-7 instead of
        # PGD-40 for the inner maximisation, 2,400 steps instead of 100k. On the 4,000-image
        # split the same training overfits the attack (PGD-40 at 0.1: 0.64 held out, 0.76 on
        # the training images after 800 steps), hence the 20,000-image training split.
        # Measured (seed 0, tests/robust/test_robustness_slow.py, the 1,000 test digits):
        # clean 0.986, PGD-40 (step 0.01) 0.745 at eps 0.1, 0.0 at 0.3; the same recipe
        # without the wrapper: clean 0.994, 0.047 at 0.1.
        # `keras-zoo train madry_mnist --recipe madry_rendered_digits_adversarial`: the
        # recipe's data set is every split's (validation and test are rendered_digits' own).
        epochs=6,
        batch_size=50,
        learning_rate=1e-3,
        preset="canonical",
        data_options={"data": "rendered_digits_20k"},
        wrap=_madry_pgd7,
    ),
]

"""Slow tier: representation models trained by their recipes on the embedded digits reach the
figures of their papers' claims on held-out data."""

import numpy as np
import pytest

import keras_zoo
from keras_zoo.metrics.retrieval import recall_at_k
from keras_zoo.tasks import get_task
from keras_zoo.tasks.embedding import embed, linear_probe_accuracy, load_images
from training.recipes import get_recipe

pytestmark = pytest.mark.slow


def _fit(name, epochs=None, classes=None, seed=0, **config):
    """The model trained by its recipe (optionally on some classes only)."""
    import keras

    keras.utils.set_random_seed(seed)
    entry = keras_zoo.models.info(name)
    recipe = get_recipe(entry.recipe)
    task = get_task(entry.task)
    model = entry.build(recipe.preset, **{**recipe.config, **config})
    options = {"classes": classes} if classes is not None else {}
    ds = task.dataset(model, entry, "train", recipe.batch_size, seed, **options)
    epochs = epochs or recipe.epochs
    task.compile(model, entry,
                 optimizer=recipe.make_optimizer(int(ds.cardinality()), epochs, model=model))
    model.fit(ds, epochs=epochs, verbose=0)
    return model


def _untrained(name, seed=0, **config):
    import keras

    keras.utils.set_random_seed(seed)
    entry = keras_zoo.models.info(name)
    recipe = get_recipe(entry.recipe)
    return entry.build(recipe.preset, **{**recipe.config, **config})


def test_triplet_semi_hard_retrieves_classes_held_out_of_training():
    model = _fit("triplet", classes=tuple(range(7)), mining="semi_hard")
    images, labels = load_images(model.image_shape, "test", "digits", classes=(7, 8, 9))
    trained = recall_at_k(embed(model, images), labels, 1)
    baseline = recall_at_k(embed(_untrained("triplet"), images), labels, 1)
    # Measured (seed 0): 0.935, while the untrained LeNet-5 already gives 0.972 on these three
    # classes: random convolutional features separate 7, 8 and 9 well, so the figure bounds
    # the trained model from below and says little about what training added.
    print(f"triplet semi-hard recall@1 on held-out digits 7-9: {trained:.3f} "
          f"(untrained {baseline:.3f})")
    assert trained >= 0.9


def _pairs(labels, seed):
    """Balanced genuine / impostor pairs of indices."""
    rng = np.random.default_rng(seed)
    a, b, same = [], [], []
    for i in range(len(labels)):
        for want in (True, False):
            pool = np.flatnonzero((labels == labels[i]) == want)
            pool = pool[pool != i]
            a.append(i)
            b.append(rng.choice(pool))
            same.append(want)
    return np.array(a), np.array(b), np.array(same)


def test_siamese_verifies_held_out_pairs():
    model = _fit("siamese")
    accuracy = {}
    threshold = None
    for split in ("validation", "test"):
        images, labels = load_images(model.image_shape, split, "digits")
        z = embed(model, images)
        a, b, same = _pairs(labels, seed=1)
        d = np.linalg.norm(z[a] - z[b], axis=1)
        if threshold is None:  # chosen on validation pairs only
            candidates = np.sort(d)
            threshold = max(candidates, key=lambda t: np.mean((d < t) == same))
        accuracy[split] = float(np.mean((d < threshold) == same))
    print(f"siamese verification accuracy: {accuracy} at distance {threshold:.3f}")
    assert accuracy["test"] >= 0.9


def _probe_accuracy(model, per_class=10):
    """A linear probe on the frozen features of 10 labelled training digits per class."""
    return linear_probe_accuracy(model, "digits", per_class=per_class)


_SIMCLR_SHORT = pytest.mark.xfail(strict=True, reason=(
    "issue 20: SimCLR +0.061 over random init under the validated probe (0.830 vs 0.769, "
    "300 epochs, seed 0), bar +0.2"))


_CONTEXT_ENCODER_SHORT = pytest.mark.xfail(strict=True, reason=(
    "issue 20: under the validated probe the context encoder does not beat random init "
    "(0.760 vs 0.769, seed 0); it passed only under the fixed C = 1 probe (0.758 vs 0.624)"))


@pytest.mark.parametrize("name, margin", [
    pytest.param("simclr", 0.2, marks=_SIMCLR_SHORT),
    pytest.param("context_encoder", 0.0, marks=_CONTEXT_ENCODER_SHORT),
    ("instance_discrimination", 0.0)])
def test_pretext_tasks_beat_random_init_under_a_linear_probe(name, margin):
    # Measured (seed 0, 10 labels per class) with a fixed probe (C = 1): random init 0.624;
    # SimCLR 0.747, context encoder 0.758, instance discrimination 0.763. With the probe's L2
    # weight chosen on validation as the paper's linear evaluation does (random init 0.769):
    # SimCLR 0.830 after 300 epochs (0.786 after 60), context encoder 0.760, instance
    # discrimination 0.836: the fixed probe had under-rated the random encoder, whose features
    # are on another scale.
    trained = _probe_accuracy(_fit(name))
    baseline = _probe_accuracy(_untrained(name))
    print(f"{name}: linear probe {trained:.3f}, random init {baseline:.3f}")
    assert trained >= baseline + margin and trained > baseline


def test_dann_beats_source_only_on_the_target_domain():
    # Measured (seed 0) with the recipe (the paper's SGD schedule, lambda rising to 1, 200
    # epochs): source-only 0.510 on the textured target, DANN 0.710 (+0.200; 120 epochs gave
    # +0.076, the earlier Adam recipe +0.076); the recipe lists the other settings tried.
    entry = keras_zoo.models.info("dann")
    task = get_task("domain_adaptation")
    figures = {}
    for adapt in (False, True):
        model = _fit("dann", adapt=adapt)
        figures[adapt] = task.evaluation_metrics(model, entry)
    print(f"source only {figures[False]}, DANN {figures[True]}")
    assert figures[True]["target_accuracy"] >= figures[False]["target_accuracy"] + 0.1

"""Slow tier: representation models trained by their recipes on the embedded digits reach the
figures of their papers' claims on held-out data."""

import numpy as np
import pytest

import keras_zoo
from keras_zoo.metrics.retrieval import recall_at_k
from keras_zoo.tasks import get_task
from keras_zoo.tasks.embedding import embed, linear_probe_accuracy, load_images
from tests.paired import bootstrap_interval
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
    "300 epochs, seed 0), bar +0.2. The bar is out of reach on the embedded digits under this "
    "probe: the same encoder trained with all 1,259 labels (supervised, test accuracy 0.964) "
    "probes at 0.886 (+0.117, test_supervised_encoder_bounds_the_probe_gain_below_the_bar); "
    "SimCLR closes about half of that gap"))


@pytest.mark.parametrize("name, margin", [
    pytest.param("simclr", 0.2, marks=_SIMCLR_SHORT),
    ("context_encoder", 0.0),
    ("instance_discrimination", 0.0)])
def test_pretext_tasks_beat_random_init_under_a_linear_probe(name, margin):
    # Measured (seed 0, 10 labels per class) with a fixed probe (C = 1): random init 0.624;
    # SimCLR 0.747, context encoder 0.758, instance discrimination 0.763. With the probe's L2
    # weight chosen on validation as the paper's linear evaluation does (random init 0.769):
    # SimCLR 0.830 after 300 epochs (0.786 after 60), context encoder 0.760 with the central
    # hole and 0.808 with the paper's random-block masks (the recipe's), instance
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


def _supervised(name, per_class=None, seed=0, epochs=60):
    """The encoder of ``name``'s recipe trained as a classifier (a dense softmax on its pooled
    features) on the labelled training digits (all, or the first ``per_class`` of each class)."""
    import keras

    model = _untrained(name, seed=seed)
    images, labels = load_images(model.image_shape, "train", "digits")
    if per_class is not None:
        keep = np.concatenate([np.flatnonzero(labels == c)[:per_class] for c in range(10)])
        images, labels = images[keep], labels[keep]
    classifier = keras.Sequential([model.encoder, keras.layers.Dense(10)])
    classifier.compile(keras.optimizers.Adam(1e-3),
                       keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                       metrics=["accuracy"])
    classifier.fit(images.astype("float32") / 255.0, labels, epochs=epochs, batch_size=64,
                   verbose=0)
    test, y_test = load_images(model.image_shape, "test", "digits")
    accuracy = classifier.evaluate(test.astype("float32") / 255.0, y_test, verbose=0)[1]
    return model, float(accuracy)


def test_supervised_encoder_bounds_the_probe_gain_below_the_bar():
    """What issue 20's SimCLR bar (+0.2 over random init) asks of the probe: the encoder of
    the SimCLR recipe trained WITH all 1,259 training labels, then probed like SimCLR (10
    labels per class, L2 weight chosen on validation). A self-supervised encoder of the same
    data is not expected to beat it.

    Measured (seed 0): supervised test accuracy 0.964, its probe 0.886 against random init's
    0.769: +0.117, below the bar's +0.2 (which needs 0.969, above even raw pixels' logistic
    regression on all 1,259 labels, 0.953). Random 8x8 digits upsampled to 32 px leave a
    random LeNet-5 little to gain on, and 10 labels per class limit any probe. The assertion
    records the finding: it fails if the probe or the data change so that the bar becomes
    reachable by supervised features."""
    model, supervised_accuracy = _supervised("simclr")
    ceiling = _probe_accuracy(model)
    baseline = _probe_accuracy(_untrained("simclr"))
    print(f"supervised encoder: test accuracy {supervised_accuracy:.3f}, linear probe "
          f"{ceiling:.3f}; random init {baseline:.3f}")
    assert supervised_accuracy > 0.9
    assert baseline < ceiling < baseline + 0.2


def _lenet(classes, seed):
    import keras

    keras.utils.set_random_seed(seed)
    return keras_zoo.models.get("lenet5", input_shape=(32, 32, 1), classes=classes,
                                activation="relu")


def _fit_classifier(model, images, labels, epochs, learning_rate=1e-3):
    import keras

    model.compile(keras.optimizers.Adam(learning_rate),
                  keras.losses.SparseCategoricalCrossentropy(), metrics=["accuracy"])
    model.fit(images.astype("float32") / 255.0, labels, epochs=epochs, batch_size=32, verbose=0)
    return model


@pytest.mark.xfail(strict=True, reason=(
    "issue 20: not met: the shapes-pretrained LeNet-5 transfers WORSE than scratch on 50 "
    "digits per class: 0.897 vs 0.925 on the 359 test digits, difference -0.028 (95 % "
    "interval -0.050 to -0.008; seed 0; 15 epochs head on the frozen backbone, then 30 "
    "fine-tuning at a tenth; 15 fine-tuning epochs gave -0.033). Three shape classes of 600 "
    "images teach features that 500 labelled digits already surpass"))
def test_shapes_pretrained_encoder_beats_scratch_on_50_digits_per_class(tmp_path):
    """Issue 20: a LeNet-5 trained on the embedded shapes (grey), transferred in the notes' two
    phases through ``keras_zoo.transfer.prepare`` (a new 10-class head trained on the frozen
    backbone, then everything fine-tuned at the transfer learning rate), against the same
    LeNet-5 from scratch; both on the first 50 training digits of each class, scored on the
    359 test digits, paired."""
    from keras_zoo import transfer

    config = {"input_shape": (32, 32, 1), "classes": 10, "activation": "relu"}
    shapes, shape_labels = load_images((32, 32, 1), "train", "shapes")
    pretrained = _fit_classifier(_lenet(int(shape_labels.max()) + 1, 0), shapes, shape_labels,
                                 epochs=10)
    pretrained.save(str(tmp_path / "shapes.keras"))
    images, labels = load_images((32, 32, 1), "train", "digits")
    keep = np.concatenate([np.flatnonzero(labels == c)[:50] for c in range(10)])
    images, labels = images[keep], labels[keep]
    test, y_test = load_images((32, 32, 1), "test", "digits")
    correct = {}
    for start in ("scratch", "shapes"):
        model = _lenet(10, 1)
        if start == "scratch":
            _fit_classifier(model, images, labels, epochs=30)
        else:
            transfer.prepare(model, "lenet5", str(tmp_path / "shapes.keras"), freeze="backbone",
                             config=config)
            _fit_classifier(model, images, labels, epochs=15)
            model.save(str(tmp_path / "head.keras"))
            model = _lenet(10, 1)
            factor = transfer.prepare(model, "lenet5", str(tmp_path / "head.keras"),
                                      fine_tune=True, config=config)
            _fit_classifier(model, images, labels, epochs=30, learning_rate=1e-3 * factor)
        predicted = np.asarray(model.predict(test.astype("float32") / 255.0, verbose=0))
        correct[start] = predicted.argmax(-1) == y_test
    difference = correct["shapes"].astype(float) - correct["scratch"]
    low, high = bootstrap_interval(difference)
    print(f"50 digits per class: scratch {correct['scratch'].mean():.3f}, from shapes "
          f"{correct['shapes'].mean():.3f}, difference {difference.mean():+.3f} "
          f"(95 % interval {low:+.3f} to {high:+.3f})")
    assert correct["shapes"].mean() > correct["scratch"].mean()

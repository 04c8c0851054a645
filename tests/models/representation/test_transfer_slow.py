"""Slow tier: the two-phase transfer recipe, run by ``training.train`` in one call, beats the same
LeNet-5 from scratch on 50 labelled digits per class (issue 20; the shapes->digits comparison
of test_representation_slow.py, through the training entry point)."""

import dataclasses

import numpy as np
import pytest

from keras_zoo.data import pipeline
from keras_zoo.data import shapes as shapes_data
from keras_zoo.tasks.embedding import load_images
from tests.models.representation.test_representation_slow import (
    _SHAPES_PRETRAINING,
    _fit_classifier,
    _lenet,
)
from tests.paired import bootstrap_interval
from training import trainer
from training.recipes import get_recipe
from training.recipes.transfer import two_phase

pytestmark = pytest.mark.slow

_PER_CLASS = 50


def _first_per_class(load):
    """``load_arrays`` whose digits training split is the first 50 digits of each class."""

    def loaded(name, split="train", *args, **kwargs):
        images, labels = load(name, split, *args, **kwargs)
        if name == "digits" and split == "train":
            keep = np.concatenate([np.flatnonzero(labels == c)[:_PER_CLASS] for c in range(10)])
            images, labels = images[keep], labels[keep]
        return images, labels

    return loaded


def test_two_phase_recipe_from_shapes_beats_scratch_on_50_digits_per_class(tmp_path,
                                                                          monkeypatch):
    """A LeNet-5 trained on 6,000 grey shapes (10 epochs) is the checkpoint; ``train("lenet5",
    recipe="lenet5_digits_transfer", from_checkpoint=...)`` runs its two phases in one call
    (15 epochs of a new head on the frozen backbone, then 30 with C3 and C5 unfrozen at the
    full rate). Against the same recipe from scratch (30 epochs, as the comparison of
    test_representation_slow.py, and 45, the two-phase run's total), scored on the 359 test
    digits, paired; the default phases of ``two_phase`` (the whole backbone at a tenth of the
    rate) are printed too.

    Measured (seed 0; 3.5 min on 2 cores, 6 under load): two phases 0.961, scratch 30
    epochs 0.930 (+0.031, paired 95 % interval +0.011 to +0.050), scratch 45 epochs 0.925
    (+0.036, +0.017 to +0.058), the default phases 0.897 (a tenth of the rate on the whole
    backbone keeps shape features that 500 labelled digits beat; the existing comparison
    measured 0.900 for it).
    """
    monkeypatch.setattr(pipeline, "load_arrays", _first_per_class(pipeline.load_arrays))
    shapes, shape_labels = shapes_data.load("train", (32, 32), channels=1,
                                            n=_SHAPES_PRETRAINING)
    pretrained = _fit_classifier(_lenet(int(shape_labels.max()) + 1, 0), shapes, shape_labels,
                                 epochs=10)
    checkpoint = str(tmp_path / "shapes.keras")
    pretrained.save(checkpoint)
    test, y_test = load_images((32, 32, 1), "test", "digits")
    recipe = get_recipe("lenet5_digits_transfer")
    scratch = dataclasses.replace(recipe, name="scratch", transfer=None)
    runs = {
        "two phases": dict(recipe=recipe, from_checkpoint=checkpoint),
        "scratch 30": dict(recipe=dataclasses.replace(scratch, epochs=30)),
        "scratch 45": dict(recipe=dataclasses.replace(scratch, epochs=45)),
        "default phases": dict(recipe=two_phase(scratch, 15, 30), from_checkpoint=checkpoint),
    }
    correct = {}
    for label, options in runs.items():
        result = trainer.train("lenet5", out=str(tmp_path / label.replace(" ", "_")), seed=0,
                               verbose=0, **options)
        predicted = np.asarray(result.model.predict(test.astype("float32") / 255.0, verbose=0))
        correct[label] = predicted.argmax(-1) == y_test
        assert abs(correct[label].mean() - result.test_metrics["accuracy"]) < 1e-6
        if label == "two phases":
            assert result.history["phase"] == [1] * 15 + [2] * 30
            assert len(result.history["loss"]) == 45
    figures = ", ".join(f"{k} {v.mean():.3f}" for k, v in correct.items())
    intervals = {}
    for baseline in ("scratch 30", "scratch 45"):
        difference = correct["two phases"].astype(float) - correct[baseline]
        intervals[baseline] = (difference.mean(), *bootstrap_interval(difference))
    print(f"{_PER_CLASS} digits per class: {figures}; two phases - "
          + "; ".join(f"{k}: {d:+.3f} (95 % interval {lo:+.3f} to {hi:+.3f})"
                      for k, (d, lo, hi) in intervals.items()))
    assert correct["two phases"].mean() > correct["scratch 30"].mean()
    assert correct["two phases"].mean() > correct["scratch 45"].mean()
    assert correct["two phases"].mean() > correct["default phases"].mean()

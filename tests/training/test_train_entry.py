"""``training.train`` does all that ``keras-zoo train`` does: the recipe's bar, export and
verify, the task's evaluation metrics; recipes may name a model's own optimizer factory."""

import dataclasses

import keras
import pytest

import keras_zoo
from training import get_recipe, train
from training.recipes import Recipe


def test_a_recipe_run_below_its_bar_fails_and_is_not_exported(tmp_path, monkeypatch):
    from training import trainer

    recipe = dataclasses.replace(get_recipe("classification"), epochs=1, min_test_accuracy=1.01)
    monkeypatch.setattr(trainer, "get_recipe", lambda name: recipe)
    result = train("mlp", out=str(tmp_path / "run"), verbose=0, export=True,
                   root=str(tmp_path / "saved"), tflite=("float",))
    assert result.bar == ("accuracy", 1.01, "max") and result.bar_met is False
    assert result.changed == () and result.failed and result.export_path is None
    assert not (tmp_path / "saved").exists()
    # A bar on another figure, lower is better; a shortened run is reported, not failed.
    recipe = dataclasses.replace(recipe, min_test_accuracy=None,
                                 min_test_metric=("loss", 1e-9, "min"))
    shortened = train("mlp", epochs=1, out=str(tmp_path / "short"), verbose=0)
    assert shortened.bar == ("loss", 1e-9, "min") and shortened.bar_met is False
    assert shortened.changed == ("epochs",) and not shortened.failed
    assert "accuracy" in shortened.metrics and shortened.export_path is None
    # export=True with verify is run through the CLI's shell over train() in tests/training/test_cli.py.


def test_bars_are_validated():
    assert Recipe(name="x", min_test_metric=("map50", 0.5)).test_bar == ("map50", 0.5, "max")
    assert Recipe(name="x", min_test_accuracy=0.9).test_bar == ("accuracy", 0.9, "max")
    for bad in (("map50",), ("map50", "high"), ("abs_rel", 0.2, "down"), (5, 0.5)):
        with pytest.raises(ValueError, match="min_test_metric must be"):
            Recipe(name="x", min_test_metric=bad)
    with pytest.raises(ValueError, match="without min_test_accuracy"):
        Recipe(name="x", min_test_metric=("map50", 0.5), min_test_accuracy=0.9)


def test_the_transformer_recipe_uses_the_papers_schedule():
    from keras_zoo.models.sequence.transformer import TransformerSchedule

    recipe = get_recipe(keras_zoo.models.info("transformer").recipe)
    model = keras_zoo.models.get("transformer", "tiny")
    optimizer = recipe.make_optimizer(10, 5, model=model)
    schedule = optimizer._learning_rate
    assert isinstance(schedule, TransformerSchedule)
    assert (schedule.d_model, schedule.warmup_steps) == (model.d_model, 100)
    assert (optimizer.beta_2, optimizer.epsilon) == (0.98, 1e-9)
    assert float(schedule(99)) > float(schedule(9)) and float(schedule(999)) < float(schedule(99))


def test_an_optimizer_factory_may_be_a_callable_and_excludes_the_optimizer_fields():
    made = Recipe(name="x", optimizer_factory=lambda rate=0.5: keras.optimizers.SGD(rate),
                  optimizer_options={"rate": 0.25}).make_optimizer(10)
    assert float(made.learning_rate) == pytest.approx(0.25)
    with pytest.raises(ValueError, match=r"\['learning_rate'\] would be ignored"):
        Recipe(name="x", optimizer_factory="a.b:c", learning_rate=0.1)
    with pytest.raises(ValueError, match="need an optimizer_factory"):
        Recipe(name="x", optimizer_options={"rate": 1})
    with pytest.raises(ValueError, match="'module:function'"):
        Recipe(name="x", optimizer_factory="no_colon")


def test_a_training_set_of_unknown_length_is_counted_for_the_schedule():
    # A filter hides the length from tf.data; the schedule and fit's steps_per_epoch must still
    # see the 5 batches (they saw 1, and a cosine schedule reached 0 within the first epoch).
    import tensorflow as tf

    from training.trainer import _with_known_length

    ds = tf.data.Dataset.range(50).filter(lambda x: x % 2 == 0).batch(5)
    assert int(ds.cardinality()) == int(tf.data.UNKNOWN_CARDINALITY)
    counted, steps = _with_known_length(ds, "model")
    assert steps == 5 and int(counted.cardinality()) == 5
    assert [b.numpy().tolist() for b in counted][0] == [0, 2, 4, 6, 8]
    with pytest.raises(ValueError, match="infinite"):
        _with_known_length(tf.data.Dataset.range(3).repeat(), "model")
    with pytest.raises(ValueError, match="no batch"):
        _with_known_length(tf.data.Dataset.range(3).batch(4, drop_remainder=True), "model")


def test_a_recipes_batch_norm_momentum_reaches_every_layer_and_the_saved_model(tmp_path,
                                                                                monkeypatch):
    from training import trainer

    for bad in (0, 1, 1.5, -0.1, True, "0.9"):
        with pytest.raises(ValueError, match="batch_norm_momentum must be in"):
            Recipe(name="x", batch_norm_momentum=bad)
    inner = keras.Sequential([keras.layers.Dense(3), keras.layers.BatchNormalization()])
    inputs = keras.Input((4,))
    outputs = keras.layers.BatchNormalization()(inner(inputs))
    nested = keras.Model(inputs, outputs)
    assert trainer.set_batch_norm_momentum(nested, 0.9) == 2
    assert [layer.momentum for layer in (nested.layers[-1], inner.layers[-1])] == [0.9, 0.9]
    # The trainer sets it on the built model before compiling; a saved layer keeps it.
    recipe = dataclasses.replace(get_recipe("classification"), epochs=1,
                                 batch_norm_momentum=0.8, min_test_accuracy=None)
    monkeypatch.setattr(trainer, "get_recipe", lambda name: recipe)
    calls = []
    real = trainer.set_batch_norm_momentum
    monkeypatch.setattr(trainer, "set_batch_norm_momentum",
                        lambda model, momentum: calls.append((model.name, momentum)) or real(
                            model, momentum))
    result = train("mlp", out=str(tmp_path / "run"), verbose=0)
    assert calls == [(result.model.name, 0.8)]
    layer = keras.layers.BatchNormalization.from_config(nested.layers[-1].get_config())
    assert layer.momentum == 0.9


def test_a_recipes_data_set_is_every_splits_and_its_other_options_the_training_splits(
        tmp_path, monkeypatch):
    # A recipe that trains on another data set (madry_rendered_digits_adversarial) is validated
    # and tested on that set, not on the entry's own; augmentation stays the training split's.
    from keras_zoo.tasks.classification import ClassificationTask
    from training import trainer

    recipe = dataclasses.replace(get_recipe("classification"), epochs=1, min_test_accuracy=None,
                                 data_options={"data": "shapes", "augment": ("translation",)})
    monkeypatch.setattr(trainer, "get_recipe", lambda name: recipe)
    seen, real = [], ClassificationTask.dataset

    def dataset(self, model, entry, split, *args, **options):
        seen.append((split, options.get("data"), "augment" in options))
        return real(self, model, entry, split, *args, **options)

    monkeypatch.setattr(ClassificationTask, "dataset", dataset)
    train("mlp", out=str(tmp_path / "run"), verbose=0)
    assert seen == [("train", "shapes", True), ("validation", "shapes", False),
                    ("test", "shapes", False)]


def test_a_tasks_split_options_reach_every_split_and_the_rest_the_training_split(
        tmp_path, monkeypatch):
    # A recipe's clip sampling (video_frames, stride, sampling) says what a clip is: the
    # held-out splits are built with it too (their centred clips); augmentation and n are the
    # training split's.
    from keras_zoo.tasks.video import VideoClassificationTask

    calls = []
    real = VideoClassificationTask.dataset

    def spy(self, model, entry, split="train", *args, **kwargs):
        calls.append((split, dict(kwargs)))
        return real(self, model, entry, split, *args, **kwargs)

    monkeypatch.setattr(VideoClassificationTask, "dataset", spy)
    recipe = dataclasses.replace(get_recipe("video"), name="video_sampled", epochs=1,
                                 data_options={"video_frames": 12, "stride": 2, "n": 8,
                                               "augment": ("translation",)})
    train("c3d", recipe=recipe, out=str(tmp_path / "run"), verbose=0)
    by_split = dict(calls)
    assert by_split["train"] == {"video_frames": 12, "stride": 2, "n": 8,
                                 "augment": ("translation",)}
    assert by_split["validation"] == by_split["test"] == {"video_frames": 12, "stride": 2}

"""The task contract (keras_zoo/tasks/base.py): explicit options, declared data names, seeds."""

import numpy as np
import pytest

import keras_zoo
from keras_zoo.tasks import Task, get_task, task_names


@pytest.mark.parametrize("name", task_names())
def test_every_task_rejects_an_unknown_option(name):
    task = get_task(name)
    for method in ("dataset", "battery_data"):
        with pytest.raises(ValueError) as error:
            getattr(task, method)(None, None, no_such_option=1)
        message = str(error.value)
        assert repr(name) in message and "no_such_option" in message, message
        assert "seed" in message  # the accepted options are listed


@pytest.mark.parametrize("name", task_names())
def test_every_task_rejects_an_unknown_data_name(name):
    task = get_task(name)
    with pytest.raises(ValueError) as error:
        task.dataset(None, None, "train", data="no_such_data")
    message = str(error.value)
    assert repr(name) in message and "'no_such_data'" in message, message
    assert task.data_names and all(repr(d) in message for d in task.data_names), message


@pytest.mark.parametrize("name", [n for n in task_names()
                                  if "augment" in get_task(n).options("dataset")])
def test_every_task_refuses_augmentation_outside_the_training_split(name):
    task = get_task(name)
    for split in ("validation", "test"):
        with pytest.raises(ValueError) as error:
            task.dataset(None, None, split, augment=("flip",))
        message = str(error.value)
        assert repr(name) in message and repr(split) in message and "training split" in message
        with pytest.raises(ValueError, match="training split"):  # the split by keyword too
            task.dataset(None, None, split=split, augment=("flip",))


def test_a_split_option_holds_for_every_split_by_default_only_data():
    assert Task.split_options == ("data",)
    assert "sampling" in get_task("video_classification").split_options


@pytest.mark.parametrize("name", task_names())
def test_every_task_takes_a_seed(name):
    assert "seed" in get_task(name).options("dataset")
    assert "seed" in get_task(name).options("battery_data")


def test_every_entry_trains_on_a_name_its_task_loads():
    for entry in keras_zoo.models.entries():
        if entry.task in task_names():
            assert entry.data in get_task(entry.task).data_names, entry.name


def test_a_task_that_swallows_options_is_refused_when_defined():
    with pytest.raises(TypeError, match=r"\*\*options"):
        class Swallowing(Task):  # noqa: F841
            name = "base"

            def dataset(self, model, entry, split="train", batch_size=32, seed=0, **options):
                return None


def test_a_task_of_several_data_names_must_take_data():
    with pytest.raises(TypeError, match="must take data="):
        class Deaf(Task):  # noqa: F841
            name = "base"
            data_names = ("a", "b")

            def dataset(self, model, entry, split="train", batch_size=32, seed=0):
                return None


def test_a_declared_option_and_data_name_pass_through():
    calls = []

    class Recording(Task):
        name = "base"
        data_names = ("only",)

        def dataset(self, model, entry, split="train", batch_size=32, seed=0, window=3):
            calls.append((split, batch_size, seed, window))
            return "ds"

    task = Recording()
    assert task.dataset(None, None, "test", 8, 5, window=4, data="only") == "ds"
    assert calls == [("test", 8, 5, 4)]
    assert task.options() == ["split", "batch_size", "seed", "window", "data"]


def test_hooks_have_defaults_naming_the_task():
    class Toy(Task):
        name = "toy"

    task = Toy()
    assert task.evaluation_metrics(None, None) == {}
    for call in (lambda: task.draw_prediction(None, {}), lambda: task.describe_prediction({})):
        with pytest.raises(ValueError, match="predict does not support task 'toy'"):
            call()


def test_detection_battery_data_honours_the_seed():
    task = get_task("localization")
    entry = keras_zoo.models.info("localizer")
    model = entry.build("tiny")
    first, _ = task.battery_data(model, entry, n=4, seed=0)
    again, _ = task.battery_data(model, entry, n=4, seed=0)
    other, _ = task.battery_data(model, entry, n=4, seed=1)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


@pytest.mark.parametrize("name, task, config", [
    ("lenet5", "classification", {"classes": 5}),            # digits: 10 classes
    ("lstm_text_classifier", "text_classification", None),   # set below from the corpus
])
def test_a_head_smaller_than_the_datas_classes_is_refused_not_merged(name, task, config):
    """Labels were taken modulo the head's size, which silently merged classes (digit 7 became
    class 2 of a 5-class head); now the head must hold every label."""
    entry = keras_zoo.models.info(name)
    if entry.task != task:
        pytest.fail(f"{name} is a {entry.task} entry now; pick another {task} entry")
    if config is None:  # one class fewer than the corpus has
        full = keras_zoo.models.get(name, preset="tiny")
        _, labels = get_task(task)._arrays(full, entry, "train")
        config = {"classes": int(np.max(labels))}
    model = keras_zoo.models.get(name, preset="tiny", **config)
    with pytest.raises(ValueError, match=f"head {config['classes']}; build it with classes="):
        get_task(task)._arrays(model, entry, "train")

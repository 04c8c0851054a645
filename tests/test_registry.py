"""The registry: the one way in, for users, the CLI, the battery and the benchmarks."""

import pytest

import keras_zoo
from keras_zoo.models import registry

FIRST_MODELS = {"mlp", "example_cnn", "lenet5", "alexnet", "zfnet"}


def test_list_has_the_first_models():
    assert FIRST_MODELS <= set(keras_zoo.models.list())


def test_list_filters_by_task():
    names = keras_zoo.models.list("classification")
    assert FIRST_MODELS <= set(names)
    assert all(keras_zoo.models.info(n).task == "classification" for n in names)
    assert keras_zoo.models.list("no-such-task") == []


def test_example_cnn_has_the_notes_30485_parameters():
    # Notes 003, section 3.2.5: the example CNN on 64x64x3 with 5 classes.
    assert keras_zoo.models.get("example_cnn").count_params() == 30_485


def test_get_is_case_insensitive_and_takes_presets():
    tiny = keras_zoo.models.get("LeNet5", preset="tiny")
    assert tiny.name == "lenet5"
    assert keras_zoo.models.get("mlp", preset="tiny", hidden_units=(7,)).get_layer(
        "fc1").units == 7


def test_unknown_name_lists_close_matches():
    with pytest.raises(ValueError, match=r"Unknown model name 'lenet'.*lenet5"):
        keras_zoo.models.get("lenet")


def test_non_string_name_is_a_type_error():
    with pytest.raises(TypeError, match="model name must be a str"):
        keras_zoo.models.info(5)


def test_unknown_preset_is_refused():
    with pytest.raises(ValueError, match="preset must be one of"):
        keras_zoo.models.get("mlp", preset="huge")


def test_every_entry_is_complete():
    from keras_zoo.tasks import task_names

    for entry in keras_zoo.models.entries():
        assert entry.task in task_names(), f"{entry.name}: task {entry.task!r} has no Task"
        assert entry.tiny, f"{entry.name}: no tiny config"
        assert entry.canonical is not None
        assert entry.paper, f"{entry.name}: no paper reference"
        for check, reason in entry.debts.items():
            assert check in registry.CHECKS and len(reason) > 10, (entry.name, check, reason)


def test_debts_must_name_real_checks():
    with pytest.raises(ValueError, match="debts name unknown checks"):
        registry.Entry(name="x", builder=lambda: None, task="classification", family="x",
                       tiny={}, canonical={}, debts={"flying": "cannot fly"})


def test_registering_a_name_twice_is_refused():
    with pytest.raises(ValueError, match="registered twice"):
        registry.register("mlp", task="classification", family="mlp", tiny={})(lambda: None)


def test_entries_are_immutable():
    entry = keras_zoo.models.info("mlp")
    with pytest.raises(TypeError):
        entry.tiny["classes"] = 3


@pytest.mark.parametrize("name", sorted(FIRST_MODELS))
def test_classifiers_take_the_keras_applications_arguments(name):
    model = keras_zoo.models.get(name, preset="tiny", include_top=False, pooling="avg")
    assert len(model.output_shape) == 2
    with pytest.raises(ValueError, match="pooling must be one of"):
        keras_zoo.models.get(name, preset="tiny", pooling="median")
    with pytest.raises(ValueError, match="weights="):
        keras_zoo.models.get(name, preset="tiny", weights="imagenet")
    with pytest.raises(ValueError, match="classes must be a positive int"):
        keras_zoo.models.get(name, preset="tiny", classes=0)


def test_weights_load_from_a_file(tmp_path):
    import numpy as np

    source = keras_zoo.models.get("lenet5", preset="tiny")
    path = str(tmp_path / "lenet.weights.h5")
    source.save_weights(path)
    again = keras_zoo.models.get("lenet5", preset="tiny", weights=path)
    for a, b in zip(source.get_weights(), again.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_wrong_weights_file_is_a_clear_error(tmp_path):
    path = str(tmp_path / "other.weights.h5")
    keras_zoo.models.get("mlp", preset="tiny").save_weights(path)
    with pytest.raises(ValueError, match="Could not load weights"):
        keras_zoo.models.get("lenet5", preset="tiny", weights=path)


def test_too_small_an_input_is_refused():
    with pytest.raises(ValueError, match="too small"):
        keras_zoo.models.get("alexnet", input_shape=(32, 32, 3))


def test_a_built_model_refuses_a_wrong_input_shape():
    import numpy as np

    model = keras_zoo.models.get("lenet5", preset="tiny")
    with pytest.raises(ValueError):
        model(np.zeros((1, 28, 28, 3), np.float32))


@pytest.mark.parametrize("name, first", [("lenet5", ("images", (None, 32, 32, 1))),
                                         ("pixelcnn", ("images", (None, 8, 8, 1))),
                                         ("dcgan", ("latent", (None, 8)))])
def test_input_spec_of_functional_and_subclassed_models(name, first):
    """A subclassed model has no symbolic inputs: its served signature's are given instead."""
    from keras_zoo.tasks import input_spec

    spec = input_spec(keras_zoo.models.info(name), "tiny")
    assert spec[0][:2] == first, spec


def test_wildcard_listing():
    names = keras_zoo.models.list("vit_*")
    assert names and all(n.startswith("vit_") for n in names) and "vit_b16" in names
    assert keras_zoo.models.list("RESNET5?") == sorted(
        n for n in keras_zoo.models.list() if n.startswith("resnet5") and len(n) == 8)
    assert keras_zoo.models.list("classification", pattern="lenet*") == ["lenet5"]
    assert [e.name for e in keras_zoo.models.entries(pattern="lenet*")] == ["lenet5"]


def test_an_entry_knows_the_module_that_registered_it():
    entry = keras_zoo.models.info("bn_inception")
    assert entry.module == "keras_zoo.models.classification.inception_v2"
    assert entry.source_file.endswith("inception_v2.py")
    assert "module:    keras_zoo.models.classification.inception_v2 (" in entry.describe()


@pytest.mark.parametrize("kind, lookup", [
    ("model", lambda name: keras_zoo.models.info(name)),
    ("task", lambda name: __import__("keras_zoo.tasks").tasks.get_task(name)),
    ("recipe", lambda name: __import__("training").get_recipe(name)),
])
def test_the_three_registries_answer_an_unknown_name_alike(kind, lookup):
    close = {"model": "lenet5", "task": "classification", "recipe": "classification"}[kind]
    with pytest.raises(ValueError, match=rf"Unknown {kind} name '{close[:-1]}'\. "
                                         rf"Did you mean: .*{close}"):
        lookup(close[:-1])


def test_duplicates_raise_in_every_registry():
    from keras_zoo.registry import Registry
    from keras_zoo.tasks import get_task, register_task

    with pytest.raises(ValueError, match="Task name 'classification' is registered twice"):
        register_task(get_task("classification"))
    table = Registry("recipe")
    table.add("a", 1)
    with pytest.raises(ValueError, match="Recipe name 'a' is registered twice"):
        table.add("A", 2)


def test_every_name_is_written_literally_where_it_is_registered():
    """A user who greps for a registry name finds the file that registers it."""
    import pathlib

    for entry in keras_zoo.models.entries():
        source = pathlib.Path(entry.source_file).read_text()
        assert f'"{entry.name}"' in source or f"'{entry.name}'" in source, (
            f"{entry.name}: not written literally in {entry.module}")


def test_a_config_value_of_the_wrong_kind_is_a_value_error_naming_it():
    """Every entry: its own tiny and canonical configs pass, and each of their keys given a
    value of another kind than its tiny/canonical/default values is refused by
    ``Entry.config`` (which ``build`` calls first) naming the entry, key, value and what the
    key takes; nothing is built."""
    wrong_values = ("ten", 1.5, True, [1, 2], {"a": 1}, None)
    checked = 0
    for entry in keras_zoo.models.entries():
        assert entry.config("tiny", **entry.tiny) == dict(entry.tiny)
        assert entry.config("canonical", **entry.canonical) == dict(entry.canonical)
        for key in sorted(set(entry.tiny) | set(entry.canonical)):
            kinds = entry.accepted_kinds(key)
            if not kinds:
                continue
            wrong = next(v for v in wrong_values if registry._kind(v) not in kinds)
            with pytest.raises(ValueError) as error:
                entry.config("tiny", **{key: wrong})
            message = str(error.value)
            assert all(part in message for part in (entry.name, f"{key}={wrong!r}", "takes"))
            checked += 1
    assert checked > 500


def test_get_refuses_a_wrong_kind_before_building():
    with pytest.raises(ValueError, match=r"lenet5: config classes='ten' is a string; classes "
                                         r"takes a number\."):
        keras_zoo.models.get("lenet5", classes="ten")
    with pytest.raises(ValueError, match="dropout=True is a bool"):
        keras_zoo.models.get("mlp", preset="tiny", dropout=True)
    # A number key takes an int or a float; an optional key (None in a config) takes None.
    assert keras_zoo.models.info("mlp").config("tiny", dropout=1)["dropout"] == 1
    faster_rcnn = keras_zoo.models.info("faster_rcnn")
    assert faster_rcnn.config("canonical", backbone=None)["backbone"] is None


def test_an_activation_may_be_none_as_in_keras():
    # keras.applications' classifier_activation=None gives logits (transfer learning).
    entry = keras_zoo.models.info("mobilenetv2")
    assert entry.config("tiny", classifier_activation=None)["classifier_activation"] is None
    with pytest.raises(ValueError, match="classifier_activation"):
        entry.config("tiny", classifier_activation=3)


@pytest.mark.parametrize("name, key", [
    ("r3d_18", "alpha"),                # a wrapper passing **kwargs on (its __wrapped__)
    ("x3d_m", "gamma_tau"),             # a builder made by a function
    ("t3d", "growth_rat"),              # a functional Model subclass: keras.Model ignored it
    ("lenet5", "foo"),
])
def test_a_misspelt_or_unknown_config_is_refused_by_name(name, key):
    with pytest.raises(ValueError, match=f"{name}: unknown config {key}; accepted: "):
        keras_zoo.models.get(name, preset="tiny", **{key: 1})


def test_data_options_name_a_dataset_the_task_loads_and_options_it_takes():
    import inspect

    from keras_zoo.tasks import get_task

    declared = [e for e in keras_zoo.models.entries() if e.data_options]
    assert {e.name for e in declared} >= {"x3d_xs", "x3d_s", "x3d_m", "x3d_l"}
    for entry in declared:
        task = get_task(entry.task)
        options = inspect.signature(task.dataset).parameters
        for data, values in entry.data_options.items():
            assert data in task.data_names, (entry.name, data, task.data_names)
            unknown = set(values) - set(options) - {"data"}
            assert not unknown, f"{entry.name}: {data} options {sorted(unknown)} not taken"


def test_info_shows_the_papers_data_options():
    text = keras_zoo.models.info("x3d_xs").describe()
    assert "data opts: ucf101: {'stride': 12}" in text

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
    spec = keras_zoo.models.info(name).input_spec("tiny")
    assert spec[0][:2] == first, spec

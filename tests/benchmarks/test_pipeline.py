"""The input-pipeline benchmark runs, counts what it trains on and prints a ratio; timings
themselves are never asserted (speed is measured by running the benchmark, not asserted)."""

import argparse
import re

import pytest

from keras_zoo.benchmarks.pipeline import compare_pipeline
from training import get_recipe
from training.commands import benchmark

RECIPE = get_recipe("classification")


def test_pipeline_against_cached_tensors_reports_the_ratio_and_the_control():
    lines = []
    result = compare_pipeline("mlp", RECIPE, batch_size=16, steps=3, rounds=2, out=lines.append)
    assert set(result) == {"pipeline", "cached", "ratio", "control", "ceiling"}
    assert all(len(result[k].values) == 2 for k in ("pipeline", "cached", "ratio", "control"))
    assert result["ratio"].values == pytest.approx(
        [a / b for a, b in zip(result["pipeline"].values, result["cached"].values, strict=True)])
    assert ("input 8x8x1, augmentation: none; 48 examples per epoch, 2 epochs per fit, "
            "2 interleaved rounds with the control") in lines[0], lines
    summary = r"[\d.]+ \[[\d.]+-[\d.]+\] range [\d.]+-[\d.]+"
    assert re.match(rf"^\s*[\d.]+\s+[\d.]+\s+{summary}\s+\((meets|below) the 0.95 target\)$",
                    lines[2]), lines
    assert re.match(rf"^\s+control\s+{summary}$", lines[3]), lines
    ceiling = result["ceiling"]
    assert ceiling["cpu"] > 0 and ceiling["cores"] >= 1
    assert ceiling["step"] == pytest.approx(16 / result["cached"].median)
    assert ceiling["ratio"] == pytest.approx(
        ceiling["step"] / (ceiling["step"] + ceiling["cpu"] / ceiling["cores"]))
    assert re.match(r"^\s+ceiling\s+0\.\d{3}: the pipeline alone takes [\d.]+ ms of CPU per "
                    r"batch, a step from cached tensors [\d.]+ ms on \d+ cores$", lines[4]), lines
    assert lines[-1].startswith("verdict: ")


def test_the_paper_size_and_augmentation_replace_the_recipe_s(capsys):
    """``--preset canonical`` builds the model at its paper's input size (the recipe's digits
    are resized to it) and ``--augment`` replaces the recipe's augmentation: both show in the
    first line, so a figure is never read as another configuration's."""
    args = _parse(["example_cnn", "--against", "cached-tensors", "--steps", "2", "--rounds", "1",
                   "--batch-size", "4", "--epochs", "1", "--preset", "tiny",
                   "--augment", "crop,flip,rotation:0.1"])
    assert benchmark.run(args) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert ("input 32x32x3, augmentation: crop, flip, rotation 0.1; 8 examples per epoch, "
            "1 epochs per fit, 1 interleaved rounds") in first, first


@pytest.mark.parametrize("argv, message", [
    (["lenet5", "--augment", "cropp"], "Unknown augmentation 'cropp'"),
    (["lenet5", "--steps", "1", "--epochs", "1"], "nothing to time"),
    # The canonical config (64 x 64, 5 classes) is built: its head is too small for digits.
    (["example_cnn", "--preset", "canonical"], "data 'digits' has 10 classes, the model's head 5"),
])
def test_bad_augmentations_and_untimeable_runs_are_refused(argv, message):
    with pytest.raises(ValueError, match=message):
        benchmark.run(_parse(argv + ["--against", "cached-tensors", "--rounds", "1"]))


def test_cli_routes_cached_tensors_to_the_pipeline_benchmark(capsys):
    parser = argparse.ArgumentParser()
    benchmark.add_arguments(parser)
    args = parser.parse_args(["mlp", "--against", "cached-tensors", "--steps", "2",
                              "--rounds", "1", "--batch-size", "8"])
    assert benchmark.run(args) == 0
    assert "fit from tf.data vs fit from cached tensors, batch 8" in capsys.readouterr().out


@pytest.mark.parametrize("kwargs, match", [({"rounds": 0}, "rounds"), ({"steps": 0}, "steps")])
def test_bad_arguments_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        compare_pipeline("mlp", RECIPE, **kwargs)


def test_unknown_model_is_refused():
    with pytest.raises(ValueError, match="lenet"):
        compare_pipeline("lenet6", RECIPE)


def _parse(argv):
    parser = argparse.ArgumentParser()
    benchmark.add_arguments(parser)
    return parser.parse_args(argv)


@pytest.mark.parametrize("argv, refused", [
    (["mlp", "--against", "cached-tensors", "--modes", "call"], "--modes"),
    (["mlp", "--against", "cached-tensors", "--classes", "3"], "--classes"),
    (["vit_b16", "--against", "keras-hub", "--input-shape", "32", "32", "3"], "--input-shape"),
    (["mlp", "--against", "cached-tensors", "--served"], "--served"),
    (["resnet50", "--sequence-length", "16"], "--sequence-length"),
    (["mlp", "--against", "cached-tensors", "--jit-compile"], "--jit-compile"),
    (["resnet50", "--workers", "2"], "--workers"),
    (["--strategy", "multi-worker", "--model", "mlp", "--rounds", "2"], "--rounds"),
])
def test_an_option_the_benchmark_does_not_use_is_refused(argv, refused):
    with pytest.raises(ValueError, match=f"does not use {refused}; it takes"):
        benchmark.run(_parse(argv))


def test_conflicting_routes_and_models_are_refused():
    with pytest.raises(ValueError, match="two different benchmarks"):
        benchmark.run(_parse(["mlp", "--strategy", "multi-worker", "--against",
                              "cached-tensors"]))
    with pytest.raises(ValueError, match="differ"):
        benchmark.run(_parse(["mlp", "--model", "lenet5", "--strategy", "multi-worker"]))
    with pytest.raises(ValueError, match="needs a MODEL"):
        benchmark.run(_parse(["--against", "cached-tensors"]))


def test_the_scaling_benchmark_refuses_bad_options_before_starting_workers():
    from keras_zoo.benchmarks.scaling import compare_scaling

    with pytest.raises(ValueError, match="unknown options"):
        compare_scaling(model="mlp", rounds=2)
    with pytest.raises(ValueError, match="--workers must be >= 2"):
        compare_scaling(model="mlp", workers=1)

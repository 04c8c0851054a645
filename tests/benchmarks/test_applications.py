"""The benchmark runs and prints a ratio; timings themselves are never asserted."""

import argparse
import re

import pytest

import keras_zoo
from keras_zoo.benchmarks import applications as benchmark
from training.commands import benchmark as command


def test_compare_runs_ours_theirs_and_the_control_in_every_round():
    ours, theirs, control = (keras_zoo.models.get("mlp", "tiny") for _ in range(3))
    lines = []
    results = benchmark.compare(ours, theirs, control, batch_size=2, steps=1, rounds=2,
                                out=lines.append)
    assert set(results) == set(benchmark.MODES)
    for result in results.values():
        assert set(result) == {"ours", "theirs", "ratio", "control"}
        assert len(result["ours"].values) == len(result["control"].values) == 2
        assert result["ratio"].values == pytest.approx(
            [a / b for a, b in zip(result["ours"].values, result["theirs"].values, strict=True)])
    summary = r"[\d.]+ \[[\d.]+-[\d.]+\] range [\d.]+-[\d.]+"
    row = re.compile(rf"^(predict|call|train)\s+1\s+[\d.]+\s+[\d.]+\s+{summary}\s+{summary}"
                     rf"\s+2$")
    assert len([line for line in lines if row.match(line)]) == 3, lines
    assert lines[-1].startswith("verdict: ")


def test_compare_without_a_control_reports_no_control():
    model = keras_zoo.models.get("mlp", "tiny")
    results = benchmark.compare(model, model, batch_size=2, steps=1, rounds=1, modes=("call",),
                                out=lambda line: None)
    assert set(results["call"]) == {"ours", "theirs", "ratio"}


def test_application_twins_are_found():
    import keras

    assert benchmark.application_for("resnet50") is keras.applications.ResNet50
    assert benchmark.application_for("DenseNet121") is keras.applications.DenseNet121
    assert benchmark.application_for("mobilenet_v2") is keras.applications.MobileNetV2
    with pytest.raises(ValueError, match="keras.applications twin"):
        benchmark.application_for("resnet18")


def test_bad_modes_are_refused():
    model = keras_zoo.models.get("resnet18", "tiny")
    with pytest.raises(ValueError, match="modes"):
        benchmark.compare(model, model, modes=("fit",))
    with pytest.raises(ValueError, match="steps"):
        benchmark.compare(model, model, steps=0)


def _parse(argv):
    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    return parser.parse_args(argv)


def test_arguments_parse():
    args = _parse(["resnet50", "--against", "keras.applications", "--batch-size", "4",
                   "--steps", "2", "--jit-compile"])
    assert (args.model, args.batch_size, args.steps, args.jit_compile) == ("resnet50", 4, 2, True)
    with pytest.raises(SystemExit):
        _parse(["resnet50", "--against", "torchvision"])


@pytest.mark.slow
def test_run_against_keras_applications_at_a_small_size(capsys):
    args = _parse(["resnet50", "--input-shape", "32", "32", "3", "--classes", "10",
                   "--batch-size", "2", "--steps", "1", "--rounds", "1", "--modes", "call,train"])
    assert command.run(args) == 0
    printed = capsys.readouterr().out
    assert "keras.applications ResNet50" in printed
    assert re.search(r"^call\s+1\s+[\d.]+\s+[\d.]+\s+[\d.]+ \[", printed, re.M), printed
    assert re.search(r"^train\s+1\s+[\d.]+\s+[\d.]+\s+[\d.]+ \[", printed, re.M), printed
    assert "control/theirs" in printed

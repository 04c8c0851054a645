"""The input-pipeline benchmark runs, counts what it trains on and prints a ratio; timings
themselves are never asserted (DEVELOPERS.md: speed is measured in benchmarks)."""

import argparse
import re

import pytest

from keras_zoo import benchmark
from keras_zoo.benchmark_pipeline import compare_pipeline


def test_pipeline_against_cached_tensors_prints_a_ratio():
    lines = []
    pipeline, cached, ratio = compare_pipeline("mlp", batch_size=16, steps=3, rounds=1,
                                               out=lines.append)
    assert pipeline > 0 and cached > 0
    assert ratio == pytest.approx(pipeline / cached)
    assert "48 examples per epoch" in lines[0], lines
    assert re.match(r"^\s*[\d.]+\s+[\d.]+\s+[\d.]+\s+\((meets|below) the 0.95 target\)$",
                    lines[-1]), lines


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
        compare_pipeline("mlp", **kwargs)


def test_unknown_model_is_refused():
    with pytest.raises(ValueError, match="lenet"):
        compare_pipeline("lenet6")

"""XLA where it wins, per model: ``keras-zoo benchmark MODEL --jit-compile`` times the training
step with and without XLA and prints what ``Entry.jit_compile`` records. Timings are never
asserted."""

import argparse
import re

import pytest

from training.commands import benchmark


@pytest.mark.slow  # ~6 CPU s: XLA compiles LeNet-5's training step
def test_benchmark_jit_compile_shows_the_step_with_and_without_xla(capsys):
    parser = argparse.ArgumentParser()
    benchmark.add_arguments(parser)
    args = parser.parse_args(["lenet5", "--jit-compile", "--steps", "1", "--rounds", "1",
                              "--batch-size", "8"])
    assert benchmark.run(args) == 0  # lenet5 has no keras.applications twin: this is all
    out = capsys.readouterr().out.splitlines()
    assert "lenet5: training step, preset canonical, batch 8" in out[0], out
    assert [line.split()[0] for line in out[2:4]] == ["False", "True"], out
    assert re.match(r"speedup with XLA [\d.]+x: .*the registry records: no XLA$", out[4]), out

"""``keras-zoo benchmark MODEL --served``: the folded export against the plain one."""

import keras
import pytest

import keras_zoo
from training import cli


@pytest.mark.parametrize("flag", [["--no-control"], ["--jit-compile"], ["--modes", "call"]])
def test_served_refuses_the_options_it_does_not_use(capsys, flag):
    code = cli.main(["benchmark", "resnet50", "--served", *flag])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "--served: does not use" in err


@pytest.mark.slow
def test_compare_served_reports_the_fold_and_per_round_ratios():
    from keras_zoo.benchmarks.served import compare_served

    keras.utils.set_random_seed(0)
    entry = keras_zoo.models.info("resnet50")
    ours, theirs = entry.build("tiny"), entry.build("tiny")
    lines = []
    ratios = compare_served(ours, theirs, batch_size=2, steps=2, rounds=3, out=lines.append)
    assert len(ratios["ours"]) == len(ratios["control"]) == 3
    assert all(r > 0 for values in ratios.values() for r in values)
    assert lines[0].startswith("fold: ") and "folded, 0 kept" in lines[0]
    difference = float(lines[1].rsplit(" ", 1)[-1])
    assert difference <= 1e-5
    assert lines[-1].startswith("  verdict: ")

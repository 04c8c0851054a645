"""``keras-zoo benchmark MODEL --served``: our served export against the plain one, against
keras.applications' twin or keras-hub's backbone with the same head."""

import keras
import numpy as np
import pytest

import keras_zoo
from keras_zoo.benchmarks import hub
from training import cli


@pytest.mark.parametrize("flag", [["--no-control"], ["--jit-compile"], ["--modes", "call"]])
@pytest.mark.parametrize("against", [[], ["--against", "keras-hub"]])
def test_served_refuses_the_options_it_does_not_use(capsys, flag, against):
    model = "vit_b16" if against else "resnet50"
    code = cli.main(["benchmark", model, *against, "--served", *flag])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "--served: does not use" in err
    assert flag[0] in err
    if against:
        assert "against keras-hub it takes" in err and "--sequence-length" in err
    else:
        assert "--input-shape" in err and "--sequence-length" not in err


def test_served_against_keras_hub_refuses_what_keras_hub_does_not_take(capsys):
    code = cli.main(["benchmark", "vit_b16", "--against", "keras-hub", "--served",
                     "--input-shape", "32", "32", "3"])
    err = capsys.readouterr().err
    assert code == 2 and "does not use --input-shape" in err, err


def _lines(capsys):
    return capsys.readouterr().out.splitlines()


def test_a_tiny_keras_hub_pair_runs_end_to_end_served(capsys, monkeypatch):
    """The CLI route, on a 1-layer width-16 ViT (the canonical pair takes minutes)."""
    vit = dict(patch_size=8, hidden_dim=16, num_layers=1, num_heads=2, mlp_dim=32)
    monkeypatch.setitem(hub.PAIRS, "vit_b16", hub.Pair(
        "ViTBackbone", "class_token", dict(vit, dropout=0.0, input_shape=(16, 16, 1),
                                           classes=3),
        dict(vit, image_shape=(16, 16, 1), dropout_rate=0.0)))
    keras.utils.set_random_seed(0)
    code = cli.main(["benchmark", "vit_b16", "--against", "keras-hub", "--served",
                     "--batch-size", "2", "--steps", "1", "--rounds", "2"])
    lines = _lines(capsys)
    assert code == 0
    assert lines[1].startswith("fold: 0 batch norms folded")
    assert lines[2].startswith("transformer: 1 self-attention layers fused, 2 layer-norm "
                               "scales folded forward, 2 Dense layers on tokens flattened")
    difference = float(lines[3].split("max difference ")[1].split()[0])
    assert difference <= 1e-5
    assert "batch 2, 1 calls x 2 interleaved rounds" in lines[4]
    assert lines[-3].startswith("  ours     / theirs: ")
    assert lines[-2].startswith("  control  / theirs: ")


def test_compare_served_takes_token_ids():
    from keras_zoo.benchmarks.served import compare_served
    from keras_zoo.tasks import get_task

    text = dict(vocabulary_size=40, num_layers=1, hidden_dim=16, num_heads=2,
                intermediate_dim=32)
    keras.utils.set_random_seed(0)
    ours, theirs, _ = hub.build_pair("bert_classifier", sequence_length=8, preset="tiny",
                                     zoo_overrides={"dropout": 0.0},
                                     hub_overrides=dict(text, max_sequence_length=16),
                                     control=False)
    x, _ = hub.random_batch(ours, 2, text=True)
    lines = []
    ratios = compare_served(ours, theirs, x=x, steps=1, rounds=2, out=lines.append,
                            task=get_task("sequence_classification"))
    assert len(ratios["ours"]) == len(ratios["control"]) == 2
    assert all(r > 0 for values in ratios.values() for r in values)
    # BertClassifier is a Functional subclass, served as its plain graph for this task.
    assert lines[1].startswith("transformer: 1 self-attention layers fused, 0 layer-norm "
                               "scales folded forward, 2 Dense layers on tokens flattened")
    assert float(lines[2].split("max difference ")[1].split()[0]) <= 1e-5


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
    assert lines[0].startswith("fold: ") and lines[0].endswith(", 0 kept")
    assert lines[1].startswith("transformer: 0 self-attention")
    difference = float(lines[2].split("max difference ")[1].split()[0])
    assert difference <= 1e-5
    assert lines[-1].startswith("  verdict: ")


def test_compare_served_refuses_a_batch_size_its_batch_does_not_have():
    from keras_zoo.benchmarks.served import compare_served

    inputs = keras.Input((4,))
    ours = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    theirs = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    with pytest.raises(ValueError, match="batch_size 3 differs from the given batch's 2"):
        compare_served(ours, theirs, x=np.zeros((2, 4), np.float32), batch_size=3)

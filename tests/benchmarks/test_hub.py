"""``keras-zoo benchmark MODEL --against keras-hub``: the pairs are the same architecture (equal
parameter counts at small configs, keras-hub built directly: no download), and the CLI refuses
what it does not use. Nothing is timed here."""

import argparse

import pytest

from keras_zoo.benchmarks import hub
from training import cli
from training.commands import benchmark

VIT = dict(patch_size=4, hidden_dim=32, num_layers=2, num_heads=2, mlp_dim=64)
TEXT = dict(vocabulary_size=40, num_layers=1, hidden_dim=16, num_heads=2, intermediate_dim=32)
SMALL = {
    "vit_b16": (VIT, dict(image_shape=(32, 32, 1), **VIT)),
    # Two layers, as measured (the tiny config has one since 2026-12-04).
    "deit_ti_distilled": ({"num_layers": 2},
                          dict(image_shape=(32, 32, 1), patch_size=4, hidden_dim=32,
                               num_layers=2, num_heads=2, intermediate_dim=64)),
    "bert_classifier": ({"dropout": 0.0}, dict(TEXT, max_sequence_length=16)),
    "gpt2": (TEXT, TEXT),
}


@pytest.mark.parametrize("name", sorted(SMALL))
def test_the_pair_has_the_same_parameters_inputs_and_outputs(name):
    zoo, their = SMALL[name]
    text = hub.pair_for(name).text
    ours, theirs, control = hub.build_pair(name, sequence_length=12 if text else None,
                                           preset="tiny", zoo_overrides=zoo,
                                           hub_overrides=their)
    assert ours.count_params() == theirs.count_params() == control.count_params()
    assert theirs is not control
    assert ours.input_shape == theirs.input_shape
    assert ours.output_shape == theirs.output_shape
    x, y = hub.random_batch(ours, 3, text=text)
    assert x.shape == (3, *ours.input_shape[1:])
    assert y.shape == (3, *ours.output_shape[1:-1])
    if text:  # token ids, never the padding id 0
        assert x.min() >= 1 and x.max() < 40


@pytest.mark.slow
def test_swin_pair_has_the_same_parameters():
    their = dict(image_shape=(32, 32, 1), patch_size=4, embed_dim=16, depths=(2, 2),
                 num_heads=(2, 4), window_size=4)
    # Two blocks in both stages (the tiny config has one in the second since 2026-12-04).
    ours, theirs, _ = hub.build_pair("swin_t", preset="tiny", zoo_overrides={"depths": (2, 2)},
                                     hub_overrides=their, control=False)
    assert ours.count_params() == theirs.count_params()


@pytest.mark.slow
@pytest.mark.parametrize("name", ["vit_b16", "deit_b_distilled", "swin_t", "bert_classifier",
                                  "gpt2"])
def test_canonical_pairs_have_the_same_parameters(name):
    ours, theirs, _ = hub.build_pair(name, control=False)
    assert ours.count_params() == theirs.count_params()


def test_a_mismatched_config_is_refused():
    zoo, their = SMALL["vit_b16"]
    with pytest.raises(ValueError, match="not the same architecture"):
        hub.build_pair("vit_b16", preset="tiny", zoo_overrides=zoo,
                       hub_overrides=dict(their, mlp_dim=48), control=False)


def test_models_without_a_keras_hub_backbone_are_refused():
    with pytest.raises(ValueError, match="no keras-hub backbone here; models with one: "
                                         "bert_classifier, deit_b_distilled"):
        hub.pair_for("resnet50")
    with pytest.raises(ValueError, match="--sequence-length applies to the text models"):
        hub.build_pair("vit_b16", sequence_length=16)


def _parse(argv):
    parser = argparse.ArgumentParser()
    benchmark.add_arguments(parser)
    return parser.parse_args(argv)


def test_keras_hub_route_takes_its_options():
    args = _parse(["gpt2", "--against", "keras-hub", "--sequence-length", "32", "--rounds", "9",
                   "--no-control", "--modes", "call"])
    assert benchmark._route(args) == ("keras-hub", "gpt2", {
        "sequence_length": 32, "rounds": 9, "no_control": True, "modes": "call"})


@pytest.mark.parametrize("argv, message", [
    (["resnet50", "--against", "keras-hub"], "no keras-hub backbone"),
    (["vit_b16", "--against", "keras-hub", "--classes", "10"], "does not use --classes"),
    (["vit_b16", "--against", "keras-hub", "--modes", "fit"], "--modes: expected some of"),
])
def test_the_cli_refuses_in_one_line(capsys, argv, message):
    code = cli.main(["benchmark", *argv])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert message in err

"""Two-phase transfer recipes (Recipe.transfer, training/recipes/transfer.py): a new head on the
frozen backbone, then fine-tuning, in one run of ``training.train`` / ``keras-zoo train``."""

import csv
import dataclasses
import json
import os

import keras
import numpy as np
import pytest

import keras_zoo
from keras_zoo import transfer
from training import cli, trainer
from training.recipes import Recipe, TransferPhases, get_recipe, recipe_names
from training.recipes import transfer as transfer_recipes
from training.recipes.transfer import two_phase


def _checkpoint(tmp_path, name="mlp", **config):
    keras.utils.set_random_seed(1)
    source = keras_zoo.models.get(name, **config)
    path = str(tmp_path / f"{name}_source.keras")
    source.save(path)
    return source, path


def _weights(model, names):
    return {n: [w.copy() for w in model.get_layer(n).get_weights()] for n in names}


def _same(a, b):
    return all(np.array_equal(u, v) for n in a for u, v in zip(a[n], b[n], strict=True))


def _rows(out):
    with open(os.path.join(out, "history.csv"), newline="") as f:
        return list(csv.DictReader(f))


def test_both_phases_run_in_one_run_frozen_then_fine_tuned(tmp_path, monkeypatch,
                                                           graph_optimizer_off):
    """LeNet-5, 1 + 1 epochs, phase 2 on the top 2 blocks (C3, C5; ``fine_tune=2`` overrides
    the recipe's whole backbone): after phase 1 the backbone
    is the checkpoint's bit for bit and the head has trained; phase 2 moves C3 and C5 but not
    C1 (nor, ever, what no phase trains); one run directory, history.csv marks the phases."""
    source, path = _checkpoint(tmp_path, "lenet5", activation="relu")
    config = {"activation": "relu"}
    backbone = transfer.backbone_layer_names("lenet5", source, config)
    weighted = [n for n in backbone if source.get_layer(n).weights]
    assert weighted == ["c1", "c3", "c5"]
    at_boundary = {}
    unfreeze = transfer.unfreeze

    def snapshot_then_unfreeze(model, *args, **kwargs):
        at_boundary.update(_weights(model, weighted + ["predictions"]))
        at_boundary["trainable"] = [n for n in weighted if model.get_layer(n).trainable]
        return unfreeze(model, *args, **kwargs)

    monkeypatch.setattr(transfer, "unfreeze", snapshot_then_unfreeze)
    recipe = two_phase("lenet5", 1, 1)  # the whole backbone; fine_tune=2 sets phase 2's
    out = str(tmp_path / "run")
    result = trainer.train("lenet5", recipe=recipe, from_checkpoint=path, fine_tune=2, out=out,
                           verbose=0)
    assert at_boundary["trainable"] == []  # phase 1: the whole backbone was frozen
    start = _weights(source, weighted + ["predictions"])
    assert _same({n: at_boundary[n] for n in weighted}, {n: start[n] for n in weighted})
    assert not _same({"p": at_boundary["predictions"]}, {"p": start["predictions"]})
    end = _weights(result.model, weighted)
    assert _same({"c1": end["c1"]}, {"c1": start["c1"]})  # below the top 2 blocks
    for n in ("c3", "c5"):
        assert not _same({n: end[n]}, {n: at_boundary[n]}), n
    assert [r["phase"] for r in _rows(out)] == ["1", "2"]
    assert result.history["phase"] == [1, 2] and len(result.history["val_loss"]) == 2
    assert sorted(os.listdir(out)) == ["checkpoints", "curves.png", "history.csv", "logs",
                                       "metrics.json", "model.keras"]  # backups removed
    with open(os.path.join(out, "metrics.json")) as f:
        metrics = json.load(f)
    assert metrics["epochs"] == 2 and metrics["transfer"] == {
        "from": path, "head_epochs": 1, "fine_tune_epochs": 1, "fine_tune": 2,
        "learning_rate_factor": 0.1}
    assert result.recipe.transfer.fine_tune == 2 and result.changed == ("recipe",)


def test_own_recipe_in_two_phases_defaults():
    """``recipe="transfer"``: the model's own recipe, its epochs split in two, phase 2 at a
    tenth of the rate on the whole backbone; no bar (the recipe's is the scratch run's)."""
    entry = keras_zoo.models.info("lenet5")
    own = get_recipe("lenet5")
    recipe = transfer_recipes.resolve(entry, "transfer")
    assert recipe.transfer == TransferPhases(own.epochs // 2, own.epochs - own.epochs // 2)
    assert recipe.transfer.fine_tune is True
    assert recipe.transfer.learning_rate_factor == transfer.FINE_TUNE_LR_FACTOR
    assert recipe.epochs == own.epochs and recipe.test_bar is None
    assert (recipe.learning_rate, recipe.data_options, recipe.config) == (
        own.learning_rate, own.data_options, own.config)
    # Early stopping goes (it would end phase 1 early); a recipe with it still converts.
    assert get_recipe("classification").early_stopping_patience
    assert two_phase("classification").early_stopping_patience is None
    assert transfer_recipes.OWN_RECIPE_IN_TWO_PHASES not in recipe_names()
    assert transfer_recipes.resolve(entry, None) is get_recipe("lenet5")
    assert transfer_recipes.resolve(entry, "lenet5_digits_transfer").transfer.fine_tune == 2


def test_bad_phases_and_recipes_are_refused():
    with pytest.raises(ValueError, match="head_epochs must be a positive int"):
        TransferPhases(0, 1)
    with pytest.raises(ValueError, match="fine_tune must be True .* or a positive int"):
        TransferPhases(1, 1, fine_tune=False)
    with pytest.raises(ValueError, match="fine_tune must be"):
        TransferPhases(1, 1, fine_tune=0)
    with pytest.raises(ValueError, match="learning_rate_factor must be > 0"):
        TransferPhases(1, 1, learning_rate_factor=0)
    with pytest.raises(ValueError, match=r"epochs \(3\) must be both transfer phases' \(1 \+ 1\)"):
        Recipe("r", epochs=3, transfer=TransferPhases(1, 1))
    with pytest.raises(ValueError, match="early_stopping_patience"):
        Recipe("r", epochs=2, early_stopping_patience=2, transfer=TransferPhases(1, 1))
    with pytest.raises(ValueError, match="must be a TransferPhases"):
        Recipe("r", epochs=2, transfer=(1, 1))
    with pytest.raises(ValueError, match="already a two-phase recipe"):
        two_phase(two_phase("lenet5", 1, 1))
    own_optimizer = Recipe("f", optimizer_factory="keras.optimizers:Adam")
    with pytest.raises(ValueError, match="own optimizer"):
        two_phase(own_optimizer)
    with pytest.raises(ValueError, match="optimizer_factory"):
        dataclasses.replace(own_optimizer, epochs=2, transfer=TransferPhases(1, 1))
    with pytest.raises(ValueError, match="recipe must be a recipe name or a Recipe"):
        transfer_recipes.resolve(keras_zoo.models.info("lenet5"), 3)


def test_bad_combinations_are_refused_before_any_run_directory(tmp_path):
    out = tmp_path / "run"
    recipe = two_phase("classification", 1, 1)
    refusals = [({}, "pass from_checkpoint"),
                ({"from_checkpoint": "x.keras", "freeze": "backbone"}, "freezes the backbone"),
                ({"from_checkpoint": "x.keras", "epochs": 3}, "sets its phases' epochs"),
                ({"from_checkpoint": "x.keras", "strategy": "mirrored"}, "no strategy"),
                ({"from_checkpoint": "x.keras", "fine_tune": 0}, "fine_tune must be")]
    for kwargs, message in refusals:
        with pytest.raises(ValueError, match=message):
            trainer.train("mlp", recipe=recipe, out=str(out), verbose=0, **kwargs)
    with pytest.raises(ValueError, match="no_such_recipe"):
        trainer.train("mlp", recipe="no_such_recipe", out=str(out), verbose=0)
    assert not out.exists()


def test_cli_runs_the_two_phase_recipe_and_refuses_bad_combinations(tmp_path, monkeypatch,
                                                                    capsys, graph_optimizer_off):
    _, path = _checkpoint(tmp_path, "mlp", preset="tiny")
    for argv, message in ((["--recipe", "transfer"], "pass from_checkpoint (--from)"),
                          (["--recipe", "transfer", "--from", path, "--epochs", "2"],
                           "--epochs"),
                          (["--recipe", "transfer", "--from", path, "--freeze", "backbone"],
                           "--freeze")):
        assert cli.main(["train", "mlp", "--out", str(tmp_path / "no"), *argv]) == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "no").exists()
    resolve = transfer_recipes.resolve
    # The command as a user types it, with the own recipe's phases cut to 1 + 1 epochs.
    monkeypatch.setattr(transfer_recipes, "resolve", lambda entry, recipe: (
        two_phase(entry.recipe, 1, 1) if recipe == "transfer" else resolve(entry, recipe)))
    out = str(tmp_path / "run")
    assert cli.main(["train", "mlp", "--from", path, "--recipe", "transfer", "--out", out]) == 0
    assert [r["phase"] for r in _rows(out)] == ["1", "2"]
    with open(os.path.join(out, "metrics.json")) as f:
        assert json.load(f)["transfer"]["fine_tune"] is True


class _Killed(Exception):
    pass


def _killed_and_resumed(tmp_path, monkeypatch, phases, kills):
    """An uninterrupted run of the MLP by ``phases``, and one that dies right after the backup
    of each epoch in ``kills`` (in turn, each death resumed by the next call) and is ended by a
    last call: ``(reference, resumed, out)``."""
    _, path = _checkpoint(tmp_path, "mlp", preset="tiny")
    options = {"recipe": two_phase("classification", *phases), "from_checkpoint": path,
               "verbose": 0}
    reference = trainer.train("mlp", out=str(tmp_path / "ref"), **options)
    save = trainer.Backup._save_model
    out = str(tmp_path / "killed")
    for kill_after in kills:
        def save_then_die(self, kill_after=kill_after):
            save(self)
            if self._current_epoch == kill_after:
                raise _Killed

        monkeypatch.setattr(trainer.Backup, "_save_model", save_then_die)
        with pytest.raises(_Killed):
            trainer.train("mlp", out=out, **options)
        phase = "phase1" if kill_after <= phases[0] else "phase2"
        with open(os.path.join(out, "backup", phase, "training_metadata.json")) as f:
            assert json.load(f)["epoch"] == kill_after
        assert len(_rows(out)) == kill_after
    monkeypatch.setattr(trainer.Backup, "_save_model", save)
    resumed = trainer.train("mlp", out=out, **options)
    for a, b in zip(reference.model.get_weights(), resumed.model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    with open(os.path.join(out, "history.csv")) as f, \
            open(str(tmp_path / "ref" / "history.csv")) as g:
        assert f.read() == g.read()
    assert resumed.history == reference.history
    assert not os.path.exists(os.path.join(out, "backup"))
    return reference, resumed, out


def test_a_run_killed_at_the_phase_boundary_resumes_bit_identically(tmp_path, monkeypatch,
                                                                    graph_optimizer_off):
    """1 + 1 epochs, killed right after phase 1's last backup: the resumed run restores phase
    1's end, unfreezes and fine-tunes like the uninterrupted run, bit for bit (weights,
    history.csv, history)."""
    _, resumed, _ = _killed_and_resumed(tmp_path, monkeypatch, (1, 1), kills=(1,))
    assert resumed.history["phase"] == [1, 2]


@pytest.mark.slow
def test_a_run_killed_at_and_after_the_phase_boundary_resumes_bit_identically(tmp_path,
                                                                              monkeypatch):
    """1 + 2 epochs: one run dies right after phase 1's last backup, its resume right after
    phase 2's first (phase 2's optimizer state then travels with the backup), and a third call
    ends it: bit-identical to the uninterrupted run (24 s)."""
    _, resumed, _ = _killed_and_resumed(tmp_path, monkeypatch, (1, 2), kills=(1, 2))
    assert resumed.history["phase"] == [1, 2, 2]

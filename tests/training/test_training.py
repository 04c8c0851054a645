"""The training entry point: recipes, repeatable seeded runs, resuming a killed run."""

import os
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest

from training import get_recipe, recipe_names, train
from training.recipes import Recipe


def test_every_registry_recipe_exists():
    import keras_zoo

    names = set(recipe_names())
    for entry in keras_zoo.models.entries():
        assert entry.recipe in names, f"{entry.name}: recipe {entry.recipe!r} is not defined"


def test_recipe_validation():
    with pytest.raises(ValueError, match="optimizer must be one of"):
        Recipe(name="x", optimizer="lion")
    with pytest.raises(ValueError, match="schedule must be one of"):
        Recipe(name="x", schedule="step")
    with pytest.raises(ValueError, match="global_clipnorm"):
        Recipe(name="x", global_clipnorm=0)
    with pytest.raises(ValueError, match="Unknown recipe"):
        get_recipe("nope")


@pytest.mark.parametrize("optimizer", ["adam", "adamw", "rmsprop", "sgd"])
def test_gradient_clipping_reaches_every_optimizer(optimizer):
    clipped = Recipe(name="x", optimizer=optimizer, global_clipnorm=0.1).make_optimizer(10)
    assert clipped.global_clipnorm == pytest.approx(0.1)
    assert Recipe(name="x", optimizer=optimizer).make_optimizer(10).global_clipnorm is None


def test_warmup_cosine_schedule():
    schedule = Recipe(name="x", learning_rate=1.0, schedule="warmup_cosine",
                      warmup_epochs=1).learning_rate_schedule(steps_per_epoch=10, epochs=3)
    assert float(schedule(0)) == pytest.approx(0.0)
    assert float(schedule(10)) == pytest.approx(1.0, abs=1e-6)
    assert float(schedule(29)) < 0.05


def test_seeded_runs_repeat_exactly(tmp_path, graph_optimizer_off):
    a = train("mlp", epochs=2, out=str(tmp_path / "a"), seed=5, verbose=0)
    b = train("mlp", epochs=2, out=str(tmp_path / "b"), seed=5, verbose=0)
    c = train("mlp", epochs=2, out=str(tmp_path / "c"), seed=6, verbose=0)
    assert a.history["loss"] == b.history["loss"]
    for x, y in zip(a.model.get_weights(), b.model.get_weights(), strict=True):
        np.testing.assert_array_equal(x, y)
    assert a.history["loss"] != c.history["loss"]


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="epochs must be a positive int"):
        train("mlp", epochs=0, out=str(tmp_path))
    with pytest.raises(ValueError, match="Unknown model name"):
        train("nonet", out=str(tmp_path))


SCRIPT = """
import sys, keras
from training import train
train("mlp", epochs=4, out=sys.argv[1], seed=0, verbose=0)
"""


def test_a_killed_run_resumes_from_backup_and_ends_like_an_uninterrupted_one(tmp_path):
    """SIGKILL a real training process mid-run; the same train() call (in this process)
    resumes and finishes with the same weights as a run that was never interrupted."""
    reference = train("mlp", epochs=4, out=str(tmp_path / "ref"), seed=0, verbose=0)
    out = str(tmp_path / "killed")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, out], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    backup = os.path.join(out, "backup")
    # Generous: importing TensorFlow alone took ~40 s on a loaded 2-core machine.
    deadline = time.monotonic() + 600
    try:
        # kill as soon as a complete backup of a finished epoch exists (BackupAndRestore writes
        # its metadata after the weights), before the run ends
        while time.monotonic() < deadline and proc.poll() is None:
            if os.path.isfile(os.path.join(backup, "training_metadata.json")):
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=60)
    if proc.returncode == 0:
        pytest.fail("the run finished before it could be killed; make it longer")
    assert proc.returncode == -signal.SIGKILL
    # The same call resumes it, here in this process: a second fresh process would add only
    # its TensorFlow import (~6 CPU s); what it resumes from is the killed process's backup.
    train("mlp", epochs=4, out=out, seed=0, verbose=0)
    model = keras.saving.load_model(os.path.join(out, "model.keras"), safe_mode=True)
    for x, y in zip(model.get_weights(), reference.model.get_weights(), strict=True):
        np.testing.assert_array_equal(x, y)  # bit-identical
    assert not os.path.exists(backup)  # removed once the run completed


@pytest.mark.slow
def test_lenet5_recipe_reaches_its_accuracy(tmp_path):
    recipe = get_recipe("lenet5")
    result = train("lenet5", out=str(tmp_path), verbose=0)
    assert result.test_metrics["accuracy"] >= recipe.min_test_accuracy

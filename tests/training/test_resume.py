"""Bit-identical resume: the input pipeline's augmentation is a function of (seed, epoch, step),
the model's seed generators and the callbacks' state travel with the backup, and history.csv
covers the whole run after a resume."""

import csv
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import keras_zoo
from keras_zoo.data import pipeline
from training import trainer

AUGMENT = (("translation", 0.08), ("rotation", 0.03), "randaugment", "cutout", "mixup",
           "cutmix")


def _epoch(ds):
    return [x.numpy() for x, _ in ds]


def test_augmentation_of_epoch_e_is_the_same_in_a_new_pipeline_that_skips_e_epochs():
    """A resumed process builds a new pipeline and creates ``e`` iterators before ``fit``
    (``distribute_for_resume``): it must see epoch ``e`` as the uninterrupted run did. Before
    seeded_map, the layers' generator state restarted from the seed and epoch 2 differed."""
    def make():
        return pipeline.image_classification_dataset("digits", "train", (8, 8), 1, 32,
                                                     augment=AUGMENT, seed=3).take(2)

    first = make()
    epochs = [_epoch(first) for _ in range(3)]
    assert not np.array_equal(epochs[1][0], epochs[2][0])  # a new augmentation every epoch
    resumed = make()
    for _ in range(2):
        iter(resumed)
    for a, b in zip(epochs[2], _epoch(resumed), strict=True):
        np.testing.assert_array_equal(a, b)


def test_fit_s_one_repeated_dataset_draws_the_epochs_of_fresh_iterators():
    """Under the default strategy ``fit`` gets one repeated dataset (``distribute_for_resume``):
    its repetitions must be the epochs that fresh iterators give (the augmentation and order
    the per-epoch iterators drew before), also when advanced to a resumed epoch."""
    import tensorflow as tf

    from keras_zoo import distribute

    def make():  # a warp and a mix: both draw from seeded_map's keys
        return pipeline.image_classification_dataset("digits", "train", (8, 8), 1, 32,
                                                     augment=("rotation", "mixup"),
                                                     seed=3).take(2)

    first = make()
    epochs = [_epoch(first) for _ in range(3)]
    strategy = distribute.get_strategy("none")
    for start in (0, 1):
        ds, steps = distribute.distribute_for_resume(strategy, make(), start_epoch=start)
        assert steps == 2
        assert int(ds.cardinality().numpy()) == int(tf.data.INFINITE_CARDINALITY)
        batches = _epoch(ds.take(2 * (3 - start)))
        for a, b in zip(sum(epochs[start:], []), batches, strict=True):
            np.testing.assert_array_equal(a, b)


def test_seeded_map_layers_refuse_to_run_outside_it():
    import keras

    layer = keras.layers.RandomFlip(seed=0)
    pipeline._keyed([layer])
    with pytest.raises(RuntimeError, match="seeded_map"):
        layer(np.zeros((1, 4, 4, 1), np.float32), training=True)


def test_history_trim_keeps_the_epochs_the_backup_holds(tmp_path):
    path = str(tmp_path / "history.csv")
    with open(path, "w") as f:
        f.write("epoch,loss\n0,1.5\n1,1.0\n2,0.5\n")
    trainer._trim_history(path, 2)
    assert trainer.read_history(path) == {"loss": [1.5, 1.0]}
    trainer._trim_history(path, 0)
    assert not os.path.exists(path)


class _Killed(Exception):
    pass


def _interrupted_after_epoch_1(tmp_path, monkeypatch, name, **options):
    """An uninterrupted 2-epoch run of ``name``, and one that dies right after the backup of
    epoch 1 is committed and is resumed by a second call: ``(reference, resumed, out)``.
    ``options`` go to every ``train`` call."""
    reference = trainer.train(name, epochs=2, out=str(tmp_path / "ref"), verbose=0, **options)
    save = trainer.Backup._save_model

    def save_then_die(self):
        save(self)
        raise _Killed

    monkeypatch.setattr(trainer.Backup, "_save_model", save_then_die)
    out = str(tmp_path / "killed")
    with pytest.raises(_Killed):
        trainer.train(name, epochs=2, out=out, verbose=0, **options)
    monkeypatch.setattr(trainer.Backup, "_save_model", save)
    with open(os.path.join(out, "backup", "training_metadata.json")) as f:
        assert json.load(f)["epoch"] == 1
    return reference, trainer.train(name, epochs=2, out=out, verbose=0, **options), out


def test_a_run_interrupted_after_a_backup_resumes_bit_identically(tmp_path, monkeypatch,
                                                                  graph_optimizer_off):
    """In-process stand-in for SIGKILL (the subprocess tests below are slow): the first run dies
    right after the backup of epoch 1 is committed; a second call of train() resumes it. The
    final weights and history.csv equal an uninterrupted run's, bit for bit (the MLP's recipe,
    with early stopping; augmentation is checked above and, with LeNet-5, in the slow test)."""
    reference, resumed, out = _interrupted_after_epoch_1(tmp_path, monkeypatch, "mlp")
    for a, b in zip(reference.model.get_weights(), resumed.model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    with open(os.path.join(out, "history.csv")) as f, \
            open(str(tmp_path / "ref" / "history.csv")) as g:
        assert f.read() == g.read()
    assert resumed.history == reference.history


def test_backup_restores_seed_generators_and_early_stopping(tmp_path):
    """What save_weights leaves out: a dropout's seed generator and EarlyStopping's patience."""
    import keras

    def model():
        inputs = keras.Input((4,))
        m = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.Dropout(0.5, seed=1)(inputs)))
        m.compile("sgd", "mse")
        return m

    x, y = np.ones((8, 4), np.float32), np.zeros((8, 1), np.float32)
    a = model()
    stop = keras.callbacks.EarlyStopping("loss", patience=5, restore_best_weights=True)
    backup = trainer.Backup(str(tmp_path / "b"), [stop])
    backup.delete_checkpoint = False
    a.fit(x, y, epochs=2, verbose=0, callbacks=[stop, backup])
    b = model()
    stop_b = keras.callbacks.EarlyStopping("loss", patience=5, restore_best_weights=True)
    restored = trainer.Backup(str(tmp_path / "b"), [stop_b])
    restored.set_model(b)
    stop_b.set_model(b)
    stop_b.on_train_begin()
    restored.on_train_begin()
    seeds = [v for v in a.variables if v.name == "seed_generator_state"]
    assert seeds
    for u, v in zip(seeds, [v for v in b.variables if v.name == "seed_generator_state"],
                    strict=True):
        np.testing.assert_array_equal(u.numpy(), v.numpy())
    assert (stop_b.wait, stop_b.best, stop_b.best_epoch) == (stop.wait, stop.best,
                                                              stop.best_epoch)
    for u, v in zip(stop.best_weights, stop_b.best_weights, strict=True):
        np.testing.assert_array_equal(u, v)
    assert b._initial_epoch == 2


def test_a_refused_run_leaves_no_run_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("TF_CONFIG", "{not json")
    out = tmp_path / "run"
    with pytest.raises(ValueError):
        trainer.train("mlp", epochs=1, out=str(out), strategy="multi-worker", verbose=0)
    assert not out.exists()
    with pytest.raises(ValueError):
        trainer.train("mlp", epochs=1, out=str(out), data="no-such-data", verbose=0)
    assert not out.exists()


SCRIPT = """
import sys
import numpy as np
from training import train
name, epochs, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
result = train(name, epochs=epochs, out=out, seed=0, verbose=0)
np.savez(out + "/final.npz", *result.model.get_weights())
"""


def _run(name, epochs, out, kill_after=None, bound=900):
    """Runs train() in a process; with ``kill_after``, SIGKILLs it as soon as its backup holds
    that many epochs (an event, with a generous bound, never a fixed sleep)."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, name, str(epochs), out], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    metadata = os.path.join(out, "backup", "training_metadata.json")
    deadline = time.monotonic() + bound
    try:
        while kill_after is not None and proc.poll() is None and time.monotonic() < deadline:
            try:
                with open(metadata) as f:
                    if json.load(f)["epoch"] >= kill_after:
                        proc.send_signal(signal.SIGKILL)
                        break
            except (OSError, ValueError):
                pass
            time.sleep(0.05)  # polling interval, not a wait for a state
        _, err = proc.communicate(timeout=bound)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if kill_after is None:
        assert proc.returncode == 0, err[-3000:]
    else:
        assert proc.returncode == -signal.SIGKILL, "the run ended before it could be killed"


def _assert_same_run(ref, out, epochs):
    a, b = np.load(os.path.join(ref, "final.npz")), np.load(os.path.join(out, "final.npz"))
    for key in a.files:
        np.testing.assert_array_equal(a[key], b[key])
    with open(os.path.join(out, "history.csv")) as f:
        rows = list(csv.reader(f))
    assert [int(r[0]) for r in rows[1:]] == list(range(epochs))
    with open(os.path.join(ref, "history.csv")) as f:
        assert rows == list(csv.reader(f))


@pytest.mark.slow
@pytest.mark.parametrize("name, epochs, kills", [("lenet5", 5, (1, 3)), ("gan", 3, (1, 2))])
def test_sigkill_twice_then_resume_is_bit_identical(tmp_path, name, epochs, kills):
    """``keras-zoo train``'s code killed with SIGKILL at two points and restarted with the same
    command ends with the weights and history.csv of an uninterrupted run: LeNet-5 (random
    translation and rotation) and the tiny GAN (noise drawn by the model's seed generator)."""
    ref, out = str(tmp_path / "ref"), str(tmp_path / "killed")
    _run(name, epochs, ref)
    for epoch in kills:
        _run(name, epochs, out, kill_after=epoch)
    _run(name, epochs, out)
    _assert_same_run(ref, out, epochs)


def test_fast_rcnn_pipeline_samples_rois_as_a_function_of_seed_epoch_and_step():
    """Fast R-CNN's pipeline draws its RoIs through seeded_map: a new pipeline that skips
    ``e`` epochs (a resumed run) samples epoch ``e`` as the first did; the validation split
    is sampled alike every epoch."""
    from keras_zoo.tasks import get_task

    entry = keras_zoo.models.info("fast_rcnn")
    model, task = entry.build("tiny"), get_task(entry.task)

    def epoch(ds):
        return [x["proposals"].numpy() for x, _ in ds]

    def make(split):
        return task.dataset(model, entry, split, batch_size=4, seed=3, n=8)

    first = make("train")
    epochs = [epoch(first) for _ in range(3)]
    assert not np.array_equal(epochs[1][0], epochs[2][0])
    resumed = make("train")
    for _ in range(2):
        iter(resumed)
    for a, b in zip(epochs[2], epoch(resumed), strict=True):
        np.testing.assert_array_equal(a, b)
    validation = make("validation")
    for a, b in zip(epoch(validation), epoch(validation), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["faster_rcnn", "fast_rcnn"])
def test_region_detectors_resume_bit_identically(tmp_path, monkeypatch, name):
    """Faster R-CNN samples anchors and RoIs in its loss from the model's seed generator (saved
    with the backup); Fast R-CNN's pipeline samples its RoIs as a function of (seed, epoch,
    step) and its loss from the model's generator. An interrupted run resumes to the
    uninterrupted weights. (The recipe's data is cut to 32 training images to keep this cheap.)
    """
    import dataclasses

    recipe = trainer.get_recipe(keras_zoo.models.info(name).recipe)
    small = dataclasses.replace(recipe, data_options={**recipe.data_options, "n": 32})
    monkeypatch.setattr(trainer, "get_recipe", lambda _: small)
    reference, resumed, _ = _interrupted_after_epoch_1(tmp_path, monkeypatch, name,
                                                        batch_size=16)
    for a, b in zip(reference.model.get_weights(), resumed.model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert resumed.history == reference.history


@pytest.mark.slow
@pytest.mark.parametrize("name", ["vae", "stylegan"])
def test_sampling_models_resume_bit_identically(tmp_path, monkeypatch, name):
    """The VAE's reparameterisation draws and StyleGAN's noise inputs come from seed generators
    saved with the backup (keras_zoo.layers.Sampling, NoiseInjection, NoiseMap): an interrupted
    run resumes to the uninterrupted weights."""
    reference, resumed, _ = _interrupted_after_epoch_1(tmp_path, monkeypatch, name)
    for a, b in zip(reference.model.get_weights(), resumed.model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)

"""The training entry point: build a registered model, fit it by its recipe, evaluate, save.

``keras-zoo train lenet5`` and ``training.train("lenet5")`` run the same code.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import os

import keras
import tensorflow as tf

import keras_zoo
from keras_zoo import distribute, plots
from keras_zoo.tasks import get_task
from training.recipes import get_recipe


@dataclasses.dataclass
class TrainResult:
    model: keras.Model
    history: dict
    test_metrics: dict
    out_dir: str
    model_path: str


class CurvesPNG(keras.callbacks.Callback):
    """Rewrites the training-curve PNG at the end of every epoch, so a long run shows progress."""

    def __init__(self, path, title=""):
        super().__init__()
        self.path, self.title, self.history = path, title, {}

    def on_epoch_end(self, epoch, logs=None):
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(float(v))
        plots.training_curves(self.history, self.path, self.title)


def seed_everything(seed: int):
    """Seeded, deterministic runs: the same seed gives the same weights, epoch after epoch."""
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def _callbacks(out, recipe, name, chief, backup):
    cbs = [keras.callbacks.TerminateOnNaN(),
           keras.callbacks.BackupAndRestore(backup)]
    if recipe.early_stopping_patience:
        cbs.append(keras.callbacks.EarlyStopping(
            monitor=recipe.monitor, mode=recipe.resolved_monitor_mode,
            patience=recipe.early_stopping_patience,
            restore_best_weights=True))
    if chief:
        cbs += [
            keras.callbacks.ModelCheckpoint(os.path.join(out, "checkpoints", "best.keras"),
                                            monitor=recipe.monitor, save_best_only=True,
                                            mode=recipe.resolved_monitor_mode),
            keras.callbacks.CSVLogger(os.path.join(out, "history.csv")),
            keras.callbacks.TensorBoard(os.path.join(out, "logs"), write_graph=False),
            CurvesPNG(os.path.join(out, "curves.png"), title=name),
        ]
    return cbs


def train(
    name: str,
    epochs: int | None = None,
    batch_size: int | None = None,
    data: str | None = None,
    out: str | None = None,
    seed: int = 0,
    preset: str | None = None,
    strategy: str = "none",
    verbose: int | str = "auto",
    **config,
) -> TrainResult:
    """Trains the registered model ``name`` by its recipe and evaluates it on the test split.

    Args:
        name: a registry name.
        epochs, batch_size: override the recipe's (``batch_size`` is the global batch).
        data: another embedded/TFDS dataset than the entry's default.
        out: the run directory (default ``runs/<name>``): ``model.keras``,
            ``checkpoints/best.keras``, ``backup/`` (BackupAndRestore: a killed run resumes),
            ``logs/`` (TensorBoard), ``history.csv``, ``curves.png``, ``metrics.json``.
        seed: seeds weights, shuffling and augmentation; op determinism is enabled.
        preset: the model preset (default: the recipe's).
        strategy: "none", "mirrored" or "multi-worker" (see ``keras_zoo.distribute`` and
            docs/distributed.md). Under a strategy the global batch must divide evenly across
            the replicas, the training split drops its last partial batch (every replica gets
            an equal share), the datasets are sharded by DATA, only the chief writes
            checkpoints, logs and ``model.keras``, and every worker keeps its own backup.
        verbose: Keras' fit verbosity ("auto" shows the progress bar).
        **config: builder overrides.
    """
    entry = keras_zoo.models.info(name)
    recipe = get_recipe(entry.recipe)
    task = get_task(entry.task)
    epochs = epochs if epochs is not None else recipe.epochs
    batch_size = batch_size if batch_size is not None else recipe.batch_size
    for arg, value in (("epochs", epochs), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{arg} must be a positive int, got {value!r}.")
    out = out or os.path.join("runs", entry.name)
    os.makedirs(out, exist_ok=True)
    seed_everything(seed)
    strat = distribute.get_strategy(strategy)
    chief = distribute.is_chief(strat)
    distributed = strategy not in (None, "none")
    options = dict(recipe.data_options)
    if data is not None:
        options["data"] = data
    if distributed:
        distribute.check_global_batch(batch_size, strat)
        if "drop_remainder" in inspect.signature(task.dataset).parameters:
            # A partial batch splits unevenly, and the mean of unequal replica means is not the
            # batch mean: dropping it keeps N workers equal to one worker at the same batch.
            options["drop_remainder"] = True
    shard = distribute.shard if distributed else (lambda ds: ds)
    # A multi-worker run fails after the peer timeout without progress instead of hanging.
    with distribute.guard(strat) as watched:
        with strat.scope():
            model = entry.build(preset if preset is not None else recipe.preset,
                                **{**recipe.config, **config})
            train_ds = shard(task.dataset(model, entry, "train", batch_size, seed, **options))
            val_ds = shard(task.dataset(model, entry, "validation", batch_size, seed,
                                        **({"data": data} if data else {})))
            steps = int(train_ds.cardinality().numpy())
            task.compile(model, entry, optimizer=recipe.make_optimizer(max(steps, 1), epochs),
                         **recipe.compile_options)
        backup = distribute.backup_dir(out, strat)
        # A resumed run must see the batches the uninterrupted run saw (any strategy).
        train_ds, steps_per_epoch = distribute.distribute_for_resume(strat, train_ds, backup)
        history = model.fit(train_ds, validation_data=val_ds, epochs=epochs, verbose=verbose,
                            steps_per_epoch=steps_per_epoch,
                            callbacks=watched(_callbacks(out, recipe, entry.name, chief, backup)))
        test_ds = shard(task.dataset(model, entry, "test", batch_size, seed,
                                     **({"data": data} if data else {})))
        test_metrics = model.evaluate(test_ds, return_dict=True, verbose=0, callbacks=watched())
    model_path = os.path.join(out, "model.keras")
    if chief:
        model.save(model_path)
        plots.training_curves(history.history, os.path.join(out, "curves.png"), entry.name)
        with open(os.path.join(out, "metrics.json"), "w") as f:
            json.dump({"model": entry.name, "recipe": recipe.name, "epochs": epochs,
                       "batch_size": batch_size, "seed": seed,
                       "test": {k: float(v) for k, v in test_metrics.items()}}, f, indent=2)
    return TrainResult(model, history.history, test_metrics, out, model_path)

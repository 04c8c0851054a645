"""The training entry point: build a registered model, fit it by its recipe, evaluate, save.

``keras-zoo train lenet5`` and ``training.train("lenet5")`` run the same code.
"""

from __future__ import annotations

import csv
import dataclasses
import inspect
import json
import os
import shutil
import time
from typing import Any

import keras
import numpy as np
import tensorflow as tf

import keras_zoo
from keras_zoo import distribute, plots
from keras_zoo.distribute.strategies import resumed_epoch
from keras_zoo.models import replicas
from keras_zoo.tasks import get_task
from training.recipes import get_recipe
from training.recipes import transfer as transfer_recipes


@dataclasses.dataclass
class TrainResult:
    """What ``train`` did.

    Attributes:
        model, history: the trained model and its whole run's ``fit`` history.
        test_metrics: ``model.evaluate`` on the test split.
        out_dir, model_path: the run directory and its ``model.keras``.
        evaluation_metrics: the task's extra held-out figures (``Task.evaluation_metrics``).
        recipe: the ``Recipe`` the run followed.
        bar: the recipe's ``test_bar``, ``(metric, value, "max"|"min")`` (None: it sets none).
        bar_met: whether ``metrics[metric]`` reached ``bar`` (None: no bar).
        changed: the settings this run changed from the recipe's (``"epochs"``, ...): a run
            that changed them is reported against the bar, not failed by it.
        export_path: the exported ``root/name/version``, if ``export`` was asked and done.
        verify_rows: ``keras_zoo.export.verify``'s rows ``(check, figure, limit, passed)``.
        verified: whether the export passed ``verify`` (None: not exported).
    """

    model: keras.Model
    history: dict
    test_metrics: dict
    out_dir: str
    model_path: str
    evaluation_metrics: dict = dataclasses.field(default_factory=dict)
    recipe: Any = None
    bar: tuple | None = None
    bar_met: bool | None = None
    changed: tuple = ()
    export_path: str | None = None
    verify_rows: list = dataclasses.field(default_factory=list)
    verified: bool | None = None

    @property
    def metrics(self) -> dict:
        """The test metrics and the task's evaluation metrics, in one dict."""
        return {**self.test_metrics, **self.evaluation_metrics}

    @property
    def failed(self) -> bool:
        """A run of the recipe as written below its bar, or an export that failed verify."""
        return (self.bar_met is False and not self.changed) or self.verified is False


class CurvesPNG(keras.callbacks.Callback):
    """Rewrites the training-curve PNG at the end of an epoch when ``interval`` seconds have
    passed since it last did, and at the end of training: a long run shows progress, and a
    short one does not spend a quarter of its time in matplotlib (0.3-0.4 s per drawing)."""

    def __init__(self, path, title="", history=None, interval=60.0):
        super().__init__()
        # history: the epochs before a resume (read from history.csv), so the PNG covers the run.
        self.path, self.title, self.interval = path, title, interval
        self.history = {k: list(v) for k, v in (history or {}).items()}
        self._drawn = None
        self.at_end = True  # False: no drawing at the end of this fit (more of the run follows)

    def on_train_begin(self, logs=None):
        self._drawn = time.monotonic()

    def on_epoch_end(self, epoch, logs=None):
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(float(v))
        if self._drawn is None or time.monotonic() - self._drawn >= self.interval:
            self._draw()

    def on_train_end(self, logs=None):
        if self.history and self.at_end:
            self._draw()

    def _draw(self):
        plots.training_curves(self.history, self.path, self.title)
        self._drawn = time.monotonic()


def seed_everything(seed: int):
    """Seeded, deterministic runs: the same seed gives the same weights, epoch after epoch."""
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def read_history(path) -> dict:
    """``{column: [float per epoch]}`` of a ``history.csv`` written by ``CSVLogger`` ({} if
    there is none)."""
    try:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
    except FileNotFoundError:
        return {}
    history = {}
    for row in rows:
        for k, v in row.items():
            if k != "epoch":
                history.setdefault(k, []).append(float(v))
    return history


def _with_known_length(dataset, name):
    """``(dataset, batches per epoch)``: a dataset whose length tf.data cannot infer (a filter,
    a rebatch) is counted once and asserted, because the learning-rate schedule is laid out over
    ``steps x epochs`` and ``fit`` needs ``steps_per_epoch`` (an unknown length made both 1: a
    cosine schedule then decayed to zero within the first epoch and the run learned nothing)."""
    import tensorflow as tf

    steps = int(dataset.cardinality().numpy())
    if steps == int(tf.data.INFINITE_CARDINALITY):
        raise ValueError(f"{name}: the training dataset is infinite; a run needs epochs of a "
                         "known number of batches.")
    if steps == int(tf.data.UNKNOWN_CARDINALITY):
        steps = int(dataset.reduce(0, lambda count, _: count + 1).numpy())
        dataset = dataset.apply(tf.data.experimental.assert_cardinality(steps))
    if steps == 0:
        raise ValueError(f"{name}: the training dataset has no batch.")
    return dataset, steps


def _trim_history(path, epochs):
    """Keeps the header and the rows of the first ``epochs`` epochs of ``history.csv``: a
    killed run may have logged an epoch its backup does not hold, which the resumed run
    repeats. ``epochs`` 0 (a fresh run) removes the file."""
    if not epochs:
        if os.path.exists(path):
            os.remove(path)
        return
    try:
        with open(path, newline="") as f:
            rows = list(csv.reader(f))
    except FileNotFoundError:
        return
    kept = rows[:1] + [r for r in rows[1:] if r and int(r[0]) < epochs]
    with open(path + ".tmp", "w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(kept)
    os.replace(path + ".tmp", path)


#: Callback attributes that carry over from epoch to epoch (reset by ``on_train_begin``).
_CALLBACK_STATE = {keras.callbacks.EarlyStopping: ("wait", "stopped_epoch", "best", "best_epoch"),
                   keras.callbacks.ModelCheckpoint: ("best",)}


class Backup(keras.callbacks.BackupAndRestore):
    """``BackupAndRestore`` that a kill at any moment leaves resumable, and that also saves
    what ``save_weights`` leaves out, so that a resumed run continues bit-identically: the
    states of the model's seed generators (dropout, GAN noise and sampling) and of the callbacks
    that keep state across epochs (EarlyStopping's patience and best weights, ModelCheckpoint's
    best). Place it after those callbacks: it restores their state after their
    ``on_train_begin`` resets it, and saves it after their ``on_epoch_end``. The input
    pipeline's randomness is a function of (seed, epoch, step) instead
    (``keras_zoo.data.pipeline.seeded_map``).

    Epoch ``e``'s weights and state go to files of their own; renaming
    ``training_metadata.json`` (which names ``e``) into place commits them. Keras' callback
    writes its weights in place, and a kill during that write (measured: a GAN killed after
    its first epoch) left a truncated file that the next run could not load.
    """

    def __init__(self, backup_dir, callbacks=()):
        super().__init__(backup_dir)
        self.stateful = [c for c in callbacks if type(c) in _CALLBACK_STATE]

    def _path(self, kind, epoch):
        suffix = ".weights.h5" if kind == "weights" else ".npz"
        return os.path.join(self.backup_dir, f"{kind}-{epoch}{suffix}")

    def _seed_states(self):
        return [v for v in self.model.variables if v.name == "seed_generator_state"]

    def _save_model(self):
        epoch = self._current_epoch
        os.makedirs(self.backup_dir, exist_ok=True)
        arrays = {f"seed{i}": np.asarray(v.numpy()) for i, v in enumerate(self._seed_states())}
        scalars = []
        for i, callback in enumerate(self.stateful):
            scalars.append({a: _plain(getattr(callback, a, None))
                            for a in _CALLBACK_STATE[type(callback)]})
            for j, w in enumerate(getattr(callback, "best_weights", None) or ()):
                arrays[f"callback{i}_weight{j}"] = np.asarray(w)
        arrays["callbacks"] = np.array(json.dumps(scalars))
        tmp = os.path.join(self.backup_dir, "tmp")
        with open(tmp + ".npz", "wb") as f:
            np.savez(f, **arrays)
        os.replace(tmp + ".npz", self._path("state", epoch))
        self.model.save_weights(tmp + ".weights.h5", overwrite=True)
        os.replace(tmp + ".weights.h5", self._path("weights", epoch))
        with open(tmp + ".json", "w") as f:
            json.dump({"epoch": epoch, "batch": 0}, f)
        os.replace(tmp + ".json", self._training_metadata_path)  # the commit
        for old in range(epoch):
            for kind in ("state", "weights"):
                if os.path.exists(self._path(kind, old)):
                    os.remove(self._path(kind, old))

    def on_train_begin(self, logs=None):
        self._load_model()

    def _load_model(self):
        epoch = resumed_epoch(self.backup_dir)
        if not epoch:
            return
        if self.model.optimizer is not None and not self.model.optimizer.built:
            self.model.optimizer.build(self.model.trainable_variables)
        weights = self._path("weights", epoch)
        # A backup of Keras' own callback (an earlier keras-zoo) keeps its weights in place.
        self.model.load_weights(weights if os.path.exists(weights) else self._weights_path)
        self.model._initial_epoch = epoch
        if not os.path.exists(self._path("state", epoch)):
            return
        with np.load(self._path("state", epoch), allow_pickle=False) as saved:
            for i, v in enumerate(self._seed_states()):
                v.assign(saved[f"seed{i}"])
            for i, (callback, scalars) in enumerate(
                    zip(self.stateful, json.loads(str(saved["callbacks"])), strict=True)):
                for a, value in scalars.items():
                    setattr(callback, a, value)
                weights = [saved[k] for k in sorted(
                    (k for k in saved.files if k.startswith(f"callback{i}_weight")),
                    key=lambda k: int(k.rsplit("weight", 1)[1]))]
                if weights:
                    callback.best_weights = weights


def _plain(value):
    """A JSON-able copy of a callback's scalar state."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return np.asarray(value).item()


class PhaseColumn(keras.callbacks.Callback):
    """Adds ``phase`` (1: new head on the frozen backbone, 2: fine-tuning) to each epoch's logs
    of a two-phase transfer run, ahead of the callbacks that record them: history.csv gets a
    ``phase`` column, the history a ``phase`` key and curves.png a ``phase`` panel."""

    def __init__(self, phase):
        super().__init__()
        self.phase = phase

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["phase"] = self.phase


def _callbacks(out, recipe, name, chief, backup, resumed=0, extra=(), phase=None):
    cbs = [keras.callbacks.TerminateOnNaN()]
    if phase is not None:
        cbs.append(PhaseColumn(phase))
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
            keras.callbacks.CSVLogger(os.path.join(out, "history.csv"), append=resumed > 0),
            keras.callbacks.TensorBoard(os.path.join(out, "logs"), write_graph=False),
            CurvesPNG(os.path.join(out, "curves.png"),
                      title=name if phase is None else
                      f"{name}: phase 1 new head on the frozen backbone, phase 2 fine-tuning",
                      history=read_history(os.path.join(out, "history.csv"))),
            *extra,  # the task's own (dense prediction: overlays of held-out images)
        ]
    # Last: it saves the other callbacks' state after their on_epoch_end (and the history row
    # is written before the backup, so a resume never lacks one), and restores it after their
    # on_train_begin.
    cbs.append(Backup(backup, cbs))
    return cbs


def set_batch_norm_momentum(model, momentum: float) -> int:
    """Set the momentum of every BatchNormalization layer of ``model`` (nested models and
    layers included) before it is compiled; returns how many there were."""
    layers = [layer for layer in model._flatten_layers(include_self=False, recursive=True)
              if isinstance(layer, keras.layers.BatchNormalization)]
    for layer in layers:
        layer.momentum = float(momentum)
    return len(layers)


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
    export: bool | str = False,
    version: int | None = None,
    root: str = "saved_models",
    tflite=("float", "int8"),
    from_checkpoint: str | None = None,
    freeze: str | None = None,
    fine_tune: bool | int = False,
    recipe=None,
    report=None,
    data_service: str | None = None,
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
        strategy: "none", "mirrored" or "multi-worker" (see ``keras_zoo.distribute``). Under a strategy the global batch must divide evenly across
            the replicas, the training split drops its last partial batch (every replica gets
            an equal share), the datasets are sharded by DATA, only the chief writes
            checkpoints, logs and ``model.keras``, and every worker keeps its own backup.
        verbose: Keras' fit verbosity ("auto" shows the progress bar).
        export: after training, export (and verify) the model: ``True`` under the registry
            name, a string under that name; not done when a run of the recipe as written
            misses its accuracy bar (``TrainResult.failed``). Only the chief exports.
        version, root, tflite: of the export (``keras_zoo.export.export``).
        from_checkpoint, freeze, fine_tune: transfer learning (``keras_zoo.transfer.prepare``):
            start from a ``.keras`` checkpoint of the same architecture; ``freeze="backbone"``
            trains only the new head; ``fine_tune=True`` (or N top blocks) unfreezes at a
            tenth of the learning rate.
        recipe: what to train by instead of the model's own recipe: a registered recipe's
            name, a ``Recipe``, or ``"transfer"`` (the model's own recipe in two phases,
            ``training.recipes.transfer.two_phase``). A two-phase recipe
            (``Recipe.transfer``) runs both transfer phases in this one run and run directory
            (history.csv's ``phase`` column tells them apart; a killed run resumes across the
            boundary): it needs ``from_checkpoint``, sets ``freeze`` and the epochs itself
            (``freeze``, ``epochs`` refused), takes ``fine_tune`` as phase 2's blocks, and
            runs without a strategy or data service.
        report: with ``export``, called with each ``verify`` row as its check finishes
            (the CLI prints them as they come).
        data_service: ``grpc://HOST:PORT`` of a tf.data service dispatcher: the training
            pipeline runs on its workers, batch for batch the one the run sees without it
            (``keras_zoo.distribute.data_service``); ``strategy="none"`` only.
        **config: builder overrides.

    Returns:
        A ``TrainResult``: metrics, paths, whether the recipe's bar was met, the export.
    """
    entry = keras_zoo.models.info(name)
    recipe_arg = recipe
    recipe = (get_recipe(entry.recipe) if recipe is None
              else transfer_recipes.resolve(entry, recipe))
    phases = recipe.transfer
    if phases is not None:
        _check_two_phase(recipe, from_checkpoint, freeze, epochs, strategy, data_service)
        if fine_tune is not False:  # phase 2's blocks (TransferPhases validates them)
            phases = dataclasses.replace(phases, fine_tune=fine_tune)
            recipe = dataclasses.replace(recipe, transfer=phases)
    task = get_task(entry.task)
    epochs_arg, batch_size_arg = epochs, batch_size
    epochs = epochs if epochs is not None else recipe.epochs
    batch_size = batch_size if batch_size is not None else recipe.batch_size
    for arg, value in (("epochs", epochs), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{arg} must be a positive int, got {value!r}.")
    if data_service is not None:
        from keras_zoo.distribute import data_service as service

        service.parse_address(data_service)
        if strategy not in (None, "none"):
            raise ValueError(f"data_service: works with strategy 'none' (one trainer reads the "
                             f"service), got strategy {strategy!r}.")
        service.check_reachable(data_service)
    out = out or os.path.join("runs", entry.name)
    seed_everything(seed)
    strat = distribute.get_strategy(strategy)
    chief = distribute.is_chief(strat)
    distributed = strategy not in (None, "none")
    options = dict(recipe.data_options)
    if data is not None:
        options["data"] = data
    # The data set (``--data`` or the recipe's) is every split's, and so are the options the
    # task lists in ``split_options`` (the video task's clip sampling: what a clip is); the
    # other data options (augmentation, sizes) are the training split's.
    held_out = {k: v for k, v in options.items()
                if k in task.split_options and v not in (None, "")}
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
            if phases is not None:  # phase 1: the checkpoint's backbone, frozen; a new head
                from keras_zoo import transfer

                build_config = entry.config(preset if preset is not None else recipe.preset,
                                            **{**recipe.config, **config})
                transfer.prepare(model, entry.name, from_checkpoint, "backbone",
                                 config=build_config)
            elif from_checkpoint is not None or freeze is not None or fine_tune is not False:
                from keras_zoo import transfer

                factor = transfer.prepare(
                    model, entry.name, from_checkpoint, freeze, fine_tune,
                    entry.config(preset if preset is not None else recipe.preset,
                                 **{**recipe.config, **config}))
                recipe = dataclasses.replace(recipe, learning_rate=recipe.learning_rate * factor)
            if recipe.batch_norm_momentum is not None:
                set_batch_norm_momentum(model, recipe.batch_norm_momentum)
            if recipe.wrap is not None:  # e.g. adversarial training: fit trains the wrapper
                model = recipe.wrap(model)
            def training_split():  # (dataset, batches per epoch); phase 2 makes its own
                return _with_known_length(shard(task.dataset(
                    model, entry, "train", batch_size, seed, **options)), entry.name)

            train_ds, steps = training_split()
            val_ds = shard(task.dataset(model, entry, "validation", batch_size, seed, **held_out))

            def compile_for(run_recipe, run_epochs):
                task.compile(model, entry, optimizer=run_recipe.make_optimizer(
                    max(steps, 1), run_epochs, model=model), **run_recipe.compile_options)
                # Keras clips each replica's share before the all-reduce; the recipe's clip
                # norm is the global batch's (a no-op on one replica or without clipping).
                replicas.clip_after_all_reduce(model.optimizer)
                if entry.jit_compile is not None and not tf.config.list_physical_devices("GPU"):
                    # Measured per model on CPU (benchmark --jit-compile); elsewhere Keras'.
                    model.jit_compile = entry.jit_compile
                if model.optimizer is not None and not model.optimizer.built:
                    # Built inside the first trace otherwise (no strategy), which makes
                    # tf.function trace the whole train step twice; the same updates either way.
                    model.optimizer.build(model.trainable_variables)

            compile_for(recipe, epochs if phases is None else phases.head_epochs)
        backup = distribute.backup_dir(out, strat)
        if phases is not None:
            # One backup per phase (their optimizers differ); a run resumes in phase 2 once
            # phase 2 has backed up an epoch, else in (or at the end of) phase 1.
            phase_backups = [os.path.join(backup, "phase1"), os.path.join(backup, "phase2")]
            backup = phase_backups[1 if resumed_epoch(phase_backups[1]) else 0]
        resumed = resumed_epoch(backup)
        if data_service is not None:  # the service's workers skip the epochs done
            train_ds, steps_per_epoch = service.distribute(train_ds, data_service,
                                                           skip=resumed * steps), steps
        else:
            # A resumed run must see the batches the uninterrupted run saw (any strategy).
            train_ds, steps_per_epoch = distribute.distribute_for_resume(strat, train_ds, backup)
        # Created only now: a run refused for its arguments, TF_CONFIG or data leaves nothing.
        os.makedirs(out, exist_ok=True)
        history_csv = os.path.join(out, "history.csv")
        if chief:
            _trim_history(history_csv, resumed)
        earlier = read_history(history_csv) if chief else {}
        extra = task.training_callbacks(model, entry, out) if chief else ()
        if phases is None:
            history = model.fit(train_ds, validation_data=val_ds, epochs=epochs,
                                verbose=verbose, steps_per_epoch=steps_per_epoch,
                                callbacks=watched(_callbacks(out, recipe, entry.name, chief,
                                                             backup, resumed, extra)))
        else:
            def train_from(epoch):  # phase 2's own dataset: see distribute_for_resume
                return distribute.distribute_for_resume(strat, training_split()[0],
                                                        start_epoch=epoch)[0]

            history = _fit_two_phases(model, entry, recipe, phases, build_config, compile_for,
                                      strat, watched, train_ds, train_from, val_ds,
                                      steps_per_epoch, verbose, out, chief, phase_backups,
                                      backup, resumed, extra)
        # The whole run's history, also when this process resumed a killed one.
        history.history = {k: earlier.get(k, []) + list(v) for k, v in history.history.items()}
        test_ds = shard(task.dataset(model, entry, "test", batch_size, seed, **held_out))
        test_metrics = model.evaluate(test_ds, return_dict=True, verbose=0, callbacks=watched())
    model_path = os.path.join(out, "model.keras")
    if chief:
        model.save(model_path)
        with open(os.path.join(out, "metrics.json"), "w") as f:
            json.dump({"model": entry.name, "recipe": recipe.name, "epochs": epochs,
                       "batch_size": batch_size, "seed": seed,
                       **({"transfer": {"from": from_checkpoint, **dataclasses.asdict(phases)}}
                          if phases is not None else {}),
                       "test": {k: float(v) for k, v in test_metrics.items()}}, f, indent=2)
    result = TrainResult(model, history.history, test_metrics, out, model_path,
                         evaluation_metrics=task.evaluation_metrics(model, entry, "test", data,
                                                                    seed))
    result.changed = tuple(k for k, v in (("epochs", epochs_arg), ("batch_size", batch_size_arg),
                                          ("data", data), ("preset", preset), ("config", config),
                                          # another recipe than the model's own
                                          ("recipe", recipe_arg
                                           if recipe.name != entry.recipe else None))
                           if v is not None and not (isinstance(v, dict) and not v))
    result.recipe, result.bar = recipe, recipe.test_bar
    if result.bar is not None:
        metric, value, direction = result.bar
        if metric not in result.metrics:
            raise ValueError(f"recipe {recipe.name!r}: its bar is on {metric!r}, which the run "
                             f"does not report; it reports {sorted(result.metrics)}.")
        reached = result.metrics[metric]
        result.bar_met = bool(reached >= value if direction == "max" else reached <= value)
    if export is not False and export is not None and chief and not result.failed:
        from keras_zoo.export import FreshProcess, verify
        from keras_zoo.export import export as export_model

        # Started first: the fresh process imports TensorFlow while the export converts.
        with FreshProcess() as fresh:
            result.export_path = export_model(
                model, export if isinstance(export, str) and export else entry.name, entry,
                version=version, root=root, tflite=tflite, source=model_path)
            result.verified, result.verify_rows = verify(result.export_path, None, fresh=fresh,
                                                         report=report)
    return result


def _check_two_phase(recipe, from_checkpoint, freeze, epochs, strategy, data_service):
    """A two-phase recipe's run refuses the arguments it would otherwise ignore."""
    if from_checkpoint is None:
        raise ValueError(f"recipe {recipe.name!r} is two-phase transfer learning: pass "
                         "from_checkpoint (--from), the .keras weights phase 1 starts from.")
    if freeze is not None:
        raise ValueError(f"recipe {recipe.name!r} freezes the backbone in phase 1 itself; "
                         "freeze (--freeze) is for a single-phase run.")
    if epochs is not None:
        raise ValueError(f"recipe {recipe.name!r} sets its phases' epochs "
                         f"({recipe.transfer.head_epochs} + {recipe.transfer.fine_tune_epochs});"
                         " epochs (--epochs) would not say how to split them: use a recipe with "
                         "other phases (training.recipes.transfer.two_phase).")
    if strategy not in (None, "none") or data_service is not None:
        raise ValueError(f"recipe {recipe.name!r}: a two-phase transfer run takes no strategy "
                         "or data service yet (it recompiles between the phases).")


def _fit_two_phases(model, entry, recipe, phases, build_config, compile_for, strat, watched,
                    train_ds, train_from, val_ds, steps_per_epoch, verbose, out, chief,
                    phase_backups, backup, resumed, extra):
    """Phase 1 (new head, frozen backbone; skipped when the run resumes in phase 2) on
    ``train_ds``, then phase 2 (``transfer.unfreeze``, a fresh optimizer at
    ``learning_rate_factor`` times the rate) from epoch ``head_epochs`` on, on
    ``train_from(its first epoch)``: ``fit``'s history of both, ``phase`` included."""
    from keras_zoo import transfer

    done = {}
    best = None
    if backup == phase_backups[0]:
        cbs = _callbacks(out, recipe, entry.name, chief, phase_backups[0], resumed, extra,
                         phase=1)
        # Kept until phase 2 ends: a run killed before phase 2's first backup resumes from it.
        cbs[-1].delete_checkpoint = False
        for c in cbs:  # phase 2 draws the whole run (a drawing costs about a second)
            if isinstance(c, CurvesPNG):
                c.at_end = False
        head = model.fit(train_ds, validation_data=val_ds, epochs=phases.head_epochs,
                         verbose=verbose, steps_per_epoch=steps_per_epoch,
                         callbacks=watched(cbs))
        done = head.history
        best = [getattr(c, "best", None) for c in cbs
                if isinstance(c, keras.callbacks.ModelCheckpoint)]
        resumed = phases.head_epochs
    with strat.scope():
        transfer.unfreeze(model, entry.name, phases.fine_tune, build_config)
        compile_for(dataclasses.replace(
            recipe, learning_rate=recipe.learning_rate * phases.learning_rate_factor),
            phases.fine_tune_epochs)
    model._initial_epoch = None  # set by phase 1's restore; phase 2 restores its own
    cbs = _callbacks(out, recipe, entry.name, chief, phase_backups[1], resumed, extra, phase=2)
    for c in cbs:  # the best checkpoint of the whole run, not of phase 2 alone
        if best and isinstance(c, keras.callbacks.ModelCheckpoint) and best[0] is not None:
            c.best = best[0]
    # A new dataset advanced to phase 2's first epoch (the epoch the backup resumes at, else
    # head_epochs): phase 1's iterator may have drawn the next epoch's order before it ended.
    tune = model.fit(train_from(resumed), validation_data=val_ds, epochs=phases.epochs,
                     initial_epoch=phases.head_epochs, verbose=verbose,
                     steps_per_epoch=steps_per_epoch, callbacks=watched(cbs))
    shutil.rmtree(phase_backups[0], ignore_errors=True)
    try:  # phase 2's backup removed itself at the end of its fit
        os.rmdir(os.path.dirname(phase_backups[0]))
    except OSError:
        pass
    tune.history = {k: list(done.get(k, [])) + list(v) for k, v in tune.history.items()}
    return tune

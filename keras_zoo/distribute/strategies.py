"""Building the ``tf.distribute`` strategies of ``keras-zoo train --strategy``."""

from __future__ import annotations

import contextlib
import json
import os
import socket

import tensorflow as tf

from keras_zoo.distribute import compat, tf_config, watchdog

STRATEGIES = ("none", "mirrored", "multi-worker")

#: Seconds a worker waits for its peers (to join the cluster at start-up, then for each batch,
#: epoch or evaluation step to complete) before the run fails. Override with the environment variable
#: ``KERAS_ZOO_PEER_TIMEOUT`` or ``get_strategy(..., timeout=)``.
DEFAULT_PEER_TIMEOUT = 120
TIMEOUT_ENV = "KERAS_ZOO_PEER_TIMEOUT"


def peer_timeout(timeout=None) -> int:
    """The peer timeout in whole seconds: ``timeout``, else ``$KERAS_ZOO_PEER_TIMEOUT``, else
    ``DEFAULT_PEER_TIMEOUT``."""
    source = "timeout"
    if timeout is None:
        timeout, source = os.environ.get(TIMEOUT_ENV, DEFAULT_PEER_TIMEOUT), TIMEOUT_ENV
    try:
        value = float(timeout)
    except (TypeError, ValueError):
        value = float("nan")
    if not value >= 1:  # also rejects NaN
        raise ValueError(f"{source} must be a number of seconds >= 1, got {timeout!r}.")
    return int(value)


def _check_resolvable(config):
    """An unknown host name fails now, with its name, rather than after the timeout."""
    for address in config.peers + [config.address]:
        host = address.rpartition(":")[0].strip("[]")
        try:
            socket.getaddrinfo(host, None)
        except OSError as e:
            raise ValueError(
                f"TF_CONFIG: cannot resolve host {host!r} of {address!r} ({e}).") from None


def multi_worker_strategy(timeout=None):
    """A ``MultiWorkerMirroredStrategy`` for the cluster of ``$TF_CONFIG``, with the Keras 3 fix
    installed (``keras_zoo.distribute.compat``) and every wait on a peer bounded by
    ``peer_timeout(timeout)`` seconds (``watchdog``: the process ends with
    ``watchdog.EXIT_CODE``).

    Must run before TensorFlow executes any op (a TensorFlow requirement of collective ops).
    """
    seconds = peer_timeout(timeout)
    config = tf_config.read()
    if config is None:
        raise ValueError("strategy 'multi-worker' needs the environment variable TF_CONFIG "
                         "(a JSON cluster spec and this worker's task), got it unset or empty.")
    _check_resolvable(config)
    compat.install()
    with watchdog.watching(seconds, "the other workers to join the cluster"):
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
        _rendezvous(strategy, config)
    return strategy


def _rendezvous(strategy, config):
    """One all-reduce across the cluster before any work: every replica must answer. (A
    strategy created after TensorFlow started, or a cluster missing a peer, can otherwise come
    up as a lone worker that trains on its own and exits 0, seen here.)"""
    if config.num_workers == 1:
        return
    if not compat.is_multi_worker(strategy):
        raise RuntimeError(
            f"TF_CONFIG describes {config.num_workers} workers but TensorFlow started a "
            f"single-worker strategy: create the strategy before TensorFlow runs any op.")
    answered = strategy.reduce("SUM", strategy.run(lambda: tf.constant(1.0)), axis=None)
    expected = strategy.num_replicas_in_sync
    if int(round(float(answered))) != expected:
        raise RuntimeError(f"only {float(answered):.0f} of {expected} replicas answered the "
                           f"start-up all-reduce; peers: {config.peers}.")


def get_strategy(name="none", timeout=None):
    """A ``tf.distribute.Strategy`` by name.

    Args:
        name: "none" (TensorFlow's default strategy: this process, one device), "mirrored"
            (``MirroredStrategy`` over this machine's devices) or "multi-worker"
            (``MultiWorkerMirroredStrategy`` over the cluster described by ``$TF_CONFIG``).
        timeout: "multi-worker" only: seconds to wait for a peer before failing (default
            ``$KERAS_ZOO_PEER_TIMEOUT``, else ``DEFAULT_PEER_TIMEOUT``).
    """
    if name in (None, "none"):
        return tf.distribute.get_strategy()
    if name == "mirrored":
        # Only the symbolic-build half of the fix matters here; it is harmless and keeps one
        # code path for every strategy.
        compat.install()
        return tf.distribute.MirroredStrategy()
    if name == "multi-worker":
        return multi_worker_strategy(timeout)
    raise ValueError(f"strategy must be one of {STRATEGIES}, got {name!r}.")


def task_of(strategy=None):
    """``(task_type, task_index)`` of this process, or ``None`` outside a cluster."""
    if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        resolver = strategy.cluster_resolver
        if resolver.task_type is not None and compat.is_multi_worker(strategy):
            return resolver.task_type, int(resolver.task_id)
        return None
    if strategy is None:
        config = tf_config.read()
        if config is not None and config.num_workers > 1:
            return config.task_type, config.task_index
    return None


def is_chief(strategy=None) -> bool:
    """Whether this process writes checkpoints, logs and exports: always, unless it is a
    non-chief worker of a multi-worker cluster (``strategy``, or ``$TF_CONFIG`` if ``None``)."""
    task = task_of(strategy)
    if task is None:
        return True
    if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        cluster = strategy.cluster_resolver.cluster_spec().as_dict()
    else:
        cluster = tf_config.read().cluster
    return task[0] == "chief" or (task == ("worker", 0) and "chief" not in cluster)


def num_replicas(strategy) -> int:
    return int(strategy.num_replicas_in_sync)


def check_global_batch(batch_size, strategy):
    """The global batch must split evenly across the replicas; a ``ValueError`` names both."""
    n = num_replicas(strategy)
    if batch_size % n:
        raise ValueError(f"batch_size {batch_size} (the global batch) must be divisible by the "
                         f"number of replicas {n}: each replica takes batch_size / {n} "
                         f"examples per step. Try batch_size={max(n, batch_size // n * n)}.")
    return batch_size // n


def shard(dataset):
    """``dataset`` with an explicit auto-shard policy: DATA (every worker reads the whole
    pipeline and keeps its share of each global batch). The default (AUTO) would try to shard
    by file and fall back to DATA with a warning for in-memory datasets such as ours; stating it
    keeps the worker's share predictable (the same examples as one worker at that batch)."""
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = (
        tf.data.experimental.AutoShardPolicy.DATA)
    return dataset.with_options(options)


def resumed_epoch(backup) -> int:
    """The epoch ``BackupAndRestore`` will resume at from ``backup`` (0 without a backup)."""
    try:
        with open(os.path.join(backup, "training_metadata.json")) as f:
            return int(json.load(f).get("epoch", 0))
    except (OSError, ValueError, TypeError, AttributeError):
        return 0


def distribute_for_resume(strategy, dataset, backup=None, *, start_epoch=None):
    """``(dataset for fit, steps_per_epoch for fit)``, with the dataset's random order advanced
    to the epoch that ``BackupAndRestore`` resumes at from ``backup`` (or to ``start_epoch``),
    so that a resumed run sees the batches the uninterrupted run saw.

    A shuffled ``tf.data`` pipeline (and ``seeded_map``'s augmentation keys) draws a new order
    each time an iterator of it is created, and a restarted process starts that sequence again
    from the first order; ``dataset.repeat()`` draws the same sequence, one order per
    repetition. So creating (and dropping) ``e`` iterators first puts a resumed run back in
    step, whichever of the two ``fit`` gets.

    Under TensorFlow's default strategy (one process, one device) and with a known length,
    ``fit`` gets ``dataset.repeat()`` and ``steps_per_epoch``: one iterator for the whole run.
    Given the finite dataset instead, Keras 3.15's ``EpochIterator`` makes a new iterator for
    every epoch, and the first step of 40-60 % of the later epochs then stalled 0.25-0.31 s
    (steps of ~8 ms, epochs of ~0.32 s, ``keras-zoo benchmark resnet50 --against
    cached-tensors``: the recipe's pipeline and cached tensors alike); with one repeated
    dataset the first steps took 0.007-0.018 s. ``fit`` reads exactly ``steps x epochs``
    batches, and a repetition's iterator is made only when its first batch is asked for, so
    the run draws one order per epoch as before. Its iterator may have started the next
    repetition (drawn the next order) when ``fit`` ends, so a second ``fit`` (a two-phase run's
    phase 2) needs a new dataset advanced by ``start_epoch``, not the first one again.

    Under another strategy the dataset stays finite, distributed by the strategy, and ``fit``
    gets its length as ``steps_per_epoch`` (without it, Keras drops the iterator it made at the
    end of an epoch for a second one). Keras then starts epoch ``e`` on iterator ``e + 1``:
    the strategy's symbolic build takes one first. A repeated dataset is not used there:
    that first iterator, dropped after one batch, could have started a second repetition on a
    short epoch, and the count of orders drawn would depend on timing.

    The killed-run tests (``tests/training/test_resume.py``, ``tests/distributed``) fail if a
    Keras or TensorFlow release changes any of this.
    """
    length = int(dataset.cardinality().numpy())
    steps_per_epoch = length if length > 0 else None
    default = strategy is tf.distribute.get_strategy() and not tf.distribute.has_strategy()
    if not default:
        dataset = strategy.experimental_distribute_dataset(dataset)
    for _ in range(resumed_epoch(backup) if start_epoch is None else start_epoch):
        iter(dataset)
    if default and steps_per_epoch is not None:
        dataset = dataset.repeat()
    return dataset, steps_per_epoch


def backup_dir(out, strategy=None) -> str:
    """Where ``BackupAndRestore`` writes: ``<out>/backup`` for the chief (and a single process),
    ``<out>/backup-<type>-<index>`` for the other workers, so that workers sharing a file system
    never write the same file. Every worker keeps its own backup, since each one restores its
    own state when the cluster restarts."""
    task = task_of(strategy)
    if task is None or is_chief(strategy):
        return os.path.join(out, "backup")
    return os.path.join(out, f"backup-{task[0]}-{task[1]}")


@contextlib.contextmanager
def guard(strategy, timeout=None):
    """Bounds a multi-worker run: yields ``wrap(callbacks) -> callbacks`` for ``fit`` and
    ``evaluate``, adding callbacks that show progress to a watchdog, which ends the process
    after ``peer_timeout(timeout)`` seconds without any (a dead or unreachable peer). For any
    other strategy ``wrap`` returns the callbacks unchanged and no watchdog runs.

    The timeout must exceed the longest gap between two batches that a worker can spend
    waiting for its peers, which includes the chief's checkpoint saving and plotting at the
    end of an epoch: the default (``DEFAULT_PEER_TIMEOUT``) leaves ample room for that."""
    if not compat.is_multi_worker(strategy):
        yield list
        return
    with watchdog.watching(peer_timeout(timeout)) as dog:
        yield lambda callbacks=(): watchdog.callbacks(dog, list(callbacks))

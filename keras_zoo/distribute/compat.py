"""The Keras 3 multi-worker fix: ``model.fit`` under ``MultiWorkerMirroredStrategy``.

Keras 3 (checked on 3.15.1 with TensorFlow 2.21) breaks ``fit`` under a multi-worker
collective strategy in two places of ``keras/src/backend/tensorflow/trainer.py``:

1. ``TensorFlowTrainer._maybe_symbolic_build`` takes the first distributed batch and
   all-reduces it (``strategy.reduce("MEAN", batch, axis=None)``) only to learn its shapes and
   dtypes; across workers that is a cross-host collective on integer labels outside any
   ``tf.function``, which fails. One local replica's batch has the same shapes and dtypes.
2. ``reduce_per_replica`` reduces every log with ``strategy.reduce("MEAN", value, axis=0)``
   in multi-worker mode; the logs are scalars, which have no axis 0. ``axis=None`` is the
   mean across replicas, which is what the single-worker branch computes.

Upstream: keras-team/keras#20585 and tensorflow/tensorflow#72388 (both open when this was
written; dict inputs fail too, keras-team/keras#20329). REMOVE THIS MODULE when a Keras release
fixes both: delete ``install()``'s call in ``keras_zoo.distribute.strategies`` and this file,
then run ``pytest -m distributed`` (the multi-worker tests must still pass without it).

The fix patches ``TensorFlowTrainer`` (the base class of every Keras model on the TensorFlow
backend), so every keras-zoo model gets it, functional and subclassed alike, including those
with their own ``train_step`` (GANs, VAEs). Both patched functions behave exactly like the
originals except in the two broken cases, so installing it is harmless for single-process and
``MirroredStrategy`` runs.
"""

from __future__ import annotations

import contextlib
import threading

import tensorflow as tf
from keras import tree
from keras.src.backend.tensorflow import trainer as _tf_trainer

_lock = threading.Lock()
_originals = {}


def is_multi_worker(strategy) -> bool:
    """Whether ``strategy`` is a collective strategy spanning several workers."""
    return (isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
            and strategy.extended._in_multi_worker_mode())


def _first_local_replica(strategy, value):
    if isinstance(value, tf.distribute.DistributedValues):
        return strategy.experimental_local_results(value)[0]
    return value


def _maybe_symbolic_build(self, iterator=None, data_batch=None):
    """``TensorFlowTrainer._maybe_symbolic_build`` that builds from one local replica's batch
    instead of all-reducing the batch across workers (fix 1 in the module docstring)."""
    if self._distribute_strategy is None:
        return  # as upstream: without a strategy the model builds when the step is traced
    strategy = self.distribute_strategy
    if iterator is not None:
        for _, _, it in iterator:
            data_batch = tree.map_structure(
                lambda v: _first_local_replica(strategy, v), next(it))
            break
    with strategy.scope():
        self._symbolic_build(data_batch=data_batch)


def _reduce_per_replica(values, strategy, reduction):
    """``reduce_per_replica`` that reduces scalar logs with ``axis=None`` across workers (fix 2
    in the module docstring); everything else goes to the original."""
    original = _originals["reduce_per_replica"]
    if reduction not in ("auto", "mean") or not is_multi_worker(strategy):
        return original(values, strategy, reduction)

    def reduce(v):
        if v.shape.rank == 0:
            return strategy.reduce("MEAN", v, axis=None)
        return original(v, strategy, reduction)

    return tree.map_structure(reduce, values)


def installed() -> bool:
    return bool(_originals)


def install():
    """Installs the fix (idempotent, thread-safe)."""
    with _lock:
        if _originals:
            return
        _originals["reduce_per_replica"] = _tf_trainer.reduce_per_replica
        _originals["_maybe_symbolic_build"] = _tf_trainer.TensorFlowTrainer._maybe_symbolic_build
        # `_make_function` looks `reduce_per_replica` up in the module's globals at call time.
        _tf_trainer.reduce_per_replica = _reduce_per_replica
        _tf_trainer.TensorFlowTrainer._maybe_symbolic_build = _maybe_symbolic_build


def uninstall():
    """Restores Keras' own functions (for tests that show the fix is what makes fit work)."""
    with _lock:
        if not _originals:
            return
        _tf_trainer.reduce_per_replica = _originals.pop("reduce_per_replica")
        _tf_trainer.TensorFlowTrainer._maybe_symbolic_build = _originals.pop(
            "_maybe_symbolic_build")


@contextlib.contextmanager
def keras3_multi_worker_fix():
    """The fix for the duration of a ``with`` block (restored afterwards if it was not
    installed before)."""
    was_installed = installed()
    install()
    try:
        yield
    finally:
        if not was_installed:
            uninstall()

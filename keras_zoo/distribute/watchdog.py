"""A bound on every wait for a peer: the run fails instead of hanging.

A collective op waiting for a worker that never started, or that died, blocks inside
TensorFlow's runtime, where Python cannot interrupt it; the process also ignores SIGTERM then
(measured here: a worker whose peer never came hung for more than 10 minutes, through
``timeout``'s SIGTERM, with TensorFlow's ``cluster_register_timeout`` set to 10 s). So a thread
watches for progress instead: the strategy's start-up, every batch of ``fit``/``evaluate`` and
every epoch kick it; after ``timeout`` seconds without a kick it prints what happened and ends
the process with ``EXIT_CODE``.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time

import keras

#: Exit status of a run ended by the watchdog.
EXIT_CODE = 75  # EX_TEMPFAIL: the cluster may work when every peer is up


class Watchdog:
    """Ends the process if ``kick()`` is not called for ``timeout`` seconds.

    Args:
        timeout: seconds without progress before the process ends.
        what: what is being waited for, for the message.
    """

    def __init__(self, timeout, what="the other workers"):
        self.timeout, self.what = float(timeout), what
        self._last = time.monotonic()
        self._paused = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True, name="keras-zoo-watchdog")

    def start(self):
        self._last = time.monotonic()
        self._thread.start()
        return self

    def kick(self):
        self._last = time.monotonic()

    def pause(self):
        """Stops counting while this process does its own work (the chief's checkpoints and
        plots at the end of an epoch): that is no wait for a peer."""
        self._paused += 1

    def resume(self):
        self._paused = max(0, self._paused - 1)
        self.kick()

    def stop(self):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _watch(self):
        while not self._stop.wait(min(1.0, self.timeout / 4)):
            waited = time.monotonic() - self._last
            if self._paused:
                self.kick()
            elif waited > self.timeout:
                sys.stderr.write(
                    f"keras-zoo: no progress for {waited:.0f} s (peer timeout {self.timeout:.0f} "
                    f"s) waiting for {self.what}: a peer is unreachable or has died. Check "
                    f"TF_CONFIG and that every worker is running; restart all workers with the "
                    f"same command to resume from the last backup. Exiting with status "
                    f"{EXIT_CODE}.\n")
                sys.stderr.flush()
                sys.stdout.flush()
                os._exit(EXIT_CODE)  # a thread cannot interrupt a blocked collective op


class ProgressCallback(keras.callbacks.Callback):
    """Kicks a ``Watchdog`` at every batch and epoch of ``fit``, ``evaluate`` and ``predict``.

    ``callbacks(dog, others)`` puts a pausing copy before the other callbacks and a resuming
    one after them, so that the time they take at the start and end of training and epochs
    (saving, plotting) is not counted as waiting for a peer.
    """

    def __init__(self, watchdog, role="kick"):
        super().__init__()
        self.watchdog, self.role = watchdog, role

    def _kick(self, *args, **kwargs):
        self.watchdog.kick()

    def _around(self, *args, **kwargs):
        if self.role == "pause":
            self.watchdog.pause()
        elif self.role == "resume":
            self.watchdog.resume()
        else:
            self.watchdog.kick()

    on_train_begin = on_train_end = on_epoch_begin = on_epoch_end = _around
    on_train_batch_begin = on_train_batch_end = _kick
    on_test_begin = on_test_end = on_test_batch_begin = on_test_batch_end = _kick
    on_predict_begin = on_predict_end = on_predict_batch_begin = on_predict_batch_end = _kick


def callbacks(dog, others):
    """``others`` wrapped between a pausing and a resuming ``ProgressCallback`` of ``dog``."""
    return [ProgressCallback(dog, "pause"), *others, ProgressCallback(dog, "resume")]


@contextlib.contextmanager
def watching(timeout, what="the other workers"):
    """A ``Watchdog`` running for the duration of the ``with`` block."""
    dog = Watchdog(timeout, what).start()
    try:
        yield dog
    finally:
        dog.stop()

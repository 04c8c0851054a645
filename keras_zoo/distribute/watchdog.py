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
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True, name="keras-zoo-watchdog")

    def start(self):
        self._last = time.monotonic()
        self._thread.start()
        return self

    def kick(self):
        self._last = time.monotonic()

    def stop(self):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _watch(self):
        while not self._stop.wait(min(1.0, self.timeout / 4)):
            waited = time.monotonic() - self._last
            if waited > self.timeout:
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
    """Kicks a ``Watchdog`` at every batch and epoch of ``fit``, ``evaluate`` and ``predict``."""

    def __init__(self, watchdog):
        super().__init__()
        self.watchdog = watchdog

    def _kick(self, *args, **kwargs):
        self.watchdog.kick()

    on_train_begin = on_train_end = on_epoch_begin = on_epoch_end = _kick
    on_train_batch_begin = on_train_batch_end = _kick
    on_test_begin = on_test_end = on_test_batch_begin = on_test_batch_end = _kick
    on_predict_begin = on_predict_end = on_predict_batch_begin = on_predict_batch_end = _kick


@contextlib.contextmanager
def watching(timeout, what="the other workers"):
    """A ``Watchdog`` running for the duration of the ``with`` block."""
    dog = Watchdog(timeout, what).start()
    try:
        yield dog
    finally:
        dog.stop()

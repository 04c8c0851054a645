"""A bound on every wait for a peer: the run fails instead of hanging.

A worker waiting for a peer that never started, or that died, can block inside TensorFlow's
runtime in a call that holds Python's GIL, so that no Python thread or signal handler of the
process runs again; the process also ignores SIGTERM then. Measured here: a worker whose peer
never came hung in ``MultiWorkerMirroredStrategy()`` for more than 10 minutes, through
``timeout``'s SIGTERM and a watchdog *thread*, with TensorFlow's ``cluster_register_timeout``
set to 10 s. So the watchdog is a small separate process (standard library only): the worker
kicks it through a pipe at start-up and at every batch and epoch; after ``timeout`` seconds
without a kick it prints what happened and SIGKILLs the worker. It exits by itself when the
worker closes the pipe (finished, or died).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys

import keras

_WATCHER = r"""
import os, select, signal, sys, time
parent, timeout, what = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
fd, last, paused = sys.stdin.fileno(), time.monotonic(), 0
while True:
    ready, _, _ = select.select([fd], [], [], min(1.0, timeout / 4))
    if ready:
        data = os.read(fd, 4096)
        if not data or b"q" in data:
            sys.exit(0)
        paused = max(0, paused + data.count(b"p") - data.count(b"r"))
        last = time.monotonic()
    elif paused:
        last = time.monotonic()
    waited = time.monotonic() - last
    if waited > timeout:
        sys.stderr.write(
            "keras-zoo: no progress for %.0f s (peer timeout %.0f s) waiting for %s: a peer is "
            "unreachable or has died. Check TF_CONFIG and that every worker is running; restart "
            "all workers with the same command to resume from the last backup. Killing worker "
            "process %d.\n" % (waited, timeout, what, parent))
        sys.stderr.flush()
        os.kill(parent, signal.SIGKILL)
        sys.exit(1)
"""

#: What the watchdog prints before it kills a worker (tests look for it).
MESSAGE = "a peer is unreachable or has died"


class Watchdog:
    """SIGKILLs this process if ``kick()`` is not called for ``timeout`` seconds (time between
    ``pause()`` and ``resume()`` does not count).

    Args:
        timeout: seconds without progress before the process is killed.
        what: what is being waited for, for the message.
    """

    def __init__(self, timeout, what="the other workers"):
        self.timeout, self.what = float(timeout), what
        self._proc = None

    def start(self):
        self._proc = subprocess.Popen(
            [sys.executable, "-c", _WATCHER, str(os.getpid()), str(self.timeout), self.what],
            stdin=subprocess.PIPE, close_fds=True)
        return self

    def _send(self, code):
        if self._proc is None:
            return
        try:
            os.write(self._proc.stdin.fileno(), code)
        except (BrokenPipeError, OSError, ValueError):
            pass

    def kick(self):
        self._send(b"k")

    def pause(self):
        """Stops counting while this process does its own work (the chief's checkpoints and
        plots at the end of an epoch): that is no wait for a peer."""
        self._send(b"p")

    def resume(self):
        self._send(b"r")

    def stop(self):
        if self._proc is None:
            return
        self._send(b"q")
        with contextlib.suppress(OSError, ValueError):
            self._proc.stdin.close()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._proc = None


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
        {"pause": self.watchdog.pause, "resume": self.watchdog.resume}.get(
            self.role, self.watchdog.kick)()

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

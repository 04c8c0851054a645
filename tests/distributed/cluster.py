"""Real worker processes on 127.0.0.1 for the distributed tests.

Ports are chosen free at run time, every wait has a deadline, and ``Cluster`` is a context
manager that SIGKILLs and reaps whatever is still running when it exits, on failure too.
(SIGKILL, since a TensorFlow worker blocked in a collective op ignores SIGTERM.)
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_ports(n):
    """``n`` distinct ports that were free a moment ago (all held open while choosing)."""
    sockets = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def tf_config(ports, index):
    return json.dumps({"cluster": {"worker": [f"127.0.0.1:{p}" for p in ports]},
                       "task": {"type": "worker", "index": index}})


def worker_env(tf_config_value=None, peer_timeout=90):
    env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    env.update(TF_CPP_MIN_LOG_LEVEL="2", KERAS_ZOO_PEER_TIMEOUT=str(peer_timeout),
               PYTHONPATH=REPO + os.pathsep + env.get("PYTHONPATH", ""))
    if tf_config_value is not None:
        env["TF_CONFIG"] = tf_config_value
    return env


class Cluster:
    """``workers`` processes of ``python -m tests.distributed.worker <args>``; worker ``i``
    writes ``<result_prefix><i>.npz`` and logs to ``<log_dir>/worker<i>.log``.

    ``workers=1`` with ``multi_worker=True`` is a one-worker cluster (the baseline at the same
    global batch); ``multi_worker=False`` runs without ``TF_CONFIG``.
    """

    def __init__(self, workers, args, log_dir, result_prefix, peer_timeout=90,
                 multi_worker=True):
        self.workers, self.args, self.log_dir = workers, list(args), str(log_dir)
        self.result_prefix, self.peer_timeout = str(result_prefix), peer_timeout
        self.multi_worker = multi_worker
        self.procs, self._logs = [], []

    def result(self, i=0):
        return f"{self.result_prefix}{i}.npz"

    def log(self, i=0):
        return os.path.join(self.log_dir, f"worker{i}.log")

    def start(self):
        os.makedirs(self.log_dir, exist_ok=True)
        ports = free_ports(self.workers)
        for i in range(self.workers):
            config = tf_config(ports, i) if self.multi_worker else None
            if os.path.exists(self.result(i)):
                os.remove(self.result(i))
            log = open(self.log(i), "a")
            self._logs.append(log)
            strategy = ["--strategy", "multi-worker"] if self.multi_worker else []
            self.procs.append(subprocess.Popen(
                [sys.executable, "-m", "tests.distributed.worker", *self.args, *strategy,
                 "--result", self.result(i)],
                cwd=REPO, env=worker_env(config, self.peer_timeout), stdout=log,
                stderr=subprocess.STDOUT))
        return self

    def tail(self, i, chars=3000):
        try:
            with open(self.log(i)) as f:
                return f.read()[-chars:]
        except OSError:
            return ""

    def wait(self, timeout):
        """Waits for every worker (at most ``timeout`` s); their exit codes."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(p.poll() is None for p in self.procs):
            time.sleep(0.2)
        if any(p.poll() is None for p in self.procs):
            self.kill()
            raise AssertionError(f"workers still running after {timeout} s; killed. Logs:\n"
                                 + "\n".join(self.tail(i) for i in range(self.workers)))
        return [p.returncode for p in self.procs]

    def check(self, timeout):
        codes = self.wait(timeout)
        assert codes == [0] * self.workers, (
            f"exit codes {codes}; logs:\n" + "\n".join(self.tail(i) for i in range(self.workers)))
        return [load(self.result(i)) for i in range(self.workers)]

    def kill(self, i=None):
        for j, p in enumerate(self.procs):
            if (i is None or i == j) and p.poll() is None:
                p.send_signal(signal.SIGKILL)
        for j, p in enumerate(self.procs):
            if i is None or i == j:
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    pass

    def close(self):
        self.kill()
        for log in self._logs:
            log.close()
        self._logs = []

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()


def load(path):
    with np.load(path, allow_pickle=False) as data:
        weights = [data[f"weight_{i}"] for i in range(sum(k.startswith("weight_")
                                                          for k in data.files))]
        history = {k[len("history_"):]: data[k] for k in data.files if k.startswith("history_")}
        replicas, multi_worker = int(data["replicas"]), bool(data["multi_worker"])
    return {"weights": weights, "history": history, "replicas": replicas,
            "multi_worker": multi_worker}


def max_weight_difference(a, b):
    assert len(a["weights"]) == len(b["weights"])
    return max(float(np.max(np.abs(x - y))) for x, y in zip(a["weights"], b["weights"], strict=True))

"""Client side of fresh_check.py: run SavedModels in a Python process without keras_zoo."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

import numpy as np

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fresh_check.py")


def _env():
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)  # nothing of ours on the path: the script runs from its files
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


class FreshProcess:
    """One long-lived fresh process that runs many SavedModels (one TensorFlow import).

    Use as a context manager; ``run(saved_model, inputs) -> (outputs, report)``.
    """

    def __init__(self, timeout=300):
        self.timeout = timeout
        self.tmp = tempfile.TemporaryDirectory(prefix="keras_zoo_fresh_")
        self.proc = subprocess.Popen(
            [sys.executable, SCRIPT, "--serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True, env=_env(), cwd=self.tmp.name)
        self.count = 0

    def run(self, saved_model, inputs: dict):
        self.count += 1
        inp = os.path.join(self.tmp.name, f"in{self.count}.npz")
        out = os.path.join(self.tmp.name, f"out{self.count}.npz")
        np.savez(inp, **inputs)
        request = {"saved_model": os.path.abspath(saved_model), "inputs": inp, "outputs": out}
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the fresh SavedModel process died")
        report = json.loads(line)
        if not report["ok"]:
            return None, report
        with np.load(out) as data:
            outputs = {k: data[k] for k in data.files}
        return outputs, report

    def close(self):
        if self.proc.poll() is None:
            if self.count:
                self.proc.stdin.close()  # the server ends at the end of its input
            else:  # never used (what came before it failed): no need to await its imports
                self.proc.kill()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout):
            if not pipe.closed:
                pipe.close()
        self.tmp.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def run_fresh(saved_model, inputs: dict, timeout=300):
    """One-shot: a new process loads ``saved_model`` and runs ``serving_default`` on inputs."""
    with tempfile.TemporaryDirectory(prefix="keras_zoo_fresh_") as tmp:
        inp, out = os.path.join(tmp, "in.npz"), os.path.join(tmp, "out.npz")
        np.savez(inp, **inputs)
        proc = subprocess.run(
            [sys.executable, SCRIPT, os.path.abspath(saved_model), inp, out],
            capture_output=True, text=True, env=_env(), cwd=tmp, timeout=timeout)
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
        if not lines:
            raise RuntimeError(f"fresh process failed: {proc.stderr[-2000:]}")
        report = json.loads(lines[-1])
        if not report["ok"]:
            return None, report
        with np.load(out) as data:
            return {k: data[k] for k in data.files}, report

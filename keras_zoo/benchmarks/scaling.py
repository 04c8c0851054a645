"""Scaling efficiency of N workers against one (``keras-zoo benchmark --strategy multi-worker``).

Starts real worker processes on 127.0.0.1 (free ports, ``TF_CONFIG`` each), first a one-worker
cluster, then an N-worker one, at the same **global** batch. Each trains the registry model with
``fit`` under ``MultiWorkerMirroredStrategy`` and times its epochs after a warm-up epoch (which
traces the step function). Scaling efficiency = throughput(N) / (N * throughput(1)), where
throughput is training examples per second of the whole cluster; 1.0 is perfect scaling.

On one machine the workers share its cores and talk over loopback: with 2 cores, expect well
below 1. The figure measures the overhead of the collective all-reduce, not what several machines
would give.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

#: The defaults of ``compare_scaling``'s options.
DEFAULTS = dict(model="mlp", preset="tiny", workers=2, batch_size=64, epochs=3, steps=40,
                timeout=600.0)


def _worker_parser():
    """The options a worker process is started with (``_cluster``)."""
    parser = argparse.ArgumentParser(prog="python -m keras_zoo.benchmarks.scaling")
    parser.add_argument("--worker", required=True, help="the chief writes its timing here")
    parser.add_argument("--model", required=True)
    parser.add_argument("--preset", required=True)
    for name in ("--batch-size", "--epochs", "--steps"):
        parser.add_argument(name, type=int, required=True)
    return parser


def _check(args):
    for name in ("workers", "batch_size", "steps"):
        value = getattr(args, name)
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be a positive int, got {value!r}.")
    if args.workers < 2:
        raise ValueError(f"--workers must be >= 2 to compare with one worker, got {args.workers}.")
    if args.epochs < 2:
        raise ValueError(f"--epochs must be >= 2 (one warm-up epoch), got {args.epochs}.")
    if args.batch_size % args.workers:
        raise ValueError(f"--batch-size {args.batch_size} must be divisible by --workers "
                         f"{args.workers}.")


def _free_ports(n):
    sockets = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _cluster(workers, args, tmp):
    """Runs a cluster of ``workers`` processes; the chief's timing dict."""
    ports = _free_ports(workers)
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    result = os.path.join(tmp, f"timing-{workers}.json")
    procs = []
    try:
        for i in range(workers):
            env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2",
                       TF_CONFIG=json.dumps({"cluster": cluster,
                                             "task": {"type": "worker", "index": i}}))
            log = open(os.path.join(tmp, f"worker-{workers}-{i}.log"), "w")
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "keras_zoo.benchmarks.scaling", "--worker", result,
                 "--model", args.model, "--preset", args.preset, "--batch-size",
                 str(args.batch_size), "--epochs", str(args.epochs), "--steps", str(args.steps)],
                env=env, stdout=log, stderr=subprocess.STDOUT))
            log.close()
        deadline = time.monotonic() + args.timeout
        while time.monotonic() < deadline and any(p.poll() is None for p in procs):
            time.sleep(0.2)
        codes = [p.poll() for p in procs]
        if codes != [0] * workers:
            raise RuntimeError(f"{workers}-worker cluster failed or timed out (exit codes "
                               f"{codes}); logs in {tmp}.")
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGKILL)  # a worker blocked in a collective ignores TERM
            p.wait()
    with open(result) as f:
        return json.load(f)


def _worker(args):
    """One worker: fit the model under MultiWorkerMirroredStrategy, time epochs 2.."""
    import keras

    import keras_zoo
    from keras_zoo import distribute
    from keras_zoo.tasks import get_task

    strategy = distribute.get_strategy("multi-worker")
    distribute.check_global_batch(args.batch_size, strategy)
    entry = keras_zoo.models.info(args.model)
    task = get_task(entry.task)
    keras.utils.set_random_seed(0)
    with strategy.scope():
        model = entry.build(args.preset)
        ds = task.dataset(model, entry, "train", args.batch_size, 0, drop_remainder=True)
        ds = distribute.shard(ds.repeat().take(args.steps))
        task.compile(model, entry)

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            seconds.append(time.perf_counter() - self.start)

    seconds = []
    with distribute.guard(strategy) as watched:
        model.fit(ds, epochs=args.epochs, verbose=0, callbacks=watched([Timer()]))
    if distribute.is_chief(strategy):
        timed = seconds[1:]  # the first epoch traces the step function
        with open(args.worker, "w") as f:
            json.dump({"replicas": strategy.num_replicas_in_sync, "epoch_seconds": seconds,
                       "examples_per_second": args.batch_size * args.steps * len(timed)
                       / sum(timed)}, f)
    return 0


def compare_scaling(out=print, **options) -> float:
    """Trains ``model`` on a 1-worker and a ``workers``-worker cluster at the same global batch;
    prints the table and returns the scaling efficiency.

    Args:
        out: where the lines go.
        **options: ``model``, ``preset``, ``workers``, ``batch_size`` (global), ``epochs``
            (the first is a warm-up, not timed), ``steps`` (per epoch), ``timeout`` (seconds
            before a cluster is killed); defaults ``DEFAULTS``.
    """
    unknown = sorted(set(options) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"benchmark scaling: unknown options {unknown}; it accepts "
                         f"{sorted(DEFAULTS)}.")
    args = argparse.Namespace(**{**DEFAULTS, **options})
    _check(args)
    with tempfile.TemporaryDirectory(prefix="keras-zoo-bench-") as tmp:
        one = _cluster(1, args, tmp)
        many = _cluster(args.workers, args, tmp)
    n = args.workers
    efficiency = many["examples_per_second"] / (n * one["examples_per_second"])
    out(f"model {args.model} ({args.preset}), global batch {args.batch_size}, "
        f"{args.steps} steps x {args.epochs - 1} timed epochs, {os.cpu_count()} CPU cores")
    out(f"{'workers':>8} {'replicas':>9} {'examples/s':>11}")
    for workers, r in ((1, one), (n, many)):
        out(f"{workers:>8} {r['replicas']:>9} {r['examples_per_second']:>11.1f}")
    out(f"scaling efficiency ({n} workers vs 1): {efficiency:.3f} "
        f"(speed-up {efficiency * n:.2f}x; 1.0 = perfect; all workers share this machine)")
    return efficiency


if __name__ == "__main__":  # one worker process of a cluster started by ``_cluster``
    sys.exit(_worker(_worker_parser().parse_args()))

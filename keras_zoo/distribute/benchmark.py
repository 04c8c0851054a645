"""``keras-zoo benchmark --strategy multi-worker``: scaling efficiency of N workers against one.

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


def add_arguments(parser):
    """Adds the benchmark's options to an ``argparse`` parser."""
    parser.add_argument("--model", default="mlp", help="registry name (default: mlp)")
    parser.add_argument("--preset", default="tiny", help="model preset (default: tiny)")
    parser.add_argument("--workers", type=int, default=2, help="workers to compare with one")
    parser.add_argument("--batch-size", type=int, default=64, help="global batch (default 64)")
    parser.add_argument("--epochs", type=int, default=3,
                        help="epochs; the first is a warm-up and is not timed (default 3)")
    parser.add_argument("--steps", type=int, default=40, help="steps per epoch (default 40)")
    parser.add_argument("--timeout", type=float, default=600,
                        help="seconds before a cluster is killed (default 600)")
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
                [sys.executable, "-m", "keras_zoo.distribute.benchmark", "--worker", result,
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


def run(args) -> int:
    """Runs the benchmark (``args`` from a parser given ``add_arguments``); prints the table and
    the scaling efficiency; returns the exit code."""
    _check(args)
    with tempfile.TemporaryDirectory(prefix="keras-zoo-bench-") as tmp:
        one = _cluster(1, args, tmp)
        many = _cluster(args.workers, args, tmp)
    n = args.workers
    efficiency = many["examples_per_second"] / (n * one["examples_per_second"])
    print(f"model {args.model} ({args.preset}), global batch {args.batch_size}, "
          f"{args.steps} steps x {args.epochs - 1} timed epochs, {os.cpu_count()} CPU cores")
    print(f"{'workers':>8} {'replicas':>9} {'examples/s':>11}")
    for workers, r in ((1, one), (n, many)):
        print(f"{workers:>8} {r['replicas']:>9} {r['examples_per_second']:>11.1f}")
    print(f"scaling efficiency ({n} workers vs 1): {efficiency:.3f} "
          f"(speed-up {efficiency * n:.2f}x; 1.0 = perfect; all workers share this machine)")
    return 0


def main(argv=None) -> int:
    parser = add_arguments(argparse.ArgumentParser(prog="keras-zoo benchmark --strategy "
                                                        "multi-worker", description=__doc__))
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return _worker(args)
    try:
        return run(args)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

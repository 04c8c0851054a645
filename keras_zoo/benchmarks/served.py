"""Images per second of exported SavedModels (``keras-zoo benchmark MODEL --served``): ours with
its batch norms folded into the layers before them, against keras.applications' twin exported
the plain way, and a second plain export of the twin as the control (its ratio is the noise).

Both are exported by ``model.export`` (Keras' ``serve`` endpoint on float images) and loaded back
with ``tf.saved_model.load``, so the ratio measures the graphs, not the export harness. The three
are timed in interleaved rounds (``keras_zoo.benchmarks.rounds``: the order rotating each round);
the per-round ratios are reported as their median, interval and range, never only the best
round.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time


def _export(model, path):
    import tensorflow as tf

    model.export(path, format="tf_saved_model", verbose=False)
    return tf.saved_model.load(path)  # kept: its ``serve`` references the loaded variables


def compare_served(ours, theirs, *, batch_size=8, steps=20, rounds=None, seed=0, out=print):
    """Returns ``{"ours": ratios, "control": ratios}``, the per-round throughput ratios of our
    folded export and of the twin's second export, each over the twin's plain export.

    Args:
        ours, theirs: two models with the same input and output shapes.
        batch_size: images per call.
        steps: timed calls per model per round.
        rounds: interleaved rounds, or None: until ±5 % is resolved
            (``keras_zoo.benchmarks.rounds.run``).
        seed: the random input's seed.
        out: where the lines go.
    """
    import numpy as np
    import tensorflow as tf

    from keras_zoo.benchmarks import rounds as rounds_
    from keras_zoo.export.fold import fold_batch_norms

    if tuple(ours.input_shape) != tuple(theirs.input_shape):
        raise ValueError(f"benchmark: input shapes differ: {ours.input_shape} vs "
                         f"{theirs.input_shape}.")
    folded = fold_batch_norms(ours)
    out(f"fold: {len(folded.folded)} batch norms folded, {len(folded.skipped)} kept"
        + (f" ({folded.reason})" if folded.reason else ""))
    x = tf.constant(np.random.default_rng(seed).uniform(
        0, 1, (batch_size, *ours.input_shape[1:])).astype(np.float32))
    with tempfile.TemporaryDirectory() as root:
        loaded = [_export(m, os.path.join(root, name)) for m, name in
                  ((folded.model, "ours"), (theirs, "theirs"), (theirs, "control"))]
        serves = [m.serve for m in loaded]
        difference = float(np.max(np.abs(serves[0](x).numpy()
                                          - np.asarray(ours(x, training=False)))))
        out(f"served folded export vs the unfolded model: max difference {difference:.2e}")
        for serve in serves:
            serve(x).numpy()  # the first call is not timed

        def timer(serve):
            def speed():
                start = time.perf_counter()
                for _ in range(steps):
                    serve(x).numpy()
                return steps * batch_size / (time.perf_counter() - start)
            return speed

        speeds = rounds_.run([timer(serve) for serve in serves], rounds=rounds,
                             pairs=((0, 1), (2, 1)))
    ratios = {"ours": rounds_.ratios(speeds[0], speeds[1]),
              "control": rounds_.ratios(speeds[2], speeds[1])}
    out(f"served, batch {batch_size}, {steps} calls x {len(speeds[0])} interleaved rounds; "
        "ratios per round: median [95% interval of the median] and range")
    out(f"  img/s (median): ours folded {statistics.median(speeds[0]):.2f}, theirs plain "
        f"{statistics.median(speeds[1]):.2f}, control {statistics.median(speeds[2]):.2f}")
    summaries = {name: rounds_.Summary.of(values) for name, values in ratios.items()}
    for name, summary in summaries.items():
        out(f"  {name:8s} / theirs: {summary.text()}")
    out("  verdict: " + rounds_.verdict(*summaries.values()))
    return ratios

"""Images per second of exported SavedModels (``keras-zoo benchmark MODEL --served``): ours with
its batch norms folded into the layers before them, against keras.applications' twin exported
the plain way, and a second plain export of the twin as the control (its ratio is the noise).

Both are exported by ``model.export`` (Keras' ``serve`` endpoint on float images) and loaded back
with ``tf.saved_model.load``, so the ratio measures the graphs, not the export harness. The three
are timed in interleaved rounds (the order rotating each round); the per-round ratios are
reported as their median and their range, never only the best round.
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


def compare_served(ours, theirs, *, batch_size=8, steps=20, rounds=7, seed=0, out=print):
    """Returns ``{"ours": ratios, "control": ratios}``, the per-round throughput ratios of our
    folded export and of the twin's second export, each over the twin's plain export.

    Args:
        ours, theirs: two models with the same input and output shapes.
        batch_size: images per call.
        steps: timed calls per model per round.
        rounds: interleaved rounds.
        seed: the random input's seed.
        out: where the lines go.
    """
    import numpy as np
    import tensorflow as tf

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
        speeds = [[], [], []]
        for r in range(rounds):
            for i in [(r + k) % 3 for k in range(3)]:
                start = time.perf_counter()
                for _ in range(steps):
                    serves[i](x).numpy()
                speeds[i].append(steps * batch_size / (time.perf_counter() - start))
    ratios = {"ours": [a / b for a, b in zip(speeds[0], speeds[1], strict=True)],
              "control": [a / b for a, b in zip(speeds[2], speeds[1], strict=True)]}
    out(f"served, batch {batch_size}, {steps} calls x {rounds} interleaved rounds:")
    out(f"  img/s (median): ours folded {statistics.median(speeds[0]):.2f}, theirs plain "
        f"{statistics.median(speeds[1]):.2f}, control {statistics.median(speeds[2]):.2f}")
    for name, values in ratios.items():
        out(f"  {name:8s} / theirs: median {statistics.median(values):.3f}, "
            f"range {min(values):.3f}-{max(values):.3f}")
    return ratios

"""Throughput of exported SavedModels (``keras-zoo benchmark MODEL --served``): ours as
``keras-zoo export`` serves it, against the reference model exported the plain way, and a
second plain export of the reference as the control (its ratio is the noise).

Ours is the task's serving model with its batch norms folded (``keras_zoo.export.bundle.
served_model``) and its Transformer encoders simplified (``keras_zoo.export.fold_transformer``:
fused self-attention, layer-norm scale and shift folded forward); the reference is
keras.applications' twin (``--against keras.applications``) or keras-hub's backbone with the
same head (``--against keras-hub``). All three are exported by ``model.export`` (Keras'
``serve`` endpoint on the model's one input: float images or int32 token ids) and loaded back
with ``tf.saved_model.load``, so the ratio measures the graphs, not the export harness. The
three are timed in interleaved rounds (``keras_zoo.benchmarks.rounds``: the order rotating each
round); the per-round ratios are reported as their median, interval and range, never only the
best round.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time

#: Seconds a model's timed calls last per round when ``steps`` is None.
TARGET_SECONDS = 2.0


def _export(model, path):
    import tensorflow as tf

    model.export(path, format="tf_saved_model", verbose=False)
    return tf.saved_model.load(path)  # kept: its ``serve`` references the loaded variables


def served(ours, task=None, out=print):
    """The model ``keras-zoo export`` serves for ``ours``: ``bundle.served_model(task, ours)``
    (batch norms folded, then Transformer encoders simplified). ``task`` None: the model is its
    own serving model (the same two steps on it)."""
    from keras_zoo.export.fold import fold_batch_norms
    from keras_zoo.export.fold_transformer import simplify_transformers

    if task is None:
        folded = fold_batch_norms(ours)
        simplified = simplify_transformers(folded.model)
    else:
        from keras_zoo.export.bundle import served_model

        folded = served_model(task, ours)
        simplified = folded.transformer
    out(f"fold: {len(folded.folded)} batch norms folded, {len(folded.rewritten)} rewritten as "
        f"1x1 depthwise convolutions, {len(folded.skipped)} kept"
        + (f" ({folded.reason})" if folded.reason else ""))
    out(f"transformer: {len(simplified.fused)} self-attention layers fused, "
        f"{len(simplified.folded)} layer-norm scales folded forward, "
        f"{len(simplified.flattened)} Dense layers on tokens flattened"
        + (f" ({simplified.reason})" if simplified.reason else ""))
    return simplified.model


def compare_served(ours, theirs, *, batch_size=None, steps=20, rounds=None, seed=0, x=None,
                   task=None, out=print):
    """Returns ``{"ours": ratios, "control": ratios}``, the per-round throughput ratios of our
    served export (``served``) and of the reference's second export, each over the reference's
    plain export.

    Args:
        ours, theirs: two models with the same one input and output shapes.
        batch_size: examples per call of the random images (default 8); with ``x``, None
            or ``x``'s first dimension.
        steps: timed calls per model per round; None: as many as last about
            ``TARGET_SECONDS`` (from the slowest model's first timed call).
        rounds: interleaved rounds, or None: until ±5 % is resolved
            (``keras_zoo.benchmarks.rounds.run``).
        seed: the random images' seed.
        x: the input batch (token ids for a text model); default uniform [0, 1) images.
        task: ours' ``keras_zoo.tasks`` task (``served``); None: fold only.
        out: where the lines go.
    """
    import numpy as np
    import tensorflow as tf

    from keras_zoo.benchmarks import rounds as rounds_

    if tuple(ours.input_shape) != tuple(theirs.input_shape):
        raise ValueError(f"benchmark: input shapes differ: {ours.input_shape} vs "
                         f"{theirs.input_shape}.")
    if steps is not None and (not isinstance(steps, int) or isinstance(steps, bool)
                              or steps < 1):
        raise ValueError(f"benchmark --served: steps must be a positive int or None, got "
                         f"{steps!r}.")
    if x is None:
        x = np.random.default_rng(seed).uniform(
            0, 1, (batch_size or 8, *ours.input_shape[1:])).astype(np.float32)
    elif batch_size is not None and batch_size != x.shape[0]:
        raise ValueError(f"benchmark --served: batch_size {batch_size} differs from the given "
                         f"batch's {x.shape[0]} examples.")
    x = tf.constant(x)
    batch_size = int(x.shape[0])
    model = served(ours, task, out)
    with tempfile.TemporaryDirectory() as root:
        loaded = [_export(m, os.path.join(root, name)) for m, name in
                  ((model, "ours"), (theirs, "theirs"), (theirs, "control"))]
        serves = [m.serve for m in loaded]
        reference = np.asarray(ours(x, training=False), np.float64)
        difference = float(np.max(np.abs(serves[0](x).numpy() - reference)))
        relative = difference / max(float(np.max(np.abs(reference))), 1e-30)
        out(f"served export vs the unsimplified model: max difference {difference:.2e} "
            f"(relative {relative:.1e})")
        seconds = []
        for serve in serves:  # the first call is not timed, the second sizes ``steps``
            serve(x).numpy()
            start = time.perf_counter()
            serve(x).numpy()
            seconds.append(time.perf_counter() - start)
        if steps is None:
            steps = max(1, round(TARGET_SECONDS / max(seconds)))

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
    out(f"  examples/s (median): ours served {statistics.median(speeds[0]):.2f}, theirs plain "
        f"{statistics.median(speeds[1]):.2f}, control {statistics.median(speeds[2]):.2f}")
    summaries = {name: rounds_.Summary.of(values) for name, values in ratios.items()}
    for name, summary in summaries.items():
        out(f"  {name:8s} / theirs: {summary.text()}")
    out("  verdict: " + rounds_.verdict(*summaries.values()))
    return ratios

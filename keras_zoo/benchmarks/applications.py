"""Images per second of our model and of keras.applications' same architecture, in one
process, on the same random input (``keras-zoo benchmark MODEL``).

Three measurements per model: ``predict`` (Keras' batched inference loop), ``call`` (a plain
``tf.function`` around ``model(x, training=False)``, what a serving graph runs) and ``train``
(one optimiser step of ``train_on_batch``). Ours, theirs and a control (a second copy of theirs)
run in every round, interleaved (``keras_zoo.benchmarks.rounds``); the ratios ours / theirs and
control / theirs are taken within each round and reported as median, confidence interval of
the median and range (> 1: faster than theirs). The control's ratio is the noise floor.
"""

from __future__ import annotations

import math
import time

MODES = ("predict", "call", "train")


def application_for(name):
    """The keras.applications constructor with the same architecture as registry ``name``
    (names compared without case and underscores: ``mobilenetv2`` -> ``MobileNetV2``)."""
    import keras

    key = name.lower().replace("_", "")
    for attr in dir(keras.applications):
        if attr[:1].isupper() and attr.lower() == key:
            return getattr(keras.applications, attr)
    raise ValueError(
        f"benchmark: {name!r} has no keras.applications twin; models with one are for "
        "example resnet50, resnet50v2, densenet121, mobilenetv2, vgg16, efficientnetb0.")


def build_pair(name, input_shape=None, classes=None):
    """Our canonical ``name`` and keras.applications' twin, both with ``weights=None``."""
    import keras_zoo

    reference = application_for(name)
    overrides = {}
    if input_shape is not None:
        overrides["input_shape"] = tuple(input_shape)
    if classes is not None:
        overrides["classes"] = classes
    ours = keras_zoo.models.get(name, "canonical", **overrides)
    shape = tuple(ours.input_shape[1:])
    theirs = reference(weights=None, input_shape=shape, classes=ours.output_shape[-1])
    if ours.count_params() != theirs.count_params():
        raise ValueError(
            f"benchmark: {name} has {ours.count_params():,} parameters, keras.applications' "
            f"{reference.__name__} {theirs.count_params():,}: not the same architecture.")
    return ours, theirs


def op_census(model, training=False):
    """``collections.Counter`` of the TensorFlow op types in the traced ``model(x)`` graph.

    Differences between two implementations of the same architecture show up here first: for
    example keras.applications builds ``BatchNormalization(axis=3)``, for which Keras 3 reshapes
    gamma, beta and the moving statistics on every call (4 ``Reshape`` + 4 ``Const`` per BN);
    ours use ``axis=-1``, which broadcasts them without a reshape.
    """
    import collections

    import tensorflow as tf

    fn = tf.function(lambda images: model(images, training=training))
    spec = tf.TensorSpec([1, *model.input_shape[1:]], tf.float32)
    graph = fn.get_concrete_function(spec).graph
    return collections.Counter(op.type for op in graph.get_operations())


def census_difference(ours, theirs, training=False):
    """``{op type: (ours, theirs)}`` for the op types whose counts differ."""
    a, b = op_census(ours, training), op_census(theirs, training)
    return {k: (a[k], b[k]) for k in sorted(set(a) | set(b)) if a[k] != b[k]}


class _Timer:
    """Images/second of one model in one mode; compiled once, timed per round."""

    def __init__(self, model, mode, x, y, jit_compile):
        import keras
        import tensorflow as tf

        self.model, self.mode, self.x, self.y = model, mode, x, y
        if mode == "call":
            self.fn = tf.function(lambda images: model(images, training=False),
                                  jit_compile=jit_compile)
        elif mode == "train":
            model.compile(optimizer=keras.optimizers.SGD(0.01),
                          loss=keras.losses.SparseCategoricalCrossentropy(),
                          jit_compile=jit_compile)
        else:
            model.compile(jit_compile=jit_compile)
        self.step()  # tracing and compilation are not timed

    def step(self):
        if self.mode == "predict":
            return self.model.predict_on_batch(self.x)
        if self.mode == "call":
            return self.fn(self.x).numpy()
        return self.model.train_on_batch(self.x, self.y)

    def images_per_second(self, steps):
        start = time.perf_counter()
        for _ in range(steps):
            self.step()
        return steps * len(self.x) / (time.perf_counter() - start)


def _steps(timers, target_seconds):
    """Steps per round so that a round of the slowest timer lasts about ``target_seconds``
    (from one more untimed step each; at least 1)."""
    slowest = 0.0
    for timer in timers:
        start = time.perf_counter()
        timer.step()
        slowest = max(slowest, time.perf_counter() - start)
    return max(1, math.ceil(target_seconds / max(slowest, 1e-6)))


def random_batch(model, batch_size, seed=0):
    """``(x, y)``: uniform [0, 1) images for ``model``'s one input and random class labels."""
    import numpy as np

    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, (batch_size, *model.input_shape[1:])).astype(np.float32)
    y = rng.integers(0, model.output_shape[-1], batch_size)
    return x, y


def compare(ours, theirs, control=None, *, batch_size=8, steps=None, rounds=None,
            jit_compile=False, modes=MODES, seed=0, batch=None, target_seconds=1.0,
            out=print):
    """Measures ``ours``, ``theirs`` and ``control`` (a second copy of ``theirs``, the noise
    floor) in each mode, all three in every round (``keras_zoo.benchmarks.rounds``); returns
    ``{mode: {"ours": Summary, "theirs": Summary, "ratio": Summary, "control": Summary}}``
    (speeds in examples/s; ``ratio`` ours / theirs and ``control`` control / theirs per round;
    no ``"control"`` key without a control).

    Args:
        ours, theirs: two models with the same input and output shapes.
        control: None, or a model identical to ``theirs`` (another instance).
        batch_size: examples per batch.
        steps: timed batches per model per round (default: as many as make the slowest
            model's round last ``target_seconds``).
        rounds: a fixed number of rounds, or None (``rounds.run``: until ±5 % is resolved).
        jit_compile: XLA for every mode (``compile(jit_compile=...)`` and the ``tf.function``).
        modes: a subset of ``MODES``.
        seed: the random input's seed.
        batch: ``(x, y)`` to time on instead of ``random_batch`` (text models: token ids).
        out: where the table's lines go.
    """
    from keras_zoo.benchmarks import rounds as rounds_

    unknown = set(modes) - set(MODES)
    if unknown:
        raise ValueError(f"benchmark: modes must be among {list(MODES)}, got {sorted(unknown)}.")
    if steps is not None and (not isinstance(steps, int) or steps < 1):
        raise ValueError(f"benchmark: steps must be a positive int or None, got {steps!r}.")
    models = [ours, theirs] + ([control] if control is not None else [])
    for other in models[1:]:
        if tuple(ours.input_shape) != tuple(other.input_shape):
            raise ValueError(f"benchmark: input shapes differ: {ours.input_shape} vs "
                             f"{other.input_shape}.")
    x, y = batch if batch is not None else random_batch(ours, batch_size, seed)
    count = len(x)
    pairs = ((0, 1), (2, 1)) if control is not None else ((0, 1),)
    results = {}
    out(f"batch {count}, {rounds_.rounds_text(rounds)}, ours / theirs"
        + (" / control" if control is not None else "") + f" interleaved in every round, "
        f"jit_compile={jit_compile}; ratios per round: median [{rounds_.CONFIDENCE:.0%} "
        "interval of the median] and range")
    out(f"{'mode':8s} {'steps':>5s} {'ours ex/s':>10s} {'theirs ex/s':>11s}  {'ours/theirs':28s}"
        + (f"  {'control/theirs (noise)':28s}" if control is not None else "") + "  rounds")
    for mode in modes:
        timers = [_Timer(m, mode, x, y, jit_compile) for m in models]
        n = steps or _steps(timers, target_seconds)
        speeds = rounds_.run([lambda t=t, n=n: t.images_per_second(n) for t in timers],
                             rounds=rounds, pairs=pairs)
        result = {"ours": rounds_.Summary.of(speeds[0]), "theirs": rounds_.Summary.of(speeds[1]),
                  "ratio": rounds_.Summary.of(rounds_.ratios(speeds[0], speeds[1]))}
        if control is not None:
            result["control"] = rounds_.Summary.of(rounds_.ratios(speeds[2], speeds[1]))
        results[mode] = result
        out(f"{mode:8s} {n:5d} {result['ours'].median:10.2f} {result['theirs'].median:11.2f}  "
            f"{result['ratio'].text():28s}"
            + (f"  {result['control'].text():28s}" if control is not None else "")
            + f"  {len(speeds[0])}")
    out("verdict: " + rounds_.verdict(*(s for r in results.values()
                                         for k, s in r.items() if k in ("ratio", "control"))))
    return results

"""Images per second of our model and of keras.applications' same architecture, in one
process, on the same random input (``keras-zoo benchmark MODEL``).

Three measurements per model: ``predict`` (Keras' batched inference loop), ``call`` (a plain
``tf.function`` around ``model(x, training=False)``, what a serving graph runs) and ``train``
(one optimiser step of ``train_on_batch``). The two models are measured in alternation, several
rounds, and each keeps its best round: on a shared machine the best round is the one least
disturbed by other processes, and alternating exposes both models to the same load. The
printed ratio is ours / theirs (> 1: ours is faster).
"""

from __future__ import annotations

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


def compare(ours, theirs, *, batch_size=8, steps=5, rounds=3, jit_compile=False, modes=MODES,
            seed=0, out=print):
    """Measures both models in each mode; returns ``{mode: (ours, theirs, ratio)}``.

    Args:
        ours, theirs: two models with the same input and output shapes.
        batch_size: images per batch.
        steps: timed batches per round.
        rounds: alternating rounds; each model keeps its fastest.
        jit_compile: XLA for every mode (``compile(jit_compile=...)`` and the ``tf.function``).
        modes: a subset of ``MODES``.
        seed: the random input's seed.
        out: where the table's lines go.
    """
    import numpy as np

    unknown = set(modes) - set(MODES)
    if unknown:
        raise ValueError(f"benchmark: modes must be among {list(MODES)}, got {sorted(unknown)}.")
    if tuple(ours.input_shape) != tuple(theirs.input_shape):
        raise ValueError(f"benchmark: input shapes differ: {ours.input_shape} vs "
                         f"{theirs.input_shape}.")
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, (batch_size, *ours.input_shape[1:])).astype(np.float32)
    y = rng.integers(0, ours.output_shape[-1], batch_size)
    results = {}
    out(f"{'mode':8s} {'ours img/s':>11s} {'theirs img/s':>13s} {'ratio':>6s}"
        f"   (batch {batch_size}, {steps} steps x {rounds} rounds, jit_compile={jit_compile})")
    for mode in modes:
        timers = [_Timer(m, mode, x, y, jit_compile) for m in (ours, theirs)]
        best = [0.0, 0.0]
        for r in range(rounds):
            # Alternate who goes first, so that neither always runs right after a warm cache.
            order = (0, 1) if r % 2 == 0 else (1, 0)
            for i in order:
                best[i] = max(best[i], timers[i].images_per_second(steps))
        ratio = best[0] / best[1]
        results[mode] = (best[0], best[1], ratio)
        out(f"{mode:8s} {best[0]:11.2f} {best[1]:13.2f} {ratio:6.3f}")
    return results

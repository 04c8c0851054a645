"""``keras-zoo benchmark MODEL --against cached-tensors``: is the input pipeline the bottleneck?

Trains the registry model by its recipe's data options in every round: once from the task's
``tf.data`` pipeline as ``keras-zoo train`` builds it (decoding, augmentation, batching and
prefetching on every epoch), once from the same batches already materialised in memory
(``Dataset.cache()`` filled by one pass before timing, so an epoch only reads tensors), and once
more from the cache (the control), interleaved (``keras_zoo.benchmarks.rounds``); ratios are
taken within a round and reported by median, interval and range. The ratio pipeline / cached
is the share of the model's training speed the pipeline leaves; the target is at least 0.95
(the pipeline never the bottleneck). The cached run sees the same augmented batches every
epoch, which is why it is a reference for speed only.

``preset="canonical"`` builds the model at its paper's input size (the recipe's images are
resized to it) and ``augment`` replaces the recipe's augmentation, so that a paper's pipeline
(224 x 224 crops and flips for ResNet-50) can be timed against its own model's step.
"""

from __future__ import annotations

import os
import time

import keras

TARGET = 0.95


def _model_and_datasets(name, recipe, batch_size, steps, seed, preset, augment):
    import tensorflow as tf

    import keras_zoo
    from keras_zoo import distribute
    from keras_zoo.tasks import get_task

    entry = keras_zoo.models.info(name)
    task = get_task(entry.task)
    batch_size = batch_size or recipe.batch_size
    model = entry.build(preset or recipe.preset, **recipe.config)
    options = dict(recipe.data_options)
    if augment is not None:
        options["augment"] = tuple(augment)
    pipeline = task.dataset(model, entry, "train", batch_size, seed, **options)
    if steps:
        pipeline = pipeline.take(steps)
    cached = pipeline.cache().prefetch(tf.data.AUTOTUNE)
    for _ in cached:  # fills the cache: from here on an epoch only reads tensors in memory
        pass
    task.compile(model, entry, optimizer=recipe.make_optimizer(1000, 1, model=model),
                 **recipe.compile_options)
    # As ``keras-zoo train`` gives them to fit: repeated, one iterator per fit.
    strategy = distribute.get_strategy("none")
    fed = [distribute.distribute_for_resume(strategy, d, start_epoch=0)[0]
           for d in (pipeline, cached)]
    return model, fed, cached, batch_size, options.get("augment", ())


class _StepTimer(keras.callbacks.Callback):
    """Seconds from the end of a ``fit``'s first batch to the end of its last: the steady
    state of a run. The first batch pays the iterator's and the train step's start-up (once per
    run) and the first epoch's shuffle buffer fill; the later epochs' fills are counted."""

    def __init__(self):
        super().__init__()
        self.start = self.seconds = None

    def on_train_batch_end(self, batch, logs=None):
        now = time.perf_counter()
        if self.start is None:
            self.start = now
        self.seconds = now - self.start


def _steady_seconds(model, dataset, steps_per_epoch, epochs):
    """Seconds of batches 2 .. ``steps_per_epoch x epochs`` of one ``fit`` as ``keras-zoo
    train`` runs it (one repeated dataset, ``steps_per_epoch``; see
    ``keras_zoo.distribute.distribute_for_resume``)."""
    timer = _StepTimer()
    model.fit(dataset, epochs=epochs, steps_per_epoch=steps_per_epoch, verbose=0,
              callbacks=[timer])
    return timer.seconds


def compare_pipeline(name, recipe, *, batch_size=None, steps=None, rounds=None, control=True,
                     seed=0, preset=None, augment=None, epochs=None, out=print):
    """Times training from the pipeline, from cached tensors and (the control) from the cached
    tensors again, all three in every round (``keras_zoo.benchmarks.rounds``).

    Args:
        name: a registry name.
        recipe: its training recipe (``training.get_recipe(entry.recipe)``): the data options,
            preset, batch size and optimizer.
        batch_size: overrides the recipe's batch size.
        steps: batches per epoch (default: the whole training split).
        rounds: a fixed number of rounds (after one untimed warm-up of each), or None: until
            the ratios resolve ±5 % (``rounds.run``).
        control: also time the cached tensors a second time: the ratio of two identical runs
            is the noise floor the pipeline's ratio is read against.
        seed: the pipeline's seed.
        preset: the model's preset instead of the recipe's ("canonical": the paper's input
            size; the recipe's images are resized to it by the task's pipeline).
        augment: augmentation names (``keras_zoo.data.pipeline.AUGMENTATIONS``, or ``(name,
            factor)`` pairs) instead of the recipe's, e.g. a paper's crop and flip.
        epochs: epochs per timed ``fit`` (default 2); all its batches but the first are timed.
        out: where the lines go.

    Returns:
        ``{"pipeline": Summary, "cached": Summary, "ratio": Summary, "control": Summary,
        "ceiling": dict}``: examples/s, the per-round ratios pipeline / cached and cached
        again / cached (no ``"control"`` without the control), and the ratio the machine's
        cores allow (``_ceiling``).
    """
    from keras_zoo.benchmarks import rounds as rounds_

    for key, value in (("rounds", rounds), ("epochs", epochs)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                                  or value < 1):
            raise ValueError(f"{key} must be a positive int or None, got {value!r}.")
    if steps is not None and (not isinstance(steps, int) or steps < 1):
        raise ValueError(f"steps must be a positive int or None, got {steps!r}.")
    if preset not in (None, "tiny", "canonical"):
        raise ValueError(f"preset must be 'tiny' or 'canonical', got {preset!r}.")
    epochs = epochs or 2
    model, (pipeline, cached), filled, batch_size, augment = _model_and_datasets(
        name, recipe, batch_size, steps, seed, preset, augment)
    per_batch = [int(_batch_size(batch)) for batch in filled]
    steps_per_epoch = len(per_batch)
    if steps_per_epoch * epochs < 2:
        raise ValueError(f"{name}: one batch per fit leaves nothing to time after the first; "
                         "give more --steps or --epochs.")
    # Every batch but a fit's first is timed: the next epochs start at the first batch again.
    examples = sum(per_batch) * epochs - per_batch[0]
    datasets = (pipeline, cached) + ((cached,) if control else ())
    for dataset in datasets[:2]:  # tracing of the train step and the pipeline's functions
        _steady_seconds(model, dataset, steps_per_epoch, 1)
    timers = [lambda d=d: examples / _steady_seconds(model, d, steps_per_epoch, epochs)
              for d in datasets]
    speeds = rounds_.run(timers, rounds=rounds,
                         pairs=((0, 1), (2, 1)) if control else ((0, 1),))
    result = {"pipeline": rounds_.Summary.of(speeds[0]), "cached": rounds_.Summary.of(speeds[1]),
              "ratio": rounds_.Summary.of(rounds_.ratios(speeds[0], speeds[1]))}
    if control:
        result["control"] = rounds_.Summary.of(rounds_.ratios(speeds[2], speeds[1]))
    ratio = result["ratio"]
    shape = ("x".join(str(d) for d in model.input_shape[1:])
             if isinstance(model.input_shape, tuple) else "several inputs")
    augmentation = ", ".join(a if isinstance(a, str) else f"{a[0]} {a[1]}" for a in augment)
    out(f"{name}: fit from tf.data vs fit from cached tensors, batch {batch_size}, input "
        f"{shape}, augmentation: {augmentation or 'none'}; {sum(per_batch)} examples per "
        f"epoch, {epochs} epochs per fit, {len(speeds[0])} interleaved rounds"
        + (" with the control (cached again)" if control else ""))
    out(f"{'tf.data ex/s':>13s} {'cached ex/s':>12s}  ratio median [95% interval] range")
    out(f"{result['pipeline'].median:13.1f} {result['cached'].median:12.1f}  {ratio.text()}   "
        f"({'meets' if ratio.median >= TARGET else 'below'} the {TARGET} target)")
    if control:
        out(f"{'control':>26s}  {result['control'].text()}")
    result["ceiling"] = _ceiling(pipeline, steps_per_epoch * epochs,
                                 sum(per_batch) / len(per_batch) / result["cached"].median)
    out(f"{'ceiling':>26s}  {result['ceiling']['ratio']:.3f}: the pipeline alone takes "
        f"{result['ceiling']['cpu'] * 1e3:.1f} ms of CPU per batch, a step from cached tensors "
        f"{result['ceiling']['step'] * 1e3:.1f} ms on {result['ceiling']['cores']} cores")
    out("verdict: " + rounds_.verdict(*(result[k] for k in ("ratio", "control") if k in result)))
    return result


def _ceiling(pipeline, batches, step):
    """What the machine allows: ``{"cpu": CPU seconds per batch of the pipeline alone,
    "step": seconds per step from cached tensors, "cores", "ratio": step / (step + cpu /
    cores)}``. A training step that keeps every core busy shares them with the pipeline, so
    each batch costs the step plus the pipeline's CPU spread over the cores: no overlap can
    beat that ratio (LeNet-5's warps are a large share of its 2 ms step). The CPU time is the
    process's, the median of three passes over batches 2 .. ``batches``."""
    import statistics

    cpu = []
    for _ in range(3):
        iterator = iter(pipeline)
        next(iterator)  # start-up and the shuffle buffer's first fill
        start = time.process_time()
        for _ in range(batches - 1):
            next(iterator)
        cpu.append((time.process_time() - start) / (batches - 1))
    per_batch = statistics.median(cpu)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"cpu": per_batch, "step": step, "cores": cores,
            "ratio": step / (step + per_batch / cores)}


def _batch_size(batch):
    import tensorflow as tf

    first = tf.nest.flatten(batch)[0]
    return first.shape[0]

"""``keras-zoo benchmark MODEL --against cached-tensors``: is the input pipeline the bottleneck?

Trains the registry model by its recipe's data options in every round: once from the task's
``tf.data`` pipeline as ``keras-zoo train`` builds it (decoding, augmentation, batching and
prefetching on every epoch), once from the same batches already materialised in memory
(``Dataset.cache()`` filled by one pass before timing, so an epoch only reads tensors), and once
more from the cache (the control), interleaved (``keras_zoo.benchmarks.rounds``); ratios are
taken within a round and reported by median, interval and range. The ratio pipeline / cached is the share of the model's training
speed the pipeline leaves; the target is at least 0.95 (the pipeline never the bottleneck). The cached run sees the same augmented batches every epoch, which is why it is a
reference for speed only.
"""

from __future__ import annotations

import time

import keras

TARGET = 0.95


def _model_and_datasets(name, recipe, batch_size, steps, seed):
    import tensorflow as tf

    import keras_zoo
    from keras_zoo.tasks import get_task

    entry = keras_zoo.models.info(name)
    task = get_task(entry.task)
    batch_size = batch_size or recipe.batch_size
    model = entry.build(recipe.preset, **recipe.config)
    pipeline = task.dataset(model, entry, "train", batch_size, seed, **recipe.data_options)
    if steps:
        pipeline = pipeline.take(steps)
    cached = pipeline.cache().prefetch(tf.data.AUTOTUNE)
    for _ in cached:  # fills the cache: from here on an epoch only reads tensors in memory
        pass
    task.compile(model, entry, optimizer=recipe.make_optimizer(1000, 1, model=model),
                 **recipe.compile_options)
    return model, pipeline, cached, batch_size


class _EpochTimer(keras.callbacks.Callback):
    """Seconds of each epoch of one ``fit``, from its start to its end (the start-up of the next
    epoch's iterator, which Keras makes when an epoch runs out, included)."""

    def __init__(self):
        super().__init__()
        self.seconds = []
        self._start = None

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)


def _epoch_seconds(model, dataset, steps_per_epoch, epochs=2):
    """Seconds of the last epoch of a ``fit`` run as ``keras-zoo train`` runs it (with
    ``steps_per_epoch``, see ``keras_zoo.distribute.distribute_for_resume``): the first epoch
    pays the first iterator's start-up, which a real run pays once."""
    timer = _EpochTimer()
    model.fit(dataset, epochs=epochs, steps_per_epoch=steps_per_epoch, verbose=0,
              callbacks=[timer])
    return timer.seconds[-1]


def compare_pipeline(name, recipe, *, batch_size=None, steps=None, rounds=None, control=True,
                     seed=0, out=print):
    """Times a training epoch from the pipeline, from cached tensors and (the control) from
    the cached tensors again, all three in every round (``keras_zoo.benchmarks.rounds``).

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
        out: where the lines go.

    Returns:
        ``{"pipeline": Summary, "cached": Summary, "ratio": Summary, "control": Summary}``:
        examples/s, and the per-round ratios pipeline / cached and cached again / cached (no
        ``"control"`` without the control).
    """
    from keras_zoo.benchmarks import rounds as rounds_

    if rounds is not None and (not isinstance(rounds, int) or isinstance(rounds, bool)
                               or rounds < 1):
        raise ValueError(f"rounds must be a positive int or None, got {rounds!r}.")
    if steps is not None and (not isinstance(steps, int) or steps < 1):
        raise ValueError(f"steps must be a positive int or None, got {steps!r}.")
    model, pipeline, cached, batch_size = _model_and_datasets(name, recipe, batch_size, steps,
                                                              seed)
    examples = sum(int(_batch_size(batch)) for batch in cached)
    steps_per_epoch = int(cached.cardinality().numpy())
    datasets = (pipeline, cached) + ((cached,) if control else ())
    for dataset in datasets[:2]:  # tracing of the train step and the pipeline's functions
        _epoch_seconds(model, dataset, steps_per_epoch)
    timers = [lambda d=d: examples / _epoch_seconds(model, d, steps_per_epoch)
              for d in datasets]
    speeds = rounds_.run(timers, rounds=rounds,
                         pairs=((0, 1), (2, 1)) if control else ((0, 1),))
    result = {"pipeline": rounds_.Summary.of(speeds[0]), "cached": rounds_.Summary.of(speeds[1]),
              "ratio": rounds_.Summary.of(rounds_.ratios(speeds[0], speeds[1]))}
    if control:
        result["control"] = rounds_.Summary.of(rounds_.ratios(speeds[2], speeds[1]))
    ratio = result["ratio"]
    out(f"{name}: fit from tf.data vs fit from cached tensors, batch {batch_size}, "
        f"{examples} examples per epoch, {len(speeds[0])} interleaved rounds"
        + (" with the control (cached again)" if control else ""))
    out(f"{'tf.data ex/s':>13s} {'cached ex/s':>12s}  ratio median [95% interval] range")
    out(f"{result['pipeline'].median:13.1f} {result['cached'].median:12.1f}  {ratio.text()}   "
        f"({'meets' if ratio.median >= TARGET else 'below'} the {TARGET} target)")
    if control:
        out(f"{'control':>26s}  {result['control'].text()}")
    out("verdict: " + rounds_.verdict(*(result[k] for k in ("ratio", "control") if k in result)))
    return result


def _batch_size(batch):
    import tensorflow as tf

    first = tf.nest.flatten(batch)[0]
    return first.shape[0]

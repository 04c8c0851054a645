"""``keras-zoo benchmark MODEL --against cached-tensors``: is the input pipeline the bottleneck?

Trains the registry model by its recipe's data options twice per round, in alternation: once
from the task's ``tf.data`` pipeline as ``keras-zoo train`` builds it (decoding, augmentation,
batching and prefetching on every epoch), once from the same batches already materialised in
memory (``Dataset.cache()`` filled by one pass before timing, so an epoch only reads tensors).
Each keeps its best round. The ratio pipeline / cached is the share of the model's training
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


def _epoch_seconds(model, dataset, steps_per_epoch, epochs=3):
    """The fastest epoch after the first of a ``fit`` run as ``keras-zoo train`` runs it (with
    ``steps_per_epoch``, see ``keras_zoo.distribute.distribute_for_resume``): the first epoch
    pays the first iterator's start-up, which a real run pays once."""
    timer = _EpochTimer()
    model.fit(dataset, epochs=epochs, steps_per_epoch=steps_per_epoch, verbose=0,
              callbacks=[timer])
    return min(timer.seconds[1:])


def compare_pipeline(name, recipe, *, batch_size=None, steps=None, rounds=3, seed=0, out=print):
    """Times one training epoch from the pipeline and from cached tensors, in alternation.

    Args:
        name: a registry name.
        recipe: its training recipe (``training.get_recipe(entry.recipe)``): the data options,
            preset, batch size and optimizer.
        batch_size: overrides the recipe's batch size.
        steps: batches per epoch (default: the whole training split).
        rounds: alternating rounds after one untimed warm-up epoch each; each keeps its best.
        seed: the pipeline's seed.
        out: where the lines go.

    Returns:
        ``(pipeline_examples_per_s, cached_examples_per_s, ratio)``.
    """
    if not isinstance(rounds, int) or isinstance(rounds, bool) or rounds < 1:
        raise ValueError(f"rounds must be a positive int, got {rounds!r}.")
    if steps is not None and (not isinstance(steps, int) or steps < 1):
        raise ValueError(f"steps must be a positive int or None, got {steps!r}.")
    model, pipeline, cached, batch_size = _model_and_datasets(name, recipe, batch_size, steps,
                                                              seed)
    examples = sum(int(_batch_size(batch)) for batch in cached)
    steps_per_epoch = int(cached.cardinality().numpy())
    datasets = (pipeline, cached)
    for dataset in datasets:  # tracing of the train step and the pipeline's functions
        _epoch_seconds(model, dataset, steps_per_epoch, epochs=1 + 1)
    best = [float("inf"), float("inf")]
    for r in range(rounds):
        order = (0, 1) if r % 2 == 0 else (1, 0)
        for i in order:
            best[i] = min(best[i], _epoch_seconds(model, datasets[i], steps_per_epoch))
    pipeline_rate, cached_rate = examples / best[0], examples / best[1]
    ratio = pipeline_rate / cached_rate
    out(f"{name}: fit from tf.data vs fit from cached tensors, batch {batch_size}, "
        f"{examples} examples per epoch, best epoch of {rounds} rounds")
    out(f"{'tf.data ex/s':>13s} {'cached ex/s':>12s} {'ratio':>6s}")
    out(f"{pipeline_rate:13.1f} {cached_rate:12.1f} {ratio:6.3f}   "
        f"({'meets' if ratio >= TARGET else 'below'} the {TARGET} target)")
    return pipeline_rate, cached_rate, ratio


def _batch_size(batch):
    import tensorflow as tf

    first = tf.nest.flatten(batch)[0]
    return first.shape[0]

"""``keras-zoo benchmark MODEL --jit-compile``: does XLA win this model's training step here?

Times the training step of the registry model as its recipe trains it (the recipe's preset,
config, batch size and loss) with ``jit_compile=False`` and ``jit_compile=True``, in
alternating rounds in one process, from the same initial weights and batch. The answer is
what ``Entry.jit_compile`` records and what ``keras-zoo train`` then uses: XLA wins big for
some models on CPU (DenseNet121's training step was measured ~14x faster by the developers)
and loses for others (MobileNetV2's inference 8x slower), so it is a per-model fact, measured.
"""

from __future__ import annotations

import statistics
import time

#: XLA is recorded as the winner only above this ratio: below it, the rounds' spread on a
#: 2-core machine cannot tell the two apart (and the compile time is not free).
WIN = 1.10


def _step_timer(model, x, y, steps):
    def run():
        start, cpu = time.perf_counter(), time.process_time()
        for _ in range(steps):
            model.train_on_batch(x, y)
        return (time.perf_counter() - start) / steps, (time.process_time() - cpu) / steps

    return run


def compare_jit(name, *, batch_size=None, steps=None, rounds=None, out=print):
    """Seconds per training step without and with XLA, alternating rounds.

    Args:
        name: a registry name.
        batch_size: default: the recipe's.
        steps: training steps per round (default 5).
        rounds: rounds per setting, after one untimed warm-up round each (compiles) (default 5).
        out: where the lines go.

    Returns:
        ``(seconds_without, seconds_with, speedup)``: medians of the wall time per step over
        the rounds; ``speedup`` is without / with (> 1: XLA is faster). The CPU seconds per
        step are printed beside them.
    """
    import keras

    import keras_zoo
    from keras_zoo.tasks import get_task
    from training.recipes import get_recipe

    steps, rounds = steps or 5, rounds or 5
    for arg, value in (("steps", steps), ("rounds", rounds), ("batch_size", batch_size)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or value < 1):
            raise ValueError(f"{arg} must be a positive int, got {value!r}.")
    entry = keras_zoo.models.info(name)
    recipe = get_recipe(entry.recipe)
    task = get_task(entry.task)
    batch_size = batch_size or recipe.batch_size
    timers = []
    weights = None
    for jit in (False, True):
        keras.utils.set_random_seed(0)
        model = entry.build(recipe.preset, **recipe.config)
        if weights is None:
            weights = model.get_weights()
        model.set_weights(weights)
        task.compile(model, entry, optimizer=recipe.make_optimizer(100, 1, model=model),
                     **recipe.compile_options)
        if jit and not all(layer.supports_jit for layer in model._flatten_layers()):
            raise ValueError(f"benchmark --jit-compile: a layer of {name} does not support "
                             "jit_compile=True.")
        # Not the setter: Keras also refuses XLA when op determinism is on (a seeded train()
        # earlier in this process turns it on for good), and this measures the speed only.
        model._jit_compile = jit
        x, y = task.battery_data(model, entry, n=batch_size)
        timer = _step_timer(model, x, y, steps)
        timer()  # traces (and with XLA compiles) the step
        timers.append(timer)
    seconds, cpu = [[], []], [[], []]
    for r in range(rounds):
        for i in ((0, 1) if r % 2 == 0 else (1, 0)):
            wall, used = timers[i]()
            seconds[i].append(wall)
            cpu[i].append(used)
    without, with_xla = (statistics.median(s) for s in seconds)
    speedup = without / with_xla
    recorded = {None: "not measured", True: "XLA", False: "no XLA"}[entry.jit_compile]
    verdict = ("XLA wins" if speedup >= WIN else "XLA loses" if speedup < 1 / WIN
               else "within the noise: no XLA")
    out(f"{name}: training step, preset {recipe.preset}, batch {batch_size}, "
        f"{steps} steps x {rounds} alternating rounds (median; min-max)")
    # CPU seconds beside the wall time: on a shared machine they say more about the cost.
    out(f"{'jit_compile':>12s} {'s/step':>9s} {'min':>9s} {'max':>9s} {'CPU s/step':>11s}")
    for i, label in enumerate(("False", "True")):
        s = seconds[i]
        out(f"{label:>12s} {statistics.median(s):9.4f} {min(s):9.4f} {max(s):9.4f} "
            f"{statistics.median(cpu[i]):11.4f}")
    out(f"speedup with XLA {speedup:.2f}x: {verdict} (threshold {WIN}); "
        f"the registry records: {recorded}")
    return without, with_xla, speedup

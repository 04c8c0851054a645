"""``keras-zoo verify PATH --xnnpack``: the float ``.tflite`` under LiteRT's XNNPACK delegate,
the CPU delegate a phone's LiteRT applies by default, called several times per interpreter.

``verify`` proves an export on LiteRT's builtin kernels (``tflite.interpreter``), where the same
flatbuffer serves the same outputs on every call. Under XNNPACK, some graphs are served right on
an interpreter's first call and wrong from its second call on, the same wrong outputs on every
later call whatever the input (seq2seq_bahdanau's tiny float file: 6-13 of 20 interpreters per
process; none with delegate clustering off, ``experimental_disable_delegate_clustering``; the
audit of every model is ``benchmarks/xnnpack_audit.py``). A check of one call would pass such a
file. Here each of ``interpreters`` interpreters serves example 0 three times, the other
examples once each, then example 0 again, and every call is compared with the Keras model's
outputs on that example, as ``verify``'s float row is (the task's parity tolerance, or the
task's own parity check).

A fault that hits some interpreters and not others can be missed by a run (a failing row is a
real wrong output; a passing row on an affected graph is possible, rarer with more
interpreters): the row is opt-in, beside ``verify``'s verdict on the export itself, which
stays the same from run to run.
"""

from __future__ import annotations

import os

import numpy as np


def call_order(examples: int) -> list[int]:
    """The calls each interpreter serves, as indices of the examples: ``[0, 0, 0, 1, ...,
    examples - 1, 0]``: example 0 three times (an interpreter's second call is where the fault
    starts), the others once, example 0 again after them (``examples`` >= 2)."""
    if not isinstance(examples, int) or examples < 2:
        raise ValueError(f"examples must be an int >= 2, got {examples!r}.")
    return [0, 0, 0, *range(1, examples), 0]


#: Interpreters and examples of the row (7 calls each, batch 1).
INTERPRETERS = 3
EXAMPLES = 4


def check_calls(flat: bytes, inputs: dict, reference: dict, agrees, interpreters=INTERPRETERS,
                make_interpreter=None) -> dict:
    """Runs ``flat``'s ``serving_default`` in ``interpreters`` XNNPACK interpreters, each on
    ``call_order(n)`` of the ``n`` examples of ``inputs`` (batch 1 per call), and compares each
    call with row ``i`` of ``reference``.

    Args:
        flat: the float ``.tflite``.
        inputs: raw serving inputs, name -> array of ``n`` >= 2 examples.
        reference: the Keras model's outputs on ``inputs``, name -> array of ``n``.
        agrees: ``agrees(reference_row, output_row, diff) -> bool``: whether one call's outputs
            equal the reference's (``diff``: their largest absolute difference).
        interpreters: interpreters made, each a fresh one.
        make_interpreter: ``flat -> interpreter`` (default ``tflite.interpreter(flat,
            xnnpack=True)``; tests pass a fake).

    Returns ``{"max_diff", "calls", "wrong_calls", "wrong_interpreters", "first_wrong_call"}``
    (``first_wrong_call``: the position in ``call_order`` of the earliest wrong call, None).
    """
    from keras_zoo.export import bundle

    if make_interpreter is None:
        from keras_zoo.export.tflite import interpreter

        def make_interpreter(flat):
            return interpreter(flat, xnnpack=True)

    if not isinstance(interpreters, int) or interpreters < 1:
        raise ValueError(f"interpreters must be a positive int, got {interpreters!r}.")
    count = len(next(iter(inputs.values())))
    order = call_order(count)
    worst, wrong_calls, wrong_interpreters, first_wrong = 0.0, 0, 0, None
    for _ in range(interpreters):
        runner = make_interpreter(flat).get_signature_runner("serving_default")
        names = list(runner.get_input_details())
        missing = set(names) - set(inputs)
        if missing:
            raise ValueError(f"inputs: missing {sorted(missing)}; the model takes {names}.")
        wrong_here = False
        for position, i in enumerate(order):
            out = runner(**{k: np.asarray(inputs[k][i:i + 1]) for k in names})
            expected = {k: np.asarray(v)[i:i + 1] for k, v in reference.items()}
            diff = bundle._max_diff(expected, out)
            worst = max(worst, diff)
            if not agrees(expected, out, diff):
                wrong_calls += 1
                wrong_here = True
                first_wrong = position if first_wrong is None else min(first_wrong, position)
        wrong_interpreters += wrong_here
    return {"max_diff": worst, "calls": interpreters * len(order), "wrong_calls": wrong_calls,
            "wrong_interpreters": wrong_interpreters, "first_wrong_call": first_wrong}


def row(filename: str, result: dict, limit: str, interpreters: int) -> tuple:
    """``verify``'s row ``(check, figure, limit, ok)`` of a ``check_calls`` result."""
    ok = result["wrong_calls"] == 0
    calls = result["calls"] // interpreters
    if not ok:
        limit += (f"; {result['wrong_calls']} of {result['calls']} calls wrong, in "
                  f"{result['wrong_interpreters']} of {interpreters} interpreters (first: call "
                  f"{result['first_wrong_call'] + 1})")
    return (f"tflite float XNNPACK, {interpreters} interp. x {calls} calls ({filename})",
            f"{result['max_diff']:.2e}", limit, ok)


def verify_xnnpack(path, keras_path: str | None = None, float_tolerance=1e-4,
                   interpreters=INTERPRETERS, examples=EXAMPLES, report=None,
                   make_interpreter=None) -> tuple[bool, list]:
    """``verify``'s row for the export's float ``.tflite`` under XNNPACK, called repeatedly.

    Args:
        path: the export (``saved_models/NAME/VERSION``).
        keras_path: the ``.keras`` file to compare with (default: the recorded source).
        float_tolerance: as ``verify``'s float row (or the task's own parity check).
        interpreters: fresh XNNPACK interpreters, each served ``call_order(examples)``.
        examples: test examples (the task's embedded test split), >= 2.
        report: called with the row once it is done.
        make_interpreter: see ``check_calls``.

    Returns ``(ok, [row])``. An export without a float ``.tflite`` is a ValueError.
    """
    import keras_zoo
    from keras_zoo.export import bundle
    from keras_zoo.tasks import get_task

    meta = bundle.read_metadata(path)
    filename = meta.get("tflite", {}).get("float")
    if not filename:
        raise ValueError(f"{path} has no float .tflite to run under XNNPACK (its files: "
                         f"{sorted(meta.get('tflite', {}).values()) or 'none'}).")
    keras_path = keras_path or meta.get("source")
    if not keras_path:
        raise ValueError(f"{path}: no source checkpoint recorded; pass the .keras file to "
                         "compare against.")
    call_order(examples)  # a bad count is refused before anything loads
    with open(os.path.join(os.fspath(path), filename), "rb") as f:
        flat = f.read()
    model = bundle.load_keras(keras_path)
    entry = keras_zoo.models.info(meta["model"])
    task = get_task(meta["task"])
    served = task.export_model(model)
    inputs, _ = task.test_examples(served, entry, n=examples)
    if len(next(iter(inputs.values()))) < 2:
        raise ValueError("fewer than 2 test examples to call the interpreter on.")
    reference = {k: np.asarray(v) for k, v in task.serving_fn(served)(**inputs).items()}
    tolerance = bundle._tolerance(task, reference, float_tolerance)

    def agrees(expected, actual, diff):
        return bundle._agrees(task, expected, actual, diff, tolerance)

    result = check_calls(flat, inputs, reference, agrees, interpreters, make_interpreter)
    line = row(filename, result, f"<= {tolerance:g} or task parity", interpreters)
    if report is not None:
        report(line)
    return line[3], [line]

"""Audit: does LiteRT's XNNPACK delegate serve outputs that change across calls of one
interpreter, for each registered model's tiny float ``.tflite``?

Two phases, so that the runtime (where the fault is, and it depends on the process) is run in
many fresh processes while each model is converted once:

    python benchmarks/xnnpack_audit.py convert DIR [MODEL ...]   # export + float .tflite
    python benchmarks/xnnpack_audit.py run DIR [--interpreters K] [MODEL ...]   # one process

``convert`` builds each model's tiny config (seed 0) as the conformance battery does (the
served model with batch norms folded, its SavedModel, the float conversion), and writes
``DIR/<model>.tflite`` and ``DIR/<model>.npz`` (a serving example of 3, the Keras outputs on
it). ``run`` makes K XNNPACK interpreters per model (``tflite.interpreter(flat,
xnnpack=True)``); each serves example 0 three times, examples 1 and 2, then example 0 again;
a call is compared with the builtin kernels' output on the same flatbuffer (exact) and with
Keras' (the task's parity tolerance). It prints one JSON line per model.

Measured 2026-12-04 (ai-edge-litert 2.3.0, 2-core x86-64, AVX-512): the 180 registered models
with a float ``.tflite`` (the other 10 declare a ``tflite`` debt: string inputs, tensor lists),
each in 5 processes x 10 interpreters x 6 calls (9,000 interpreters, 54,000 calls, 35
processes). One model served calls that change: seq2seq_bahdanau, 27 of 50 interpreters (4, 4,
6, 6, 7 of 10 per process), each right on its first call and wrong (beyond the tolerance:
other tokens, scores off by up to 9e-3) on every call after it, examples 1 and 2 included.
Every other model: no call differed from the interpreter's first call of the same input, and
no call, first ones included, was beyond its task's tolerance from Keras.
"""

from __future__ import annotations

import json
import os
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def convert(out_dir, names):
    import keras
    import numpy as np

    import keras_zoo
    from keras_zoo.export import SavedModelConversion, export_savedmodel
    from keras_zoo.export.bundle import served_model
    from keras_zoo.tasks import get_task

    os.makedirs(out_dir, exist_ok=True)
    import tempfile

    for name in names:
        if os.path.exists(os.path.join(out_dir, f"{name}.npz")) or \
                os.path.exists(os.path.join(out_dir, f"{name}.error")):
            continue
        started = os.path.join(out_dir, f"{name}.started")
        if os.path.exists(started):  # the process died converting it (a converter crash)
            with open(os.path.join(out_dir, f"{name}.error"), "w") as f:
                f.write("the converting process died\n")
            continue
        open(started, "w").close()
        start = time.perf_counter()
        entry = keras_zoo.models.info(name)
        task = get_task(entry.task)
        try:
            keras.utils.set_random_seed(0)
            model = entry.build("tiny")
            x, _ = task.battery_data(model, entry, n=4)
            model(x, training=False)
            served = served_model(task, model).model
            fn = task.serving_fn(served)
            with tempfile.TemporaryDirectory() as tmp:
                path = export_savedmodel(served, os.path.join(tmp, "1"), fn,
                                         task.serving_endpoints(served))
                flat = SavedModelConversion(path).convert("float")
            example = task.serving_example(served, n=3)
            expected = {k: np.asarray(v) for k, v in fn(**example).items()}
        except Exception as error:  # no float .tflite (string inputs, a debt): recorded
            with open(os.path.join(out_dir, f"{name}.error"), "w") as f:
                f.write(f"{type(error).__name__}: {str(error).strip()[:300]}\n")
            print(json.dumps({"model": name, "error": type(error).__name__}), flush=True)
            keras.backend.clear_session()
            continue
        with open(os.path.join(out_dir, f"{name}.tflite"), "wb") as f:
            f.write(flat)
        np.savez(os.path.join(out_dir, f"{name}.npz"),
                 **{f"in/{k}": v for k, v in example.items()},
                 **{f"out/{k}": v for k, v in expected.items()},
                 tolerance=np.float64(task.parity_tolerance()), task=np.array(entry.task))
        keras.backend.clear_session()
        print(json.dumps({"model": name, "seconds": round(time.perf_counter() - start, 1)}),
              flush=True)


def load(out_dir, name):
    import numpy as np

    with open(os.path.join(out_dir, f"{name}.tflite"), "rb") as f:
        flat = f.read()
    data = np.load(os.path.join(out_dir, f"{name}.npz"))
    inputs = {k[3:]: data[k] for k in data.files if k.startswith("in/")}
    expected = {k[4:]: data[k] for k in data.files if k.startswith("out/")}
    return flat, inputs, expected, float(data["tolerance"]), str(data["task"])


#: The calls each interpreter serves: example 0 three times, 1 and 2, then 0 again.
CALLS = (0, 0, 0, 1, 2, 0)


def _diff(a, b, keys):
    import numpy as np

    return max([0.0] + [float(np.max(np.abs(np.asarray(a[k], np.float64)
                                            - np.asarray(b[k], np.float64)))) for k in keys])


def audit(flat, inputs, expected, tolerance, interpreters, threads=None):
    """Per-model figures over ``interpreters`` XNNPACK interpreters: how many served example 0
    differently (bitwise) from their own first call of it (``inconsistent``); how many served a
    call beyond ``tolerance`` from Keras' output (``beyond_tolerance``), and at which calls;
    the largest difference from Keras (builtin kernels: ``builtin_vs_keras``)."""
    import numpy as np

    from keras_zoo.export.tflite import interpreter

    keys = [k for k in expected if np.asarray(expected[k]).dtype.kind in "fiu"]
    builtin = interpreter(flat).get_signature_runner("serving_default")
    names = list(builtin.get_input_details())
    one = [{k: np.asarray(inputs[k][i:i + 1]) for k in names} for i in range(3)]
    keras_ref = [{k: expected[k][i:i + 1] for k in keys} for i in range(3)]
    builtin_vs_keras = max(_diff(builtin(**one[i]), keras_ref[i], keys) for i in range(3))
    inconsistent = beyond = 0
    calls_beyond, worst, worst_self = [0] * len(CALLS), 0.0, 0.0
    for _ in range(interpreters):
        if threads:
            from ai_edge_litert.interpreter import Interpreter
            interp = Interpreter(model_content=flat, num_threads=threads)
        else:
            interp = interpreter(flat, xnnpack=True)
        runner = interp.get_signature_runner("serving_default")
        first, changed, far = None, False, False
        for call, i in enumerate(CALLS):
            out = runner(**one[i])
            if i == 0:
                if first is None:
                    first = {k: np.array(out[k]) for k in keys}
                else:
                    d = _diff(out, first, keys)
                    worst_self = max(worst_self, d)
                    changed |= d > 0
            d = _diff(out, keras_ref[i], keys)
            worst = max(worst, d)
            if d > tolerance:
                far = True
                calls_beyond[call] += 1
        inconsistent += changed
        beyond += far
    return {"interpreters": interpreters, "inconsistent": inconsistent,
            "beyond_tolerance": beyond, "calls_beyond": calls_beyond,
            "max_self_diff": worst_self, "max_diff_vs_keras": worst,
            "builtin_vs_keras": builtin_vs_keras, "tolerance": tolerance}


def main(argv):
    mode, out_dir, *rest = argv
    interpreters, threads = 10, None
    if "--interpreters" in rest:
        i = rest.index("--interpreters")
        interpreters = int(rest[i + 1])
        del rest[i:i + 2]
    if "--threads" in rest:
        i = rest.index("--threads")
        threads = int(rest[i + 1])
        del rest[i:i + 2]
    if mode == "convert":
        import keras_zoo

        names = rest or [e.name for e in keras_zoo.models.entries()]
        convert(out_dir, names)
        return 0
    names = rest or sorted(f[:-7] for f in os.listdir(out_dir) if f.endswith(".tflite"))
    for name in names:
        start = time.perf_counter()
        flat, inputs, expected, tolerance, task = load(out_dir, name)
        try:
            record = audit(flat, inputs, expected, tolerance, interpreters, threads)
        except Exception as error:
            record = {"error": f"{type(error).__name__}: {str(error)[:200]}"}
        record.update(model=name, task=task, pid=os.getpid(),
                      seconds=round(time.perf_counter() - start, 2))
        print(json.dumps(record), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

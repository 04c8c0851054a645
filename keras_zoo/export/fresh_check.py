"""Runs a SavedModel's ``serving_default`` in a process that never imports keras_zoo.

TF-Serving knows nothing of our Python code: a SavedModel must work from its own files. This
script is run *by path* (``python .../fresh_check.py``), so importing it does not import the
``keras_zoo`` package; it checks that at the end and says so.

Two modes:
  one-shot:  fresh_check.py SAVED_MODEL INPUTS.npz OUTPUTS.npz   (prints one JSON line)
  server:    fresh_check.py --serve   (reads JSON requests line by line on stdin:
             {"saved_model": ..., "inputs": ..., "outputs": ...}; answers a JSON line each)
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def check(saved_model, inputs_path, outputs_path):
    import numpy as np
    import tensorflow as tf

    loaded = tf.saved_model.load(saved_model)
    fn = loaded.signatures["serving_default"]
    _, specs = fn.structured_input_signature
    with np.load(inputs_path) as data:
        feed = {k: tf.constant(data[k]) for k in data.files}
    missing = sorted(set(specs) - set(feed))
    if missing:
        raise ValueError(f"inputs missing {missing}; the signature takes {sorted(specs)}")
    result = fn(**feed)
    # String outputs (a caption) as fixed-width bytes: an object array would need pickle.
    np.savez(outputs_path, **{k: v.numpy().astype("S") if v.dtype.name == "string" else v.numpy()
                              for k, v in result.items()})
    return {
        "ok": True,
        "inputs": {k: [str(s.dtype.name), s.shape.as_list()] for k, s in specs.items()},
        "outputs": sorted(result),
        "keras_zoo_imported": any(m == "keras_zoo" or m.startswith("keras_zoo.")
                                  for m in sys.modules),
    }


def _answer(request):
    try:
        return check(request["saved_model"], request["inputs"], request["outputs"])
    except Exception as error:  # report, keep serving
        return {"ok": False, "error": f"{type(error).__name__}: {error}"[:2000]}


def main(argv):
    if argv[1:] == ["--serve"]:
        # Imported before the first request: a FreshProcess started early (before an export's
        # conversions) has TensorFlow loaded by the time the SavedModel is written.
        import numpy  # noqa: F401
        import tensorflow  # noqa: F401

        for line in sys.stdin:
            if line.strip():
                print(json.dumps(_answer(json.loads(line))), flush=True)
        # Every answer is written and flushed: skip the interpreter's teardown of TensorFlow
        # (seconds), which the client would otherwise wait for.
        os._exit(0)
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    answer = _answer({"saved_model": argv[1], "inputs": argv[2], "outputs": argv[3]})
    print(json.dumps(answer), flush=True)
    os._exit(0 if answer["ok"] else 1)  # as above: no teardown to wait for


if __name__ == "__main__":
    sys.exit(main(sys.argv))

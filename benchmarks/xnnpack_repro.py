"""A LiteRT report's reproduction: XNNPACK serves seq2seq_bahdanau's tiny float ``.tflite`` right
on an interpreter's first call and wrong from its second call on, in some interpreters.

    python benchmarks/xnnpack_repro.py [FILE.tflite] [--interpreters K]

Without a file, seq2seq_bahdanau's tiny config (seed 0; ``Seq2Seq``, greedy decoding by the
whole model unrolled over 7 steps in the serving graph, 1,210 builtin ops: how ``keras-zoo
export`` served it until it ran the encoder once) is converted as ``keras-zoo export`` does
and written to ``seq2seq_bahdanau_tiny.tflite`` (the file to attach to the report). Each of K
fresh interpreters per setting serves one input three times; an interpreter is wrong when a
call's outputs differ from the builtin kernels' by more than 1e-4. Printed: wrong interpreters
per ``Interpreter`` setting. Measured (ai-edge-litert 2.3.0, 2-core x86-64 with AVX-512, one
process, 20 interpreters each, runs in several processes): default (XNNPACK) 9-12 of 20,
``num_threads=1`` 9-10, ``=2`` 13,
``experimental_default_delegate_latest_features`` 3, ``experimental_disable_delegate_clustering``
0, ``experimental_disable_delegate_node_fusion`` 0, ``experimental_preserve_all_tensors`` 0,
``BUILTIN_WITHOUT_DEFAULT_DELEGATES`` 0. A wrong interpreter serves the same wrong tokens on
every later call (``[1 12 12 12 12 10 10]`` for ``[3 3 0 10 10 5 3]``); which interpreters are
wrong depends on the process. The same file with 3 decoder steps, 2 source steps, 4 units, no
attention or Luong's dot attention: 0 of 20; with GRU cells: 4 of 20; the attention layer
alone: 0 of 20.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

SETTINGS = {
    "default (XNNPACK)": {},
    "num_threads=1": {"num_threads": 1},
    "experimental_disable_delegate_clustering": {"experimental_disable_delegate_clustering": True},
    "experimental_disable_delegate_node_fusion": {
        "experimental_disable_delegate_node_fusion": True},
    "BUILTIN_WITHOUT_DEFAULT_DELEGATES": "builtin",
}


def tiny_seq2seq_bahdanau(path):
    """Converts seq2seq_bahdanau's tiny config (seed 0) as ``keras-zoo export`` does."""
    import tempfile

    import keras

    import keras_zoo
    from keras_zoo.export import convert_savedmodel, export_savedmodel
    from keras_zoo.export.bundle import served_model
    from keras_zoo.tasks import get_task

    entry = keras_zoo.models.info("seq2seq_bahdanau")
    task = get_task(entry.task)
    keras.utils.set_random_seed(0)
    # The tiny config as the fault was found (6 tokens; the registry's tiny has 3 since
    # 2026-12-04).
    served = served_model(task, entry.build("tiny", source_length=6, target_length=6)).model
    with tempfile.TemporaryDirectory() as tmp:
        saved = export_savedmodel(served, os.path.join(tmp, "1"), _whole_model_serving(served))
        flat = convert_savedmodel(saved, "float")
    with open(path, "wb") as f:
        f.write(flat)
    return flat


def _whole_model_serving(model):
    """The serving function as it was when the fault was measured: greedy decoding by calling
    the whole model once per step. ``keras-zoo export`` now serves a ``Seq2Seq`` with the
    stepwise decoder (the encoder once), whose file showed 0 of 20 wrong interpreters in every
    setting (2026-12-04): the fault depends on the graph, and this one still shows it."""
    import tensorflow as tf

    from keras_zoo.models.sequence.seq2seq import whole_model_greedy_decode

    @tf.function(input_signature=[
        tf.TensorSpec([None, model.source_length], tf.int32, name="source")])
    def serve(source):
        tokens, scores = whole_model_greedy_decode(model, source)
        return {"tokens": tokens, "scores": scores}

    return serve


def wrong_interpreters(flat, setting, interpreters, calls=3):
    """How many of ``interpreters`` fresh interpreters made with ``setting`` serve a call of
    one input more than 1e-4 away from the builtin kernels' outputs."""
    import numpy as np
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    builtin = {"experimental_op_resolver_type": OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES}
    reference = Interpreter(model_content=flat, **builtin).get_signature_runner("serving_default")
    details = reference.get_input_details()
    rng = np.random.default_rng(0)
    x = {k: (rng.integers(3, 13, d["shape"]) if d["dtype"] != np.float32
             else rng.normal(size=d["shape"])).astype(d["dtype"]) for k, d in details.items()}
    expected = reference(**x)
    options = builtin if setting == "builtin" else setting
    wrong = 0
    for _ in range(interpreters):
        runner = Interpreter(model_content=flat, **options).get_signature_runner(
            "serving_default")
        wrong += any(
            max(float(np.max(np.abs(np.asarray(v, np.float64) - expected[k])))
                for k, v in runner(**x).items()) > 1e-4
            for _ in range(calls))
    return wrong


def main(argv):
    interpreters = 20
    if "--interpreters" in argv:
        i = argv.index("--interpreters")
        interpreters = int(argv[i + 1])
        del argv[i:i + 2]
    if argv:
        with open(argv[0], "rb") as f:
            flat = f.read()
    else:
        flat = tiny_seq2seq_bahdanau("seq2seq_bahdanau_tiny.tflite")
        print("wrote seq2seq_bahdanau_tiny.tflite")
    for name, setting in SETTINGS.items():
        print(f"{name}: {wrong_interpreters(flat, setting, interpreters)} of {interpreters} "
              "interpreters wrong", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

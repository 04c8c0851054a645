"""TFLite conversion (float, fp16, int8) from a SavedModel, and running it with ai-edge-litert.

``TFLiteConverter.from_keras_model`` is unreliable with Keras 3 (tensorflow #63867, #69237): we
always convert the exported SavedModel's ``serving_default``. Only builtin ops are allowed: the
``ai-edge-litert`` wheel has no Flex delegate (LiteRT #6458), so a model that needs
``SELECT_TF_OPS`` would not run on a phone through it.
"""

from __future__ import annotations

import os
import tempfile
import warnings

import numpy as np

MODES = ("float", "fp16", "int8")


def convert_savedmodel(saved_model_dir, mode="float", representative=None) -> bytes:
    """Converts ``serving_default`` of a SavedModel to a ``.tflite`` flatbuffer.

    Args:
        saved_model_dir: the exported SavedModel.
        mode: "float", "fp16" (fp16 weights) or "int8" (full-integer weights and activations;
            the uint8/float inputs and outputs stay as they are in the signature).
        representative: for "int8", an iterable of dicts name -> numpy array (raw serving inputs)
            drawn from real data: it decides the quantisation ranges.
    """
    import tensorflow as tf

    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}.")
    converter = _saved_model_converter(os.fspath(saved_model_dir))
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if mode == "fp16":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    elif mode == "int8":
        if representative is None:
            raise ValueError("mode='int8' needs a representative dataset.")
        samples = list(representative)
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = lambda: (dict(s) for s in samples)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8,
                                               tf.lite.OpsSet.TFLITE_BUILTINS]
    with warnings.catch_warnings():
        # int8 calibration runs the deprecated tf.lite.Interpreter inside the converter; the
        # warning is about TF's own code, not ours (we run models with ai-edge-litert).
        warnings.filterwarnings("ignore", message=".*tf.lite.Interpreter is deprecated")
        return converter.convert()


def _saved_model_converter(saved_model_dir):
    """``TFLiteConverter.from_saved_model(dir, signature_keys=["serving_default"])`` without its
    extra loads of the SavedModel.

    ``from_saved_model`` restores the whole SavedModel in Python only to list its signatures,
    and ``convert`` restores it again (``tf.saved_model.load``) only to read its debug
    information, which is a file of the SavedModel, and imports its graph into a TF1 graph
    only to read the GraphDef, which is in the SavedModel's protobuf; the conversion itself
    (MLIR) reads the SavedModel on its own. Measured on tiny models (CPU s per float
    conversion): transformer 4.9 -> 3.6, vilbert 4.2 -> 2.9, mobilenetv2 2.2 -> 1.6, lenet5
    0.72 -> 0.55 without the first restore; without the other two as well (same process,
    interleaved, float / int8): vilbert 2.2 -> 1.2 / 2.3 -> 1.4, transformer 2.2 -> 1.4 /
    2.4 -> 1.6, alexnet 0.66 -> 0.23 / 0.65 -> 0.28, lenet5 0.6 -> 0.2 / 0.6 -> 0.2. The
    flatbuffers, float and int8, are byte-identical (17 models, one of each task). The
    signature is checked here from the protobuf. The conversion-metadata record
    (converter options and environment, which the converter adds by unpacking and repacking
    the whole flatbuffer in Python) is left out.
    """
    import tensorflow as tf
    from tensorflow.lite.python import lite
    from tensorflow.python.saved_model.loader_impl import parse_saved_model_with_debug_info

    proto, debug_info = parse_saved_model_with_debug_info(saved_model_dir)
    serving = [graph for graph in proto.meta_graphs
               if tf.saved_model.SERVING in graph.meta_info_def.tags]
    if not serving or "serving_default" not in serving[0].signature_def:
        found = sorted(k for k in serving[0].signature_def if not k.startswith("__")) if serving else []
        raise ValueError(f"{saved_model_dir}: no 'serving_default' signature in the "
                         f"'serve' graph (found {found}); it is the one converted to TFLite.")

    # The class from_saved_model returns when it finds the signature (TensorFlow 2.21), with
    # its convert() minus the two loads (the same GraphDef and debug information).
    class Converter(lite.TFLiteSavedModelConverterV2):
        @lite._export_metrics
        def convert(self):
            if self.saved_model_dir is None or not self.experimental_new_converter:
                return super().convert()  # TF's frozen-graph path: not taken by our exports
            graph_def = serving[0].graph_def
            self._debug_info = lite._get_debug_info(
                lite._convert_debug_info_func(debug_info), graph_def)
            return self._convert_from_saved_model(graph_def)

    converter = Converter(saved_model_dir, {tf.saved_model.SERVING}, ["serving_default"])
    converter.exclude_conversion_metadata = True
    return converter


def convert_keras(model, serving_fn=None, mode="float", representative=None) -> bytes:
    """Converts a Keras model through a temporary SavedModel (for layer and model tests).

    ``serving_fn`` defaults to the model called on its inputs with static shapes (an unknown
    batch becomes 1), named ``input_0``, ``input_1`` ..., returning ``{"output_0": ...}``.
    """
    import tensorflow as tf

    from keras_zoo.export.savedmodel import export_savedmodel

    if serving_fn is None:
        serving_fn = _default_fn(model, tf)
    with tempfile.TemporaryDirectory() as tmp:
        path = export_savedmodel(model, os.path.join(tmp, "model"), serving_fn)
        return convert_savedmodel(path, mode, representative)


def _default_fn(model, tf):
    # Static shapes: a dynamic batch can need Flex ops (kecam #74); None becomes 1.
    specs = [tf.TensorSpec(tuple(1 if d is None else d for d in t.shape), t.dtype,
                           name=f"input_{i}") for i, t in enumerate(model.inputs)]

    @tf.function(input_signature=specs)
    def serve(*args):
        out = model(list(args) if len(args) > 1 else args[0], training=False)
        outs = out if isinstance(out, (list, tuple)) else [out]
        return {f"output_{i}": o for i, o in enumerate(outs)}

    return serve


def interpreter(tflite_model: bytes):
    from ai_edge_litert.interpreter import Interpreter

    return Interpreter(model_content=tflite_model)


def op_names(tflite_model: bytes) -> list[str]:
    """The distinct op names of a ``.tflite`` model (``Flex*`` would be a TF fallback op)."""
    details = interpreter(tflite_model)._get_ops_details()
    return sorted({d["op_name"] for d in details})


def flex_ops(tflite_model: bytes) -> list[str]:
    return [op for op in op_names(tflite_model) if op.startswith("Flex") or op == "DELEGATE"]


def run(tflite_model: bytes, inputs: dict) -> dict:
    """Runs ``serving_default`` of a ``.tflite`` model on a dict of numpy inputs, any batch size.

    Each example is run on its own (batch 1), since a converted model may have a batch of 1.
    """
    interp = interpreter(tflite_model)
    runner = interp.get_signature_runner("serving_default")
    names = list(runner.get_input_details())
    missing = set(names) - set(inputs)
    if missing:
        raise ValueError(f"inputs: missing {sorted(missing)}; the model takes {names}.")
    n = len(next(iter(inputs.values())))
    results = []
    for i in range(n):
        results.append(runner(**{k: np.asarray(inputs[k][i:i + 1]) for k in names}))
    return {k: np.concatenate([r[k] for r in results]) for k in results[0]}

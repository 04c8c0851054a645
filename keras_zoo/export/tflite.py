"""TFLite conversion (float, fp16, int8) from a SavedModel, and running it with ai-edge-litert.

``TFLiteConverter.from_keras_model`` is unreliable with Keras 3 (tensorflow #63867, #69237): we
always convert the exported SavedModel's ``serving_default``. Only builtin ops are allowed: the
``ai-edge-litert`` wheel has no Flex delegate (LiteRT #6458), so a model that needs
``SELECT_TF_OPS`` would not run on a phone through it.
"""

from __future__ import annotations

import functools
import os
import tempfile
import threading
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
    return SavedModelConversion(saved_model_dir).convert(mode, representative)


class SavedModelConversion:
    """One SavedModel's ``serving_default``, converted to ``.tflite`` in several modes with one
    MLIR conversion for "float" and "int8".

    TensorFlow's int8 conversion is the float conversion (the same MLIR pass over the
    SavedModel) followed by calibration on the representative data and quantisation of that
    float flatbuffer; converting "float" and then "int8" ran the SavedModel's conversion twice.
    Here "float" keeps the MLIR conversion's flatbuffer and a later "int8" starts from it,
    through TensorFlow's own code after that point (calibration, quantisation). The float
    flatbuffer is ``convert_savedmodel``'s byte for byte; the int8 one too, but for the names
    of some constant tensors: an int8-mode MLIR conversion names a folded constant by its op
    (``arith.constant18``) where the float mode keeps the graph's name. Measured on the 172
    battery models without an export debt: float byte-identical on all, int8 on 162, and on
    the other 10 (attentive_reader, detr, rnnsearch, vivit_b, vl_bert, the seq2seq and
    reader models) identical once tensor names are blanked; tests/export/test_export.py
    checks it. CPU seconds of their float and int8 conversions (same process, interleaved):
    124.0 -> 79.1. Not shared: "fp16"
    (quantised inside the MLIR conversion), "int8" before "float", and a graph with
    fake-quantisation ops (quantisation-aware training, quantised inside MLIR as well).

    Args:
        saved_model_dir: the exported SavedModel.
    """

    def __init__(self, saved_model_dir):
        self.saved_model_dir = os.fspath(saved_model_dir)
        self._parsed = _parse_serving(self.saved_model_dir)
        self._float = None  # the MLIR conversion's float flatbuffer, before TFLite's passes
        self.conversions = 0  # MLIR conversions run (for tests)
        self._mode = None  # the mode being converted, where it may share the MLIR conversion

    def convert(self, mode="float", representative=None) -> bytes:
        """The ``.tflite`` flatbuffer of ``mode`` (as ``convert_savedmodel``)."""
        import tensorflow as tf

        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}.")
        converter = _saved_model_converter(self.saved_model_dir, self._parsed, self)
        self._mode = mode if self._parsed.shareable else None
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
            # int8 calibration runs the deprecated tf.lite.Interpreter inside the converter;
            # the warning is about TF's own code, not ours (we run models with ai-edge-litert).
            warnings.filterwarnings("ignore", message=".*tf.lite.Interpreter is deprecated")
            return converter.convert()

    def _mlir_convert(self, convert, kwargs):
        # The float and int8 conversions pass the MLIR converter the same graph and options
        # but for the ops sets (builtins, + int8 builtins) and the inference type (which
        # matters to fake-quantisation ops, and to the names of folded constants).
        if self._mode == "int8" and self._float is not None:
            return self._float
        self.conversions += 1
        flatbuffer = convert(**kwargs)
        if self._mode == "float":
            self._float = flatbuffer
        return flatbuffer


class _Parsed:
    """A SavedModel's protobuf and debug information, read once."""

    def __init__(self, proto, debug_info, graph_def):
        self.proto, self.debug_info, self.graph_def = proto, debug_info, graph_def
        nodes = list(graph_def.node) + [n for f in graph_def.library.function
                                        for n in f.node_def]
        #: No fake-quantisation op: the float and int8 conversions share the MLIR conversion.
        self.shareable = not any(n.op.startswith("FakeQuant") for n in nodes)


def _parse_serving(saved_model_dir):
    import tensorflow as tf
    from tensorflow.python.saved_model.loader_impl import parse_saved_model_with_debug_info

    proto, debug_info = parse_saved_model_with_debug_info(saved_model_dir)
    serving = [graph for graph in proto.meta_graphs
               if tf.saved_model.SERVING in graph.meta_info_def.tags]
    if not serving or "serving_default" not in serving[0].signature_def:
        found = sorted(k for k in serving[0].signature_def if not k.startswith("__")) if serving else []
        raise ValueError(f"{saved_model_dir}: no 'serving_default' signature in the "
                         f"'serve' graph (found {found}); it is the one converted to TFLite.")
    return _Parsed(proto, debug_info, serving[0].graph_def)


_MLIR_LOCK = threading.Lock()
_ROUTE = threading.local()


def _saved_model_converter(saved_model_dir, parsed=None, conversion=None):
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

    With ``conversion`` (a ``SavedModelConversion``), the MLIR conversion goes through its
    ``_mlir_convert`` (one conversion shared by its float and int8 flatbuffers).
    """
    import tensorflow as tf
    from tensorflow.lite.python import lite

    parsed = parsed or _parse_serving(saved_model_dir)

    # The class from_saved_model returns when it finds the signature (TensorFlow 2.21), with
    # its convert() minus the two loads (the same GraphDef and debug information).
    class Converter(lite.TFLiteSavedModelConverterV2):
        @lite._export_metrics
        def convert(self):
            if self.saved_model_dir is None or not self.experimental_new_converter:
                return super().convert()  # TF's frozen-graph path: not taken by our exports
            graph_def = parsed.graph_def
            self._debug_info = lite._get_debug_info(
                lite._convert_debug_info_func(parsed.debug_info), graph_def)
            if conversion is None:
                return self._convert_from_saved_model(graph_def)
            # TensorFlow's own _convert_from_saved_model, its module-level MLIR call routed
            # through the conversion on this thread (any other thread's call goes straight
            # to TensorFlow's while the module attribute is replaced).
            with _MLIR_LOCK:
                original = lite._convert_saved_model
                lite._convert_saved_model = functools.partial(_routed, original)
                _ROUTE.conversion = conversion
                try:
                    return self._convert_from_saved_model(graph_def)
                finally:
                    _ROUTE.conversion = None
                    lite._convert_saved_model = original

    converter = Converter(saved_model_dir, {tf.saved_model.SERVING}, ["serving_default"])
    converter.exclude_conversion_metadata = True
    return converter


def _routed(original, **kwargs):
    conversion = getattr(_ROUTE, "conversion", None)
    if conversion is None:
        return original(**kwargs)
    return conversion._mlir_convert(original, kwargs)


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


def interpreter(tflite_model: bytes, xnnpack: bool = False):
    """A LiteRT interpreter of ``tflite_model`` on LiteRT's builtin kernels, without the
    XNNPACK delegate unless ``xnnpack``.

    The checks (``run``, ``verify``, the conformance battery) compare on the builtin kernels:
    on this project's 2-core machines XNNPACK served outputs that change from an
    interpreter's second call on (seq2seq_bahdanau's tiny float file, the same input three
    times: 13-15 of 20 interpreters in each of 5 processes; 0 of 20 in each of 5 without
    XNNPACK; a scoring layer alone: wrong in some processes, right in others; R-CNN's file
    in one CI run: its first image right, the next two wrong). A LiteRT fault, not the
    converter's: the same flatbuffer is right on the builtin kernels.
    The deployment table's latencies are XNNPACK's, as a phone would run them.
    ``keras-zoo verify PATH --xnnpack`` runs an export's float file under XNNPACK, several calls
    per interpreter (``verify_xnnpack``); ``benchmarks/xnnpack_audit.py`` audits every model
    and ``benchmarks/xnnpack_repro.py`` reproduces the fault for a LiteRT report (it vanishes
    with ``experimental_disable_delegate_clustering`` or
    ``experimental_disable_delegate_node_fusion``).
    """
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    if not isinstance(xnnpack, bool):
        raise ValueError(f"xnnpack must be True or False, got {xnnpack!r}.")
    if xnnpack:
        return Interpreter(model_content=tflite_model)
    return Interpreter(model_content=tflite_model,
                       experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)


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

"""One export = one TF-Serving version directory holding everything a deployment needs.

``saved_models/<name>/<version>/``:
  ``saved_model.pb``, ``variables/``   the SavedModel; ``serving_default`` takes raw inputs
  ``<name>.tflite``, ``<name>_fp16.tflite``, ``<name>_int8.tflite``   as asked
  ``keras_zoo.json``   what was exported from what (registry name, task, source checkpoint)

The whole directory is written to a temporary sibling and renamed into place: a crash leaves
no half version, and an existing version is never overwritten.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import zipfile

import keras
import numpy as np

from keras_zoo.export import tflite as tfl
from keras_zoo.export.fold import FoldResult, fold_batch_norms
from keras_zoo.export.fold_transformer import SimplifyResult, simplify_for_task
from keras_zoo.export.savedmodel import version_dir, write_archive, write_atomically

METADATA = "keras_zoo.json"


def load_keras(path: str):
    """Loads a ``.keras`` file with ``safe_mode=True``; a corrupt file is a one-line ValueError."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no such .keras file.")
    if not zipfile.is_zipfile(path):
        raise ValueError(f"{path} is not a valid .keras file (not a zip archive): corrupt or "
                         "truncated checkpoint.")
    try:
        return keras.saving.load_model(path, safe_mode=True)
    except Exception as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ValueError(f"{path} could not be loaded as a keras-zoo model: {first}") from error


def next_version(root, name) -> int:
    folder = os.path.join(os.fspath(root), name)
    if not os.path.isdir(folder):
        return 1
    versions = [int(d) for d in os.listdir(folder) if re.fullmatch(r"[0-9]+", d)]
    return max(versions, default=0) + 1


@dataclasses.dataclass(frozen=True)
class ServedModel(FoldResult):
    """``FoldResult`` (the batch norms) with ``model`` the model to serve and ``transformer``
    the Transformer simplification applied after the fold (``SimplifyResult``)."""

    transformer: SimplifyResult | None = None


def served_model(task, model) -> ServedModel:
    """What an export serves: the task's serving model (``task.export_model``: auxiliary heads
    dropped) with each inference-mode BatchNormalization that follows a convolution or dense
    layer folded into it (``fold.fold_batch_norms``: exact in float64, equal to float32
    rounding; a model it cannot fold comes back unchanged with the reason), and each other
    BatchNormalization of an image tensor (after a concatenation, a sum, a pooling) computed as
    the 1x1 DepthwiseConv2D of its inference transform (one fused kernel with a ReLU after it
    instead of a multiply, an add and the ReLU). The served graph has fewer ops to run, to trace
    and to convert. Transformer encoders are then simplified as exactly
    (``fold_transformer.simplify_for_task``: self-attention's three projections one matmul with
    the 1 / sqrt(d) scale in the query weights, pre-norm layer norms' scale and shift folded into
    the next linear map, Dense layers on tokens run on the flattened tokens so that the bias and
    GELU fuse into the matmul). ``.model`` is the model to serve; ``.transformer`` what the
    second step did.

    The conformance battery exports through this too, so that its SavedModel, parity and int8
    checks prove the graph this function gives, not another."""
    folded = fold_batch_norms(task.export_model(model))
    simplified = simplify_for_task(task, folded.model)
    return ServedModel(**{f.name: getattr(folded, f.name)
                          for f in dataclasses.fields(folded)} | {"model": simplified.model},
                       transformer=simplified)


def export(model, name: str, entry, version=None, root="saved_models", tflite=("float",),
           source: str | None = None, representative_size: int = 200) -> str:
    """Exports ``model`` (a registry ``entry``'s) as ``root/name/version``; returns the path.

    Args:
        model: the Keras model (as trained; auxiliary heads are dropped by the task and batch
            norms folded: ``served_model``).
        name: the served model's name (the directory under ``root``).
        entry: its registry entry (gives the task: serving signature, calibration data).
        version: a positive int; ``None`` takes the next free version.
        root: the TF-Serving model root.
        tflite: any of "float", "fp16", "int8".
        source: the checkpoint it came from, recorded for ``verify``.
        representative_size: embedded training examples used to calibrate int8.
    """
    from keras_zoo.tasks import get_task

    unknown = [m for m in tflite if m not in tfl.MODES]
    if unknown:
        raise ValueError(f"tflite: unknown modes {unknown}; expected some of {tfl.MODES}.")
    version = next_version(root, name) if version is None else version
    target = version_dir(root, name, version)
    task = get_task(entry.task)
    fold = served_model(task, model)
    served = fold.model
    serving_fn = task.serving_fn(served)

    def write(tmp):
        write_archive(tmp, served, serving_fn, task.serving_endpoints(served))
        files = {}
        for mode in tflite:
            representative = (task.representative_examples(served, entry, representative_size)
                              if mode == "int8" else None)
            flat = tfl.convert_savedmodel(tmp, mode, representative)
            flex = tfl.flex_ops(flat)
            if flex:
                raise ValueError(f"TFLite ({mode}) needs ops the LiteRT runtime lacks: {flex}.")
            filename = f"{name}.tflite" if mode == "float" else f"{name}_{mode}.tflite"
            with open(os.path.join(tmp, filename), "wb") as f:
                f.write(flat)
            files[mode] = filename
        meta = {"name": name, "version": int(os.path.basename(target)), "model": entry.name,
                "task": entry.task, "data": entry.data, "tflite": files,
                "source": os.path.abspath(source) if source else None,
                "keras_model_name": model.name, "batch_norms_folded": len(fold.folded),
                "batch_norms_rewritten": len(fold.rewritten),
                "self_attention_fused": len(fold.transformer.fused),
                "layer_norms_folded": len(fold.transformer.folded),
                "token_dense_layers": len(fold.transformer.flattened)}
        with open(os.path.join(tmp, METADATA), "w") as f:
            json.dump(meta, f, indent=2)

    return write_atomically(target, write)


def read_metadata(path) -> dict:
    meta_path = os.path.join(os.fspath(path), METADATA)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path} does not exist.")
    if not os.path.isdir(path):
        raise NotADirectoryError(f"{path} is not a directory (expected saved_models/NAME/"
                                 "VERSION).")
    if not os.path.isfile(meta_path):
        raise ValueError(f"{path} is not a keras-zoo export (no {METADATA}).")
    try:
        with open(meta_path, encoding="utf-8") as f:
            meta = json.load(f)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{meta_path} is not a keras-zoo export's metadata: {error}") from None
    tflite = meta.get("tflite", {}) if isinstance(meta, dict) else None
    if not isinstance(meta, dict) or not all(isinstance(meta.get(k), str)
                                             for k in ("model", "task")) \
            or not isinstance(meta.get("source") or "", str) or not isinstance(tflite, dict) \
            or not all(isinstance(v, str) for v in tflite.values()):
        raise ValueError(f"{meta_path} is not a keras-zoo export's metadata (no model and "
                         "task names).")
    return meta


def _compared(outputs: dict) -> list:
    """The outputs parity is measured on: the float ones; a model with none (a GAN serves uint8
    pixels) is compared on its integer ones instead of raising on an empty comparison."""
    floats = [k for k in outputs if np.asarray(outputs[k]).dtype.kind == "f"]
    return floats or [k for k in outputs if np.asarray(outputs[k]).dtype.kind in "iu"]


def _max_diff(a: dict, b: dict) -> float:
    keys = _compared(a)
    if not keys:
        raise ValueError(f"no numeric outputs to compare: {sorted(a)}.")
    return max(float(np.max(np.abs(np.asarray(a[k], np.float64) - np.asarray(b[k], np.float64))))
               for k in keys)


def _tolerance(task, outputs: dict, float_tolerance: float) -> float:
    """``float_tolerance`` for float outputs; integer outputs (uint8 images) may move by the
    task's own parity tolerance (one grey level for a GAN: float rounding at a .5 boundary)."""
    keys = _compared(outputs)
    if keys and all(np.asarray(outputs[k]).dtype.kind in "iu" for k in keys):
        return max(float_tolerance, task.parity_tolerance())
    return float_tolerance


def _agrees(task, reference: dict, actual: dict, diff: float, tolerance: float) -> bool:
    """Whether an export's outputs equal Keras': within ``tolerance`` everywhere, or else by
    the task's own parity check, the one the conformance battery proves (a detector's boxes in
    pixels within 1e-3; a greedy decoder's tokens may part at a step both models were unsure
    of). One ``float_tolerance`` for every task failed exports whose outputs are equal by the
    task's definition (faster_rcnn, mask_rcnn, sliding_window, seq2seq_bahdanau)."""
    if diff <= tolerance:
        return True
    try:
        task.parity_check(reference, actual)
    except AssertionError:
        return False
    return True


def _concat(parts: list) -> dict:
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def verify(path, keras_path: str | None = None, float_tolerance=1e-4, int8_agreement=None,
           n: int | None = None, batch_size: int = 64, report=None,
           fresh=None) -> tuple[bool, list]:
    """Checks an export against its Keras model on the embedded test split.

    The SavedModel runs in a fresh process that never imports keras_zoo (as TF-Serving would);
    each ``.tflite`` runs in ai-edge-litert. Float outputs must match the Keras model within
    ``float_tolerance``; int8 must agree on the top-1 class for ``int8_agreement`` of the test
    examples. Returns ``(ok, rows)``, a row ``(check, figure, limit, ok)`` per check.

    Args:
        int8_agreement: the bar for the task's ``int8_agreement`` (default: the task's
            ``int8_bar``: 0.98 of top-1 classes; a detector's 0.9 of its detections).
        n: test examples (default: the task's ``verify_size``, so that every model's check
            ends in bounded time: 10,000 digits for a classifier, 256 images for a detector).
        batch_size: examples per call of the Keras model and the SavedModel (memory stays
            bounded whatever ``n``; TFLite runs one example at a time).
        report: called with each row as soon as its check is done (the CLI prints it).
        fresh: a running ``keras_zoo.export.fresh.FreshProcess`` to reuse (one TensorFlow
            import for many verifications); by default one is started and stopped here.
    """
    import contextlib

    import keras_zoo
    from keras_zoo.export.fresh import FreshProcess
    from keras_zoo.tasks import get_task

    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}.")

    meta = read_metadata(path)
    keras_path = keras_path or meta.get("source")
    if not keras_path:
        raise ValueError(f"{path}: no source checkpoint recorded; pass the .keras file to "
                         "compare against.")
    model = load_keras(keras_path)
    entry = keras_zoo.models.info(meta["model"])
    task = get_task(meta["task"])
    if int8_agreement is None:
        int8_agreement = task.int8_bar
    served = task.export_model(model)
    inputs, _ = task.test_examples(served, entry, n=n or task.verify_size)
    count = len(next(iter(inputs.values())))
    if count == 0:
        raise ValueError("no test examples to compare on.")
    batches = [{k: v[i:i + batch_size] for k, v in inputs.items()}
               for i in range(0, count, batch_size)]
    serve = task.serving_fn(served)
    reference = _concat([{k: np.asarray(v) for k, v in serve(**b).items()} for b in batches])
    rows = []

    def add(row):
        rows.append(row)
        if report is not None:
            report(row)

    parts, answer = [], {}
    with contextlib.nullcontext(fresh) if fresh is not None else FreshProcess() as process:
        for batch in batches:
            outputs, answer = process.run(path, batch)
            if outputs is None:
                break
            parts.append(outputs)
    if outputs is None:
        add(("savedmodel (fresh process)", answer.get("error", "failed"), "loads", False))
    else:
        actual = _concat(parts)
        diff = _max_diff(reference, actual)
        tolerance = _tolerance(task, reference, float_tolerance)
        ok = _agrees(task, reference, actual, diff, tolerance) and not answer["keras_zoo_imported"]
        add(("savedmodel max |diff| (fresh process, no keras_zoo)", f"{diff:.2e}",
             f"<= {tolerance:g} or task parity", ok))
    for mode, filename in meta.get("tflite", {}).items():
        try:
            with open(os.path.join(path, filename), "rb") as f:
                flat = f.read()
            result = tfl.run(flat, inputs)
        except Exception as error:  # a corrupt or missing file fails its check, not verify
            first = (str(error).strip().splitlines() or [type(error).__name__])[0]
            add((f"tflite {mode} ({filename})", "unreadable", first[:60], False))
            continue
        if mode == "int8":
            agreement = task.int8_agreement(reference, result)
            add((f"tflite int8 top-1 agreement ({filename})", f"{agreement:.4f}",
                 f">= {int8_agreement:g}", agreement >= int8_agreement))
        else:
            diff = _max_diff(reference, result)
            limit = _tolerance(task, reference, float_tolerance if mode == "float" else 1e-2)
            if mode == "float":
                add((f"tflite float max |diff| ({filename})", f"{diff:.2e}",
                     f"<= {limit:g} or task parity",
                     _agrees(task, reference, result, diff, limit)))
            else:
                add((f"tflite {mode} max |diff| ({filename})", f"{diff:.2e}",
                     f"<= {limit:g}", diff <= limit))
    return all(r[3] for r in rows), rows

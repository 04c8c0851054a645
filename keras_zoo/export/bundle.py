"""One export = one TF-Serving version directory holding everything a deployment needs.

``saved_models/<name>/<version>/``:
  ``saved_model.pb``, ``variables/``   the SavedModel; ``serving_default`` takes raw inputs
  ``<name>.tflite``, ``<name>_fp16.tflite``, ``<name>_int8.tflite``   as asked
  ``keras_zoo.json``   what was exported from what (registry name, task, source checkpoint)

The whole directory is written to a temporary sibling and renamed into place: a crash leaves
no half version, and an existing version is never overwritten.
"""

from __future__ import annotations

import json
import os
import re
import zipfile

import keras
import numpy as np

from keras_zoo.export import tflite as tfl
from keras_zoo.export.savedmodel import version_dir, write_atomically

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


def export(model, name: str, entry, version=None, root="saved_models", tflite=("float",),
           source: str | None = None, representative_size: int = 200) -> str:
    """Exports ``model`` (a registry ``entry``'s) as ``root/name/version``; returns the path.

    Args:
        model: the Keras model (as trained; auxiliary heads are dropped by the task).
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
    served = task.export_model(model)
    serving_fn = task.serving_fn(served)

    def write(tmp):
        archive = keras.export.ExportArchive()
        archive.track(served)
        archive.add_endpoint("serving_default", serving_fn)
        archive.write_out(tmp, verbose=False)
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
                "keras_model_name": model.name}
        with open(os.path.join(tmp, METADATA), "w") as f:
            json.dump(meta, f, indent=2)

    return write_atomically(target, write)


def read_metadata(path) -> dict:
    meta_path = os.path.join(os.fspath(path), METADATA)
    if not os.path.isfile(meta_path):
        raise ValueError(f"{path} is not a keras-zoo export (no {METADATA}).")
    with open(meta_path) as f:
        return json.load(f)


def _max_diff(a: dict, b: dict) -> float:
    return max(float(np.max(np.abs(np.asarray(a[k], np.float64) - np.asarray(b[k], np.float64))))
               for k in a if np.asarray(a[k]).dtype.kind == "f")


def verify(path, keras_path: str | None = None, float_tolerance=1e-4, int8_agreement=0.98,
           n: int | None = None) -> tuple[bool, list]:
    """Checks an export against its Keras model on the embedded test split.

    The SavedModel runs in a fresh process that never imports keras_zoo (as TF-Serving would);
    each ``.tflite`` runs in ai-edge-litert. Float outputs must match the Keras model within
    ``float_tolerance``; int8 must agree on the top-1 class for ``int8_agreement`` of the test
    examples. Returns ``(ok, rows)``, a row ``(check, figure, limit, ok)`` per check.
    """
    import keras_zoo
    from keras_zoo.export.fresh import run_fresh
    from keras_zoo.tasks import get_task

    meta = read_metadata(path)
    keras_path = keras_path or meta.get("source")
    if not keras_path:
        raise ValueError(f"{path}: no source checkpoint recorded; pass the .keras file to "
                         "compare against.")
    model = load_keras(keras_path)
    entry = keras_zoo.models.info(meta["model"])
    task = get_task(meta["task"])
    served = task.export_model(model)
    inputs, _ = task.test_examples(served, entry, n=n or 10_000)
    reference = {k: np.asarray(v) for k, v in task.serving_fn(served)(**inputs).items()}
    rows = []
    outputs, report = run_fresh(path, inputs)
    if outputs is None:
        rows.append(("savedmodel (fresh process)", report.get("error", "failed"), "loads", False))
    else:
        diff = _max_diff(reference, outputs)
        ok = diff <= float_tolerance and not report["keras_zoo_imported"]
        rows.append(("savedmodel max |diff| (fresh process, no keras_zoo)", f"{diff:.2e}",
                     f"<= {float_tolerance:g}", ok))
    for mode, filename in meta.get("tflite", {}).items():
        with open(os.path.join(path, filename), "rb") as f:
            flat = f.read()
        result = tfl.run(flat, inputs)
        if mode == "int8":
            agreement = task.int8_agreement(reference, result)
            rows.append((f"tflite int8 top-1 agreement ({filename})", f"{agreement:.4f}",
                         f">= {int8_agreement:g}", agreement >= int8_agreement))
        else:
            diff = _max_diff(reference, result)
            limit = float_tolerance if mode == "float" else 1e-2
            rows.append((f"tflite {mode} max |diff| ({filename})", f"{diff:.2e}",
                         f"<= {limit:g}", diff <= limit))
    if len(next(iter(inputs.values()))) == 0:
        raise ValueError("no test examples to compare on.")
    return all(r[3] for r in rows), rows

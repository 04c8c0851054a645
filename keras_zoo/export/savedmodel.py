"""SavedModel export in the TF-Serving layout ``<root>/<name>/<version>/``.

Keras 3's ``model.export()`` drops output names and ``tf.saved_model.save(model)`` loses input
names (keras #19458, #19771): we write an ``ExportArchive`` whose ``serving_default`` is the
task's ``tf.function`` with named ``TensorSpec`` inputs and a dict of named outputs, with the
preprocessing inside, so a client sends raw data.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import tempfile
import warnings

import keras


def version_dir(root, name: str, version) -> str:
    if isinstance(version, bool) or not isinstance(version, int):
        try:
            version = int(str(version), 10)
        except ValueError:
            raise ValueError(f"version must be a positive integer, got {version!r}.") from None
    if version < 1:
        raise ValueError(f"version must be a positive integer, got {version!r}.")
    if not name or os.sep in name or name in (".", ".."):
        raise ValueError(f"name must be a plain directory name, got {name!r}.")
    return os.path.join(os.fspath(root), name, str(version))


def _tmp_prefix(target: str) -> str:
    # The host and pid in the name tell an orphan (its writer is dead) from a running export.
    return f".{os.path.basename(target)}.tmp-{socket.gethostname()}-{os.getpid()}-"


_TMP = re.compile(r"\.[^/]+\.tmp-(?:(?P<host>.+)-(?P<pid>[0-9]+)-)?[^-]*$")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_orphans(parent: str) -> list[str]:
    """Removes the temporary directories that killed exports left in ``parent`` (their writer,
    named in the directory name, no longer runs on this host); returns what it removed. A
    temporary directory of another host, or without a writer in its name, is reported with a
    warning and kept: its writer may still be running."""
    removed = []
    try:
        names = os.listdir(parent)
    except FileNotFoundError:
        return removed
    for name in sorted(names):
        match = _TMP.fullmatch(name)
        path = os.path.join(parent, name)
        if not match or not os.path.isdir(path):
            continue
        if match["pid"] and match["host"] == socket.gethostname() \
                and not _alive(int(match["pid"])):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
        else:
            warnings.warn(f"{path}: a temporary export directory, perhaps of a killed export; "
                          "remove it if no export is running.", stacklevel=2)
    return removed


def _make_readable(root: str):
    """Directories 0777 and files 0666 less the umask (0755/0644 under the usual 022), like a
    plain ``mkdir``/``open``: ``mkdtemp`` makes 0700, which a TF-Serving process running as
    another user cannot read."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(root, 0o777 & ~umask)
    for folder, dirs, files in os.walk(root):
        for d in dirs:
            os.chmod(os.path.join(folder, d), 0o777 & ~umask)
        for f in files:
            os.chmod(os.path.join(folder, f), 0o666 & ~umask)


def write_atomically(target: str, write) -> str:
    """Calls ``write(tmp_dir)`` and renames the result to ``target``.

    A crash leaves no half-written version (the temporary directory is removed; one of a killed
    process is removed by the next export into the same folder), an existing version is never
    overwritten, and the result is readable by others as the umask allows (0755/0644).
    """
    if os.path.exists(target):
        raise FileExistsError(
            f"{target} already exists: a SavedModel version is never overwritten; "
            "choose another --version."
        )
    parent = os.path.dirname(target) or "."
    os.makedirs(parent, exist_ok=True)
    remove_orphans(parent)
    tmp = tempfile.mkdtemp(prefix=_tmp_prefix(target), dir=parent)
    try:
        write(tmp)
        _make_readable(tmp)
        # rename() is atomic within one filesystem; it fails if target appeared meanwhile.
        os.rename(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def export_savedmodel(model, path: str, serving_fn, endpoints=None) -> str:
    """Writes ``model`` with ``serving_fn`` as ``serving_default`` (and ``endpoints``, more
    signatures ``{name: tf.function}``) to ``path`` (atomically)."""
    return write_atomically(os.fspath(path),
                            lambda tmp: write_archive(tmp, model, serving_fn, endpoints))


def write_archive(directory: str, model, serving_fn, endpoints=None) -> None:
    """Writes the SavedModel of ``serving_fn`` (and ``endpoints``) into ``directory``, the
    model tracked as a whole (its variables and any lookup table its tokenisation uses).

    What is written is Keras' ``ExportArchive`` (the model's variable lists, the functions'
    variables and resources, one signature per function), with each function stored as the
    concrete function already traced for its ``input_signature``. ``write_out`` stores the
    ``tf.function`` itself, and ``tf.saved_model.save`` then traces it once more (its cache key
    holds the save context), only to store a second copy of the graph that no signature uses:
    measured on tiny models, export + float conversion (CPU s) transformer 2.7 + 3.5 -> 1.2 +
    2.5, vilbert 2.7 + 2.3 -> 2.0 + 2.0, ssd 0.9 + 1.2 -> 0.6 + 1.0 (export alone, one model
    of each task: 21 models, 26.0 -> 13.5 CPU s), with byte-identical float ``.tflite`` files
    and identical SavedModel outputs on all of them. Keras' walk of the model for
    lookup tables (it traces Keras' unused default signature) runs only when the functions
    capture a resource that is not a model variable.

    Tracking only the functions' own variables (not the model's variable lists) was tried: in
    one clean-clone run two models' TFLite conversions (rcnn, seq2seq_bahdanau) then disagreed
    with Keras while their SavedModels agreed; it passed when run alone, cause unknown. The
    model's variables are therefore still all written, as ``track`` writes them.
    """
    import tensorflow as tf

    functions = {"serving_default": serving_fn, **(endpoints or {})}
    archive = keras.export.ExportArchive()
    archive.track(model)
    for name, function in functions.items():
        archive.add_endpoint(name, function)
    trackable = getattr(archive, "_tf_trackable", None)
    prepare = getattr(archive, "_filter_and_track_resources", None)
    if trackable is None or prepare is None or not hasattr(archive, "_tracked") or any(
            getattr(function, "input_signature", None) is None for function in functions.values()):
        archive.write_out(directory, verbose=False)  # another Keras, or no fixed signature
        return
    if not _captures_other_resources(model, functions.values()):
        archive._tracked = []  # nothing for Keras' walk to find (it only collects resources)
    prepare()
    concrete = {name: function.get_concrete_function() for name, function in functions.items()}
    for name, function in concrete.items():
        setattr(trackable, name, function)
    tf.saved_model.save(trackable, directory, signatures=concrete)


def _captures_other_resources(model, functions) -> bool:
    """Whether a function captures a resource (a lookup table) that is not a model variable."""
    import tensorflow as tf

    variables = {id(_handle(v)) for v in model.variables}
    for function in functions:
        for captured in function.get_concrete_function().captured_inputs:
            if captured.dtype == tf.resource and id(captured) not in variables:
                return True
    return False


def _handle(variable):
    # A Keras variable wraps a tf.Variable (``.value``); its resource handle is what a traced
    # function captures.
    return (variable.value if isinstance(variable, keras.Variable) else variable).handle

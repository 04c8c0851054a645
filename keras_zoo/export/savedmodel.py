"""SavedModel export in the TF-Serving layout ``<root>/<name>/<version>/``.

Keras 3's ``model.export()`` drops output names and ``tf.saved_model.save(model)`` loses input
names (keras #19458, #19771): we write an ``ExportArchive`` whose ``serving_default`` is the
task's ``tf.function`` with named ``TensorSpec`` inputs and a dict of named outputs, with the
preprocessing inside, so a client sends raw data.
"""

from __future__ import annotations

import os
import shutil
import tempfile

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


def write_atomically(target: str, write) -> str:
    """Calls ``write(tmp_dir)`` and renames the result to ``target``.

    A crash leaves no half-written version (the temporary directory is removed), and an
    existing version is never overwritten.
    """
    if os.path.exists(target):
        raise FileExistsError(
            f"{target} already exists: a SavedModel version is never overwritten; "
            "choose another --version."
        )
    parent = os.path.dirname(target) or "."
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f".{os.path.basename(target)}.tmp-", dir=parent)
    try:
        write(tmp)
        # rename() is atomic within one filesystem; it fails if target appeared meanwhile.
        os.rename(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def export_savedmodel(model, path: str, serving_fn) -> str:
    """Writes ``model`` with ``serving_fn`` as ``serving_default`` to ``path`` (atomically)."""

    def write(tmp):
        archive = keras.export.ExportArchive()
        archive.track(model)
        archive.add_endpoint("serving_default", serving_fn)
        archive.write_out(tmp, verbose=False)

    return write_atomically(os.fspath(path), write)

"""Export: SavedModel for TF-Serving, TFLite for phones, and the checks that both work.

    keras_zoo.export.export(model, "lenet5", version=1, tflite=("float", "int8"))
"""

from keras_zoo.export.fresh import FreshProcess, run_fresh
from keras_zoo.export.savedmodel import export_savedmodel, version_dir, write_atomically
from keras_zoo.export.tflite import (
    SavedModelConversion,
    convert_keras,
    convert_savedmodel,
    flex_ops,
    op_names,
    run,
)

__all__ = [
    "FreshProcess",
    "SavedModelConversion",
    "convert_keras",
    "convert_savedmodel",
    "export_savedmodel",
    "flex_ops",
    "op_names",
    "run",
    "run_fresh",
    "version_dir",
    "write_atomically",
]

from keras_zoo.export.bundle import export, load_keras, next_version, read_metadata, verify  # noqa: E402

__all__ += ["export", "load_keras", "next_version", "read_metadata", "verify"]

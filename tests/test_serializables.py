"""``import keras_zoo`` registers every keras-zoo serializable: a compiled model saved by a run
(segmentation metrics, depth losses, ...) loads in a fresh process with ``safe_mode=True``."""

import subprocess
import sys
import textwrap

import keras

from keras_zoo.metrics.segmentation import PixelAccuracy

_CHECK = textwrap.dedent("""
    import pathlib, pkgutil, sys
    import keras
    import keras_zoo
    root = pathlib.Path(keras_zoo.__file__).parent
    missing = []
    for info in pkgutil.walk_packages([str(root)], "keras_zoo."):
        path = root.joinpath(*info.name.split(".")[1:])
        path = path / "__init__.py" if info.ispkg else path.with_suffix(".py")
        if "register_keras_serializable" in path.read_text() and info.name not in sys.modules:
            missing.append(info.name)
    assert not missing, f"not imported by `import keras_zoo`: {missing}"
    model = keras.saving.load_model(sys.argv[1], safe_mode=True)
""")


def test_import_keras_zoo_is_enough_to_load_a_compiled_model(tmp_path):
    inputs = keras.Input((4, 4, 3))
    model = keras.Model(inputs, keras.layers.Conv2D(3, 1, activation="softmax")(inputs))
    model.compile("adam", "sparse_categorical_crossentropy", metrics=[PixelAccuracy(num_classes=3)])
    model.evaluate(keras.ops.zeros((1, 4, 4, 3)), keras.ops.zeros((1, 4, 4)), verbose=0)
    path = tmp_path / "compiled.keras"
    model.save(path)
    run = subprocess.run([sys.executable, "-c", _CHECK, str(path)], capture_output=True,
                         text=True, env={"TF_CPP_MIN_LOG_LEVEL": "3", **__import__("os").environ})
    assert run.returncode == 0, run.stderr[-2000:]

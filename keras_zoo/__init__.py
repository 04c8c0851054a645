"""keras-zoo: the architectures of the lecture notes as trainable, exportable Keras 3 models.

    import keras_zoo
    model = keras_zoo.models.get("lenet5")
    keras_zoo.models.list()
"""

import os

# keras-zoo exports through TensorFlow (SavedModel, TFLite): the TF backend is the one we test.
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import importlib  # noqa: E402

from keras_zoo import layers, models  # noqa: E402

#: Modules that register Keras serializables outside layers and models (metrics, losses and
#: tasks' compiled objects): imported here so that ``import keras_zoo`` is all
#: ``keras.saving.load_model`` needs for any saved keras-zoo model, compiled ones included.
_SERIALIZABLES = (
    "keras_zoo.data.subword",
    "keras_zoo.losses.depth",
    "keras_zoo.losses.metric_learning",
    "keras_zoo.losses.multimodal",
    "keras_zoo.losses.viewpoint",
    "keras_zoo.metrics.depth",
    "keras_zoo.metrics.graph",
    "keras_zoo.metrics.retrieval",
    "keras_zoo.metrics.segmentation",
    "keras_zoo.tasks.masked_language_model",
    "keras_zoo.tasks.seq2seq",
)
for _module in _SERIALIZABLES:
    importlib.import_module(_module)

__version__ = "0.1.0"
__all__ = ["layers", "models", "__version__"]

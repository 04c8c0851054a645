"""keras-zoo: the architectures of the lecture notes as trainable, exportable Keras 3 models.

    import keras_zoo
    model = keras_zoo.models.get("lenet5")
    keras_zoo.models.list()
"""

import os

# keras-zoo exports through TensorFlow (SavedModel, TFLite): the TF backend is the one we test.
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

from keras_zoo import layers, models  # noqa: E402

__version__ = "0.1.0"
__all__ = ["layers", "models", "__version__"]

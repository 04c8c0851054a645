"""ImageNet weights from keras.applications: ``get(name, weights="imagenet")``.

The weights come through ``keras.applications.<Model>(weights="imagenet")`` itself, so its
download cache (``~/.keras/models``) and file hashes apply, and are copied into the keras-zoo
model by the structure of the two graphs (``keras_zoo.weights.structure``), not by layer names
or list order. The source's own ``preprocess_input`` becomes a ``ChannelAffine`` layer after the
model's input, so the model keeps keras-zoo's convention: float RGB images in [0, 1].

``MODELS`` maps each registry name to ``(keras.applications constructor, preprocessing,
module of its preprocess_input, the layers of its classifier head)``. Preprocessing, on
``x`` in [0, 1]:

* ``"caffe"`` (ResNet50/101/152, VGG16/19): BGR, ``255 x`` less the ImageNet mean
  (103.939, 116.779, 123.68 in BGR order);
* ``"tf"`` (ResNet v2, Inception v3, MobileNet v1/v2): ``2 x - 1``;
* ``"torch"`` (DenseNet): ``(x - mean) / std`` with ImageNet's RGB mean and std;
* ``None`` (EfficientNet): the model's own ``Normalization`` layer already is the
  preprocessing (keras.applications' ``Rescaling(1/255)`` is what [0, 1] images skip). Its
  ImageNet graph adds a ``Rescaling(1/sqrt(std))`` after that ``Normalization`` (the released
  file stores the standard deviation where the variance belongs); the conversion folds it into
  the variance, exactly.
"""

from __future__ import annotations

import dataclasses

import keras
import numpy as np

from keras_zoo.weights import structure

IMAGENET_MEAN_BGR = (103.939, 116.779, 123.68)
IMAGENET_MEAN_RGB = (0.485, 0.456, 0.406)
IMAGENET_STD_RGB = (0.229, 0.224, 0.225)


@dataclasses.dataclass(frozen=True)
class Source:
    """One keras.applications model. ``head``: its layers that a new classifier replaces;
    ``arguments``: zoo builder arguments that keras.applications' constructor shares."""

    constructor: str
    preprocessing: str | None
    module: str
    head: tuple = ("predictions",)
    arguments: tuple = ()


_VGG_HEAD = ("fc1", "fc2", "predictions")

MODELS = {
    "resnet50": Source("ResNet50", "caffe", "resnet"),
    "resnet101": Source("ResNet101", "caffe", "resnet"),
    "resnet152": Source("ResNet152", "caffe", "resnet"),
    "resnet50v2": Source("ResNet50V2", "tf", "resnet_v2"),
    "resnet101v2": Source("ResNet101V2", "tf", "resnet_v2"),
    "resnet152v2": Source("ResNet152V2", "tf", "resnet_v2"),
    "vgg16": Source("VGG16", "caffe", "vgg16", _VGG_HEAD),
    "vgg19": Source("VGG19", "caffe", "vgg19", _VGG_HEAD),
    "inception_v3": Source("InceptionV3", "tf", "inception_v3"),
    "densenet121": Source("DenseNet121", "torch", "densenet"),
    "densenet169": Source("DenseNet169", "torch", "densenet"),
    "densenet201": Source("DenseNet201", "torch", "densenet"),
    "mobilenet": Source("MobileNet", "tf", "mobilenet", ("conv_preds",), ("alpha",)),
    "mobilenetv2": Source("MobileNetV2", "tf", "mobilenet_v2", arguments=("alpha",)),
    "efficientnetb0": Source("EfficientNetB0", None, "efficientnet"),
    "efficientnetb1": Source("EfficientNetB1", None, "efficientnet"),
    "efficientnetb2": Source("EfficientNetB2", None, "efficientnet"),
    "efficientnetb3": Source("EfficientNetB3", None, "efficientnet"),
    "efficientnetb4": Source("EfficientNetB4", None, "efficientnet"),
    "efficientnetb5": Source("EfficientNetB5", None, "efficientnet"),
    "efficientnetb6": Source("EfficientNetB6", None, "efficientnet"),
    "efficientnetb7": Source("EfficientNetB7", None, "efficientnet"),
}


OFFLINE = ("Without internet: run `keras-zoo weights NAME SOURCE -o FILE.weights.h5` on a "
           "machine that has it (or a filled download cache) and load the file with "
           "weights=FILE.")


def preprocessing_affine(mode):
    """``(matrix, offset)`` of ``ChannelAffine`` for a keras.applications mode, or None."""
    if mode is None:
        return None
    matrix = np.zeros((3, 3), "float64")
    if mode == "caffe":
        for j in range(3):
            matrix[2 - j, j] = 255.0  # output channel j (BGR) reads input channel 2 - j (RGB)
        offset = -np.asarray(IMAGENET_MEAN_BGR)
    elif mode == "tf":
        np.fill_diagonal(matrix, 2.0)
        offset = -np.ones(3)
    elif mode == "torch":
        np.fill_diagonal(matrix, 1.0 / np.asarray(IMAGENET_STD_RGB))
        offset = -np.asarray(IMAGENET_MEAN_RGB) / np.asarray(IMAGENET_STD_RGB)
    else:
        raise ValueError(f"preprocessing mode must be 'caffe', 'tf', 'torch' or None, got {mode!r}.")
    return matrix.astype("float32"), offset.astype("float32")


def constructor(name):
    return getattr(keras.applications, MODELS[name].constructor)


def _top(model, source):
    """True when ``model`` has keras.applications' own 1000-class head."""
    try:
        head = model.get_layer(source.head[-1])
    except ValueError:
        return False
    units = getattr(head, "units", None) or getattr(head, "filters", None)
    return units == 1000


def _fold_rescaling_after_normalization(source, model, pairs):
    """EfficientNet's ImageNet graph: Normalization -> Rescaling(s) is Normalization with the
    variance divided by s**2; ours has no Rescaling, so the variance takes it."""
    ours = {id(theirs): mine for theirs, mine in pairs}
    for layer in source.layers:
        if not isinstance(layer, keras.layers.Rescaling):
            continue
        producer = layer.input._keras_history[0]
        if (isinstance(producer, keras.layers.Normalization)
                and id(producer.adapt_variance) in ours):
            variance = ours[id(producer.adapt_variance)]
            scale = np.asarray(layer.scale, "float64")
            value = keras.ops.convert_to_numpy(variance).astype("float64")
            variance.assign((value / scale ** 2).astype("float32"))
            structure.refresh(model)


def convert(source, model, name, label):
    """Copies the keras.applications model ``source`` into ``model`` (the zoo's ``name``).

    Where ``source`` has no classifier head (``include_top=False``), ``model``'s head stays
    as built (new). Raises ``ValueError`` naming the first tensor that does not fit.
    """
    spec = MODELS[name]
    new_head = () if _top(source, spec) else spec.head
    pairs = structure.transfer(source, model, label, new_head=new_head)
    _fold_rescaling_after_normalization(source, model, pairs)
    return model


def load(name, model, config, weights="imagenet"):
    """``model`` (the zoo's ``name``, built with random weights from ``config``) with ImageNet
    weights, and the preprocessing they need as ``(matrix, offset)`` (or None)."""
    spec = MODELS[name]
    top = _top(model, spec)
    shared = {key: config[key] for key in spec.arguments if key in config}
    label = f"{name}: weights={weights!r} (keras.applications.{spec.constructor})"
    try:
        # Without the 1000-class top keras.applications loads the "notop" file at any size.
        source = constructor(name)(weights=weights, include_top=top, **shared)
    except Exception as error:  # keras' get_file raises a bare Exception when offline
        if "URL fetch failure" not in str(error):
            raise
        raise OSError(f"{label}: the download failed ({str(error).splitlines()[0]}). "
                      f"{OFFLINE}") from error
    convert(source, model, name, label)
    return model, preprocessing_affine(spec.preprocessing)

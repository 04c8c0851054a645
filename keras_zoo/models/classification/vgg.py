"""VGG configurations A, A-LRN, B, C, D, E (Simonyan & Zisserman, Very Deep Convolutional
Networks for Large-Scale Image Recognition, ICLR 2015)."""

import keras

from keras_zoo.layers.lrn import LocalResponseNormalization
from keras_zoo.models.classification import common
from keras_zoo.models.registry import register

#: Table 1 of the paper, one tuple per block (each followed by 2x2 max pooling); a number is a
#: 3x3 convolution's filters, ``(filters, 1)`` a 1x1 convolution (configuration C) and "LRN"
#: the local response normalisation of configuration A-LRN.
VGG_CONFIGS = {
    "A": ((64,), (128,), (256, 256), (512, 512), (512, 512)),
    "A-LRN": ((64, "LRN"), (128,), (256, 256), (512, 512), (512, 512)),
    "B": ((64, 64), (128, 128), (256, 256), (512, 512), (512, 512)),
    "C": ((64, 64), (128, 128), (256, 256, (256, 1)), (512, 512, (512, 1)),
          (512, 512, (512, 1))),
    "D": ((64, 64), (128, 128), (256, 256, 256), (512, 512, 512), (512, 512, 512)),
    "E": ((64, 64), (128, 128), (256,) * 4, (512,) * 4, (512,) * 4),
}

#: Table 2 of the paper, in millions (at 1000 classes, 224x224 input).
VGG_PAPER_PARAMS_M = {"A": 133, "A-LRN": 133, "B": 133, "C": 134, "D": 138, "E": 144}


def vgg_blocks(x, blocks, width=1.0, start=1):
    """The convolutional part: blocks of 'same' ReLU convolutions, each ending in 2x2 pooling.

    Layers are named like keras.applications' (``block3_conv2``, ``block3_pool``), so
    configurations D and E take ``keras.applications.VGG16``/``VGG19`` weights by name.
    ``start`` numbers the first block (FCN builds blocks 1-3, 4 and 5 separately to tap
    pool3 and pool4).
    """
    for b, block in enumerate(blocks, start=start):
        conv = 0
        for step in block:
            if step == "LRN":
                x = LocalResponseNormalization(name=f"block{b}_lrn")(x)
                continue
            filters, kernel = step if isinstance(step, tuple) else (step, 3)
            conv += 1
            x = keras.layers.Conv2D(max(1, int(filters * width)), kernel, padding="same",
                                    activation="relu", name=f"block{b}_conv{conv}")(x)
        x = keras.layers.MaxPooling2D(2, strides=2, name=f"block{b}_pool")(x)
    return x


def VGG(
    config="D",
    width=1.0,
    dense_units=(4096, 4096),
    dropout=0.5,
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name=None,
):
    """A VGG network of Table 1: 3x3 convolutions (stride 1, 'same'), five 2x2 max poolings,
    then FC-4096, FC-4096 (dropout 0.5 in training, as the paper) and the classifier.

    Configuration C has 1x1 convolutions in its last three blocks; A-LRN adds local response
    normalisation (Krizhevsky's constants k=2, n=5, alpha=1e-4, beta=0.75) after the first
    convolution. D and E are ``keras.applications.VGG16``/``VGG19`` layer for layer
    (138,357,544 and 143,667,240 parameters); the dropout layers own no weights.

    Args:
        config: "A", "A-LRN", "B", "C", "D" or "E".
        width: multiplier of every convolution's filters (1 in the paper; tiny configs).
        dense_units: the hidden fully connected layers (``fc1``, ``fc2``).
        dropout: drop probability after each hidden fully connected layer.
        include_top, weights, input_tensor, input_shape, pooling, classes,
            classifier_activation: as in keras.applications.
        name: the model's name (default ``vgg_<config>``).
    """
    if config not in VGG_CONFIGS:
        raise ValueError(f"VGG: config must be one of {list(VGG_CONFIGS)}, got {config!r}.")
    name = name or f"vgg_{config.lower().replace('-', '_')}"
    shape = common.validate_args(
        name=name, weights=weights, input_shape=input_shape, default_shape=(224, 224, 3),
        include_top=include_top, pooling=pooling, classes=classes, min_size=32,
    )
    inputs = common.image_input(input_tensor, shape)
    x = vgg_blocks(inputs, VGG_CONFIGS[config], width)
    if include_top:
        x = keras.layers.Flatten(name="flatten")(x)
        for i, units in enumerate(dense_units, start=1):
            x = keras.layers.Dense(units, activation="relu", name=f"fc{i}")(x)
            if dropout:
                x = keras.layers.Dropout(dropout, name=f"fc{i}_dropout")(x)
        x = keras.layers.Dense(classes, activation=classifier_activation,
                               name="predictions")(x)
    else:
        x = common.pool_features(x, pooling)
    return common.finish(inputs, x, name=name, weights=weights, input_tensor=input_tensor)


def _config(config, registry_name):
    def build(**kwargs):
        return VGG(**{"config": config, "name": registry_name, **kwargs})

    build.__name__ = registry_name.upper()
    build.__doc__ = f"VGG configuration {config} (Table 1); the arguments of ``VGG``."
    return build


VGG11, VGG11_LRN, VGG13, VGG16_C, VGG16, VGG19 = (
    _config(c, n) for c, n in (("A", "vgg11"), ("A-LRN", "vgg11_lrn"), ("B", "vgg13"),
                               ("C", "vgg16_c"), ("D", "vgg16"), ("E", "vgg19")))

#: Exact counts at 224x224x3 and 1000 classes (D and E: keras.applications').
VGG_PARAMS = {"vgg11": 132_863_336, "vgg11_lrn": 132_863_336, "vgg13": 133_047_848,
              "vgg16_c": 133_638_952, "vgg16": 138_357_544, "vgg19": 143_667_240}

_TINY = dict(width=0.125, dense_units=(32, 32), dropout=0.0, input_shape=(32, 32, 3),
             classes=10)

for _builder, _config_name in ((VGG11, "A"), (VGG11_LRN, "A-LRN"), (VGG13, "B"),
                               (VGG16_C, "C"), (VGG16, "D"), (VGG19, "E")):
    register(
        _builder.__name__.lower(),
        task="classification",
        family="vgg",
        tiny=_TINY,
        canonical=dict(input_shape=(224, 224, 3), classes=1000),
        paper="Simonyan & Zisserman, Very Deep Convolutional Networks, ICLR 2015",
        params=VGG_PARAMS[_builder.__name__.lower()],
        notes=f"Configuration {_config_name} of Table 1.",
    )(_builder)

"""Network in Network (Lin, Chen & Yan, Network In Network, ICLR 2014)."""

import keras

from keras_zoo.models.classification import common
from keras_zoo.models.registry import register

#: The authors' CIFAR-10 model (released with the paper): per mlpconv block, a spatial
#: convolution (filters, kernel) and the 1x1 "cccp" layers of its micro network, then the
#: pooling between blocks. The last 1x1 layer of the last block is the classifier.
NIN_CIFAR_BLOCKS = (
    ((192, 5), (160, 96), "max"),
    ((192, 5), (192, 192), "avg"),
    ((192, 3), (192,), None),
)


def mlpconv(x, conv_spec, cccp_filters, index, first_cccp, activation="relu"):
    """An mlpconv layer (section 3.1): a convolution followed by 1x1 convolutions, i.e. a
    multilayer perceptron slid over the image. Layers are named after the authors' Caffe
    model (``conv1``, ``cccp1``, ``cccp2``)."""
    filters, kernel = conv_spec
    x = keras.layers.Conv2D(filters, kernel, padding="same", activation=activation,
                            name=f"conv{index}")(x)
    for k, f in enumerate(cccp_filters, start=first_cccp):
        x = keras.layers.Conv2D(f, 1, activation=activation, name=f"cccp{k}")(x)
    return x


def NiN(
    blocks=NIN_CIFAR_BLOCKS,
    dropout=0.5,
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=(32, 32, 3),
    pooling=None,
    classes=10,
    classifier_activation="softmax",
    name="nin",
):
    """Network in Network: three mlpconv blocks separated by 3x3/2 pooling and dropout, and a
    last 1x1 convolution with one map per class, averaged globally (section 3.2: global
    average pooling replaces the fully connected classifier). 966,986 parameters for CIFAR-10.

    Args:
        blocks: ((filters, kernel), cccp filters, pooling after) per mlpconv block.
        dropout: dropout after each pooling (the paper's 0.5).
        include_top, weights, input_tensor, input_shape, pooling, classes,
            classifier_activation: as in keras.applications.
        name: the model's name.
    """
    shape = common.validate_args(
        name=name, weights=weights, input_shape=input_shape, default_shape=(32, 32, 3),
        include_top=include_top, pooling=pooling, classes=classes, min_size=8,
    )
    inputs = common.image_input(input_tensor, shape)
    x = inputs
    cccp = 1
    for i, (conv_spec, cccp_filters, pool) in enumerate(blocks, start=1):
        last = i == len(blocks)
        x = mlpconv(x, conv_spec, cccp_filters, i, cccp)
        cccp += len(cccp_filters)
        if pool is not None:
            layer = keras.layers.MaxPooling2D if pool == "max" else keras.layers.AveragePooling2D
            x = layer(3, strides=2, padding="same", name=f"pool{i}")(x)
            if dropout and not last:
                x = keras.layers.Dropout(dropout, name=f"drop{i}")(x)
    if include_top:
        # The classifier is the last mlpconv's final 1x1 layer: one feature map per class.
        x = keras.layers.Conv2D(classes, 1, activation="relu", name=f"cccp{cccp}")(x)
        x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = keras.layers.Activation(classifier_activation, name="predictions")(x)
    else:
        x = common.pool_features(x, pooling)
    return common.finish(inputs, x, name=name, weights=weights, input_tensor=input_tensor)


register(
    "nin",
    task="classification",
    family="nin",
    tiny=dict(blocks=(((16, 5), (16, 16), "max"), ((16, 5), (16, 16), "avg"), ((16, 3), (16,), None)),
              dropout=0.0, input_shape=(32, 32, 3), classes=10),
    canonical=dict(input_shape=(32, 32, 3), classes=10),
    paper="Lin, Chen & Yan, Network In Network, ICLR 2014",
    params=966_986,
)(NiN)

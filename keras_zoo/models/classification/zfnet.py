"""ZFNet (Zeiler & Fergus, Visualizing and understanding convolutional networks, ECCV 2014)."""

from keras_zoo.blocks.plain import conv_stack, dense_head
from keras_zoo.models.classification import common
from keras_zoo.models.registry import register


def ZFNet(
    filters=(96, 256, 384, 384, 256),
    dense_units=(4096, 4096),
    dropout=0.5,
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=(224, 224, 3),
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="zfnet",
):
    """ZFNet: AlexNet with a 7x7/2 first layer (instead of 11x11/4) and a 5x5/2 second layer,
    which the paper's deconvnet visualisations showed to keep mid-frequency filters alive; one
    tower, no groups. Feature maps follow the paper's Figure 3: 110, 55, 26, 13, 13, 13, 6.

    Args:
        filters: the filters of conv1..conv5.
        dense_units: the hidden fully connected layers.
        dropout: drop probability in the hidden fully connected layers.
        include_top, weights, input_tensor, input_shape, pooling, classes,
            classifier_activation: as in keras.applications.
        name: the model's name.
    """
    shape = common.validate_args(
        name=name, weights=weights, input_shape=input_shape, default_shape=(224, 224, 3),
        include_top=include_top, pooling=pooling, classes=classes, min_size=63,
    )
    inputs = common.image_input(input_tensor, shape)
    f1, f2, f3, f4, f5 = filters
    plan = [
        # Padding 1 then 7x7/2 gives the paper's 110; "same" 3x3/2 pooling its 55.
        ("conv", f1, 7, 2, "valid"), ("lrn",), ("pool", 3, 2, "same"),
        ("conv", f2, 5, 2, "valid"), ("lrn",), ("pool", 3, 2, "same"),
        ("conv", f3, 3, 1, "same"),
        ("conv", f4, 3, 1, "same"),
        ("conv", f5, 3, 1, "same"), ("pool", 3, 2, "valid"),
    ]
    x = keras_pad(inputs)
    x = conv_stack(x, plan)
    if include_top:
        x = dense_head(x, dense_units, classes, classifier_activation, dropout)
    else:
        x = common.pool_features(x, pooling)
    return common.finish(inputs, x, name=name, weights=weights, input_tensor=input_tensor)


def keras_pad(x):
    import keras

    return keras.layers.ZeroPadding2D(1, name="conv1_pad")(x)


register(
    "zfnet",
    task="classification",
    family="zfnet",
    tiny=dict(filters=(8, 16, 16, 16, 16), dense_units=(32, 32), input_shape=(64, 64, 3),
              classes=10, dropout=0.0),
    canonical=dict(input_shape=(224, 224, 3), classes=1000),
    paper="Zeiler & Fergus, ECCV 2014",
)(ZFNet)

"""The zip-code network of LeCun, Boser, Denker, Henderson, Howard, Hubbard & Jackel,
Backpropagation Applied to Handwritten Zip Code Recognition, Neural Computation 1(4), 1989."""

import keras

from keras_zoo.layers.untied_bias import UntiedBias
from keras_zoo.models.classification import common
from keras_zoo.models.registry import register

#: H2's partial connection: H1's 12 maps are three groups of 4, and each group of 4 H2 maps
#: sees two of the three groups (8 of the 12 H1 maps, as the paper says). The paper does not
#: publish its own table; this symmetric scheme gives its exact weight count.
H2_CONNECTIONS = ((0, 1), (1, 2), (2, 0))


def _conv(x, filters, name):
    return keras.layers.Conv2D(filters, 5, strides=2, padding="same", use_bias=False,
                               name=name)(x)


def _feature_maps(x, filters, activation, name):
    """A 5x5 stride-2 convolution with shared weights and one bias per unit (section 5.1)."""
    return UntiedBias(activation=activation, name=f"{name}_bias")(_conv(x, filters,
                                                                        f"{name}_conv"))


def LeCun1989(
    activation="tanh",
    hidden_units=30,
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=(16, 16, 1),
    pooling=None,
    classes=10,
    classifier_activation="softmax",
    name="lecun1989",
):
    """The 1989 zip-code network: 16x16 input, H1 12 maps 8x8 (5x5, stride 2), H2 12 maps
    4x4 (5x5, stride 2, each map connected to 8 of H1's 12), H3 30 units, 10 outputs.

    As in the paper, feature maps share their kernels but every unit has its own bias, and
    the 5x5 windows are two pixels apart (the input is padded so H1 is 8x8). The parameter
    count is the paper's, 9,760 (H1 1,068, H2 2,592, H3 5,790, output 310). Departures: the
    output is a softmax (the paper trained tanh outputs on a squared error) and the
    activation is plain tanh (the paper's scaled one); H2's connection table is
    ``H2_CONNECTIONS`` (the paper only says 8 of 12).

    Args:
        activation: the hidden activation.
        hidden_units: H3's units (30).
        include_top, weights, input_tensor, input_shape, pooling, classes,
            classifier_activation: as in keras.applications.
        name: the model's name.
    """
    shape = common.validate_args(
        name=name, weights=weights, input_shape=input_shape, default_shape=(16, 16, 1),
        include_top=include_top, pooling=pooling, classes=classes, min_size=4,
        fixed_shape=True,
    )
    if None in shape[:2]:
        raise ValueError(f"{name}: input_shape needs a static height and width (one bias per "
                         f"unit), got {shape}.")
    inputs = common.image_input(input_tensor, shape)
    h1 = [_feature_maps(inputs, 4, activation, f"h1_{g}") for g in "abc"]
    h2 = []
    for group, (i, j) in zip("abc", H2_CONNECTIONS, strict=True):
        # A convolution over two input groups is the sum of one convolution per group. The sum
        # (not a Concatenate of the shared H1 groups) keeps int8 TFLite conversion possible:
        # its quantizer cannot give one tensor the scales of two concatenations.
        parts = [_conv(h1[k], 4, f"h2_{group}_from_{'abc'[k]}") for k in (i, j)]
        x = keras.layers.Add(name=f"h2_{group}_sum")(parts)
        h2.append(UntiedBias(activation=activation, name=f"h2_{group}_bias")(x))
    x = keras.layers.Concatenate(name="h2")(h2)
    if include_top:
        x = keras.layers.Flatten(name="flatten")(x)
        x = keras.layers.Dense(hidden_units, activation=activation, name="h3")(x)
        x = keras.layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = common.pool_features(x, pooling)
    return common.finish(inputs, x, name=name, weights=weights, input_tensor=input_tensor)


register(
    "lecun1989",
    task="classification",
    family="lenet",
    tiny=dict(input_shape=(16, 16, 1), classes=10),
    canonical=dict(input_shape=(16, 16, 1), classes=10),
    paper="LeCun et al., Backpropagation Applied to Handwritten Zip Code Recognition, 1989",
    params=9_760,
)(LeCun1989)

"""LeNet-5 (LeCun, Bottou, Bengio & Haffner, Gradient-based learning applied to document
recognition, Proc. IEEE 1998)."""

import keras

from keras_zoo.models.classification import common
from keras_zoo.models.registry import register


def LeNet5(
    activation="tanh",
    pooling_type="avg",
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=(32, 32, 1),
    pooling=None,
    classes=10,
    classifier_activation="softmax",
    name="lenet5",
):
    """LeNet-5: C1 6@5x5, S2, C3 16@5x5, S4, C5 120@5x5, F6 84, output.

    Two simplifications of the paper, as in every modern re-implementation, stated here so
    nobody mistakes them for the original: C3 connects to all six S2 maps (the paper's sparse
    connection table gives 1,516 weights, ours 2,416), and the output is a softmax Dense layer
    instead of Euclidean RBF units. The subsampling layers are plain average (or max) pooling,
    without the paper's trainable coefficient and bias. With 32x32x1 input: 61,706 parameters.

    Args:
        activation: the hidden activation (the paper's scaled tanh; "relu" trains faster).
        pooling_type: "avg" (the paper's subsampling) or "max".
        include_top, weights, input_tensor, input_shape, pooling, classes,
            classifier_activation: as in keras.applications.
        name: the model's name.
    """
    if pooling_type not in ("avg", "max"):
        raise ValueError(f"LeNet5: pooling_type must be 'avg' or 'max', got {pooling_type!r}.")
    shape = common.validate_args(
        name=name, weights=weights, input_shape=input_shape, default_shape=(32, 32, 1),
        include_top=include_top, pooling=pooling, classes=classes, min_size=28,
    )
    inputs = common.image_input(input_tensor, shape)
    pool = keras.layers.AveragePooling2D if pooling_type == "avg" else keras.layers.MaxPooling2D
    # A 28x28 input (MNIST) is padded so that C1 still sees the paper's 32x32 field.
    padding = "same" if shape[0] < 32 else "valid"
    x = keras.layers.Conv2D(6, 5, padding=padding, activation=activation, name="c1")(inputs)
    x = pool(2, name="s2")(x)
    x = keras.layers.Conv2D(16, 5, activation=activation, name="c3")(x)
    x = pool(2, name="s4")(x)
    x = keras.layers.Conv2D(120, 5, activation=activation, name="c5")(x)
    if not include_top:
        return common.finish(inputs, common.pool_features(x, pooling), name=name,
                             weights=weights, input_tensor=input_tensor)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(84, activation=activation, name="f6")(x)
    x = keras.layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    return common.finish(inputs, x, name=name, weights=weights, input_tensor=input_tensor)


register(
    "lenet5",
    task="classification",
    family="lenet",
    tiny=dict(input_shape=(32, 32, 1), classes=10),
    canonical=dict(input_shape=(32, 32, 1), classes=10),
    paper="LeCun et al., Gradient-based learning applied to document recognition, 1998",
    params=61_706,
    recipe="lenet5",
    # keras-zoo benchmark lenet5 --jit-compile (2026-12-04, loaded 2-core machine): XLA 0.34x
    # wall, 0.68x CPU seconds per step.
    jit_compile=False,
)(LeNet5)

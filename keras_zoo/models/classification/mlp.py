"""The multilayer perceptron: the notes' first network (003, section 1.2)."""

import keras

from keras_zoo.models.classification import common
from keras_zoo.models.registry import register


def MLP(
    hidden_units=(256, 128),
    activation="relu",
    dropout=0.0,
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=(8, 8, 1),
    pooling=None,
    classes=10,
    classifier_activation="softmax",
    name="mlp",
):
    """A fully connected network on flattened images (Rumelhart, Hinton & Williams, 1986).

    Args:
        hidden_units: the width of each hidden layer.
        activation: the hidden layers' activation.
        dropout: drop probability after each hidden layer (Keras' ``Dropout(rate)``).
        include_top, weights, input_tensor, input_shape, pooling, classes,
            classifier_activation: as in keras.applications; ``pooling`` is unused (the
            features are already a vector).
        name: the model's name.

    Example:
        >>> model = MLP(hidden_units=(32,), input_shape=(8, 8, 1), classes=10)
        >>> model.output_shape
        (None, 10)
    """
    shape = common.validate_args(
        name=name, weights=weights, input_shape=input_shape, default_shape=(8, 8, 1),
        include_top=include_top, pooling=pooling, classes=classes,
    )
    inputs = common.image_input(input_tensor, shape)
    x = keras.layers.Flatten(name="flatten")(inputs)
    for i, units in enumerate(hidden_units, start=1):
        x = keras.layers.Dense(units, activation=activation, name=f"fc{i}")(x)
        if dropout:
            x = keras.layers.Dropout(dropout, name=f"fc{i}_dropout")(x)
    if include_top:
        x = keras.layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    return common.finish(inputs, x, name=name, weights=weights, input_tensor=input_tensor)


register(
    "mlp",
    task="classification",
    family="mlp",
    tiny=dict(hidden_units=(32,), input_shape=(8, 8, 1), classes=10),
    canonical=dict(hidden_units=(256, 128), input_shape=(8, 8, 1), classes=10),
    paper="Rumelhart, Hinton & Williams, Learning representations by back-propagating errors, 1986",
)(MLP)

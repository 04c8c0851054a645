"""The example CNN of the notes (003, section 3.2.5): 64x64x3 input, 5 classes, 30,485 weights."""

import keras

from keras_zoo.models.classification import common
from keras_zoo.models.registry import register


def ExampleCNN(
    filters=8,
    dropout=0.5,
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=(64, 64, 3),
    pooling=None,
    classes=5,
    classifier_activation="softmax",
    name="example_cnn",
):
    """The notes' example: Conv 8@3x3, pool, Conv 16 x2, pool, Conv 24@5x5 x2, pool, GAP, Dense 64,
    Dropout, Dense 16, Dropout, Dense 5 (lecture notes 003, section 3.2.5).

    At the notes' size (64x64x3, ``filters=8``, 5 classes) it has exactly 30,485 parameters.

    Args:
        filters: the first convolution's filters; the later ones use 2x and 3x.
        dropout: drop probability of the two Dropout layers.
        include_top, weights, input_tensor, input_shape, pooling, classes,
            classifier_activation: as in keras.applications.
        name: the model's name.
    """
    shape = common.validate_args(
        name=name, weights=weights, input_shape=input_shape, default_shape=(64, 64, 3),
        include_top=include_top, pooling=pooling, classes=classes, min_size=8,
    )
    inputs = common.image_input(input_tensor, shape)
    x = inputs
    plan = [(filters, 3), "pool", (2 * filters, 3), (2 * filters, 3), "pool",
            (3 * filters, 5), (3 * filters, 5), "pool"]
    conv = 0
    for step in plan:
        if step == "pool":
            x = keras.layers.MaxPooling2D(2, name=f"pool{conv}")(x)
            continue
        conv += 1
        n, k = step
        x = keras.layers.Conv2D(n, k, padding="same", activation="relu", name=f"conv{conv}")(x)
    if not include_top:
        return common.finish(inputs, common.pool_features(x, pooling), name=name,
                             weights=weights, input_tensor=input_tensor)
    x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    for i, units in enumerate((64, 16), start=1):
        x = keras.layers.Dense(units, activation="relu", name=f"fc{i}")(x)
        x = keras.layers.Dropout(dropout, name=f"fc{i}_dropout")(x)
    x = keras.layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    return common.finish(inputs, x, name=name, weights=weights, input_tensor=input_tensor)


register(
    "example_cnn",
    task="classification",
    family="example_cnn",
    tiny=dict(input_shape=(32, 32, 3), classes=10, filters=4, dropout=0.0),
    canonical=dict(input_shape=(64, 64, 3), classes=5),
    paper="Lecture notes 003, section 3.2.5",
    params=30_485,
)(ExampleCNN)

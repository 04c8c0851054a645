"""The MNIST classifier of Madry, Makelov, Schmidt, Tsipras & Vladu, Towards Deep Learning
Models Resistant to Adversarial Attacks, ICLR 2018 (their mnist_challenge model)."""

import keras

from keras_zoo.models.classification import common
from keras_zoo.models.registry import register


def MadryCNN(
    filters=(32, 64),
    dense_units=1024,
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=(28, 28, 1),
    pooling=None,
    classes=10,
    classifier_activation="softmax",
    name="madry_mnist",
):
    """Conv 32@5x5 'same' + ReLU, 2x2 max pool, conv 64@5x5 + ReLU, 2x2 max pool, FC 1024 +
    ReLU, classifier: 3,274,634 parameters on 28x28x1, the network the paper trains with PGD
    adversarial training (40 steps of 0.01 within eps = 0.3 on MNIST).

    Args:
        filters: the two convolutions' filters.
        dense_units: the hidden fully connected layer.
        include_top, weights, input_tensor, input_shape, pooling, classes,
            classifier_activation: as in keras.applications.
        name: the model's name.
    """
    shape = common.validate_args(
        name=name, weights=weights, input_shape=input_shape, default_shape=(28, 28, 1),
        include_top=include_top, pooling=pooling, classes=classes, min_size=4,
        fixed_shape=True,
    )
    inputs = common.image_input(input_tensor, shape)
    x = inputs
    for i, f in enumerate(filters, start=1):
        x = keras.layers.Conv2D(f, 5, padding="same", activation="relu", name=f"conv{i}")(x)
        x = keras.layers.MaxPooling2D(2, strides=2, padding="same", name=f"pool{i}")(x)
    if include_top:
        x = keras.layers.Flatten(name="flatten")(x)
        x = keras.layers.Dense(dense_units, activation="relu", name="fc1")(x)
        x = keras.layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = common.pool_features(x, pooling)
    return common.finish(inputs, x, name=name, weights=weights, input_tensor=input_tensor)


register(
    "madry_mnist",
    task="classification",
    family="madry",
    tiny=dict(dense_units=64, input_shape=(28, 28, 1), classes=10),
    canonical=dict(input_shape=(28, 28, 1), classes=10),
    paper="Madry et al., Towards Deep Learning Models Resistant to Adversarial Attacks, ICLR 2018",
    params=3_274_634,
    recipe="madry_rendered_digits_adversarial",
)(MadryCNN)

"""Plain convolution stacks and fully connected heads (AlexNet, ZFNet, VGG style).

A stack is a list of steps, each one of:
  ``("conv", filters, kernel, strides, padding)`` or with a 6th item ``groups``,
  ``("pool", size, strides, padding)`` (max pooling),
  ``("lrn",)`` (local response normalisation, AlexNet's constants).
Layers are named ``conv{i}``, ``pool{i}``, ``norm{i}`` after the paper's layer numbers.
"""

import keras

from keras_zoo.layers.lrn import LocalResponseNormalization


def conv_stack(x, plan, activation="relu"):
    conv = 0
    for step in plan:
        kind = step[0]
        if kind == "conv":
            conv += 1
            filters, kernel, strides, padding = step[1:5]
            groups = step[5] if len(step) > 5 else 1
            x = keras.layers.Conv2D(filters, kernel, strides=strides, padding=padding,
                                    groups=groups, activation=activation, name=f"conv{conv}")(x)
        elif kind == "pool":
            size, strides, padding = step[1:4]
            x = keras.layers.MaxPooling2D(size, strides=strides, padding=padding,
                                          name=f"pool{conv}")(x)
        elif kind == "lrn":
            x = LocalResponseNormalization(name=f"norm{conv}")(x)
        else:
            raise ValueError(f"conv_stack: unknown step {step!r}.")
    return x


def dense_head(x, units, classes, classifier_activation, dropout=0.5, first_index=6):
    """Flatten, the hidden fully connected layers (``fc6``, ``fc7``, ...) with dropout, output."""
    x = keras.layers.Flatten(name="flatten")(x)
    for i, n in enumerate(units, start=first_index):
        x = keras.layers.Dense(n, activation="relu", name=f"fc{i}")(x)
        if dropout:
            x = keras.layers.Dropout(dropout, name=f"fc{i}_dropout")(x)
    return keras.layers.Dense(classes, activation=classifier_activation, name="predictions")(x)

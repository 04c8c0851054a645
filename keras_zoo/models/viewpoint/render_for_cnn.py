"""Render for CNN (Su, Qi, Li & Guibas, "Render for CNN: Viewpoint Estimation in Images Using
CNNs Trained with Rendered 3D Model Views", ICCV 2015, section 4.2).

A network of shared layers (the paper: CaffeNet's conv1-fc7, here a small convolutional stack
and one fully connected layer) and *class-dependent* viewpoint heads: for every class, each of
the three angles (azimuth, elevation, in-plane rotation) is classified into ``bins`` bins (the
paper: 360). The object's class is given (the paper evaluates viewpoint with the known or
detected class): the heads of that class are selected, and training applies the
geometry-aware classification loss (``keras_zoo.losses.viewpoint``) to them only.
"""

from __future__ import annotations

import keras

from keras_zoo.models.classification import common
from keras_zoo.models.registry import register

PAPER = ("Su, Qi, Li & Guibas, Render for CNN: Viewpoint Estimation in Images Using CNNs "
         "Trained with Rendered 3D Model Views, ICCV 2015")
#: The angles each head classifies, in this order along the output's second axis.
ANGLES = ("azimuth", "elevation", "inplane")


def RenderForCNN(input_shape=(64, 64, 3), classes=12, bins=360, filters=(32, 64, 128),
                 dense_units=256, dropout=0.0, name="render_for_cnn"):
    """The viewpoint network: ``{"images" [B, H, W, C] in [0, 1], "labels" [B] class ids}`` ->
    viewpoint logits ``[B, 3, bins]`` (azimuth, elevation, in-plane) of the given class.

    Args:
        input_shape: ``(H, W, C)``.
        classes: object classes, one set of viewpoint heads each (the paper's 12).
        bins: bins per angle (the paper's 360, one degree each).
        filters: channels of the shared 3x3 convolution stages (each: conv, batch norm, ReLU,
            2x2 max pooling).
        dense_units: the shared fully connected layer (the paper's fc7 is 4096 wide).
        dropout: drop probability after it.
        name: the model's name.
    """
    shape = common.validate_args(name=name, weights=None, input_shape=input_shape,
                                 default_shape=(64, 64, 3), include_top=True, pooling=None,
                                 classes=classes, min_size=2 ** len(filters))
    if not isinstance(bins, int) or bins < 2:
        raise ValueError(f"{name}: bins must be an int >= 2, got {bins!r}.")
    images = keras.Input(shape, name="images")
    labels = keras.Input((), dtype="int32", name="labels")
    x = images
    for i, f in enumerate(filters, start=1):
        x = keras.layers.Conv2D(f, 3, padding="same", use_bias=False, name=f"conv{i}")(x)
        x = keras.layers.BatchNormalization(name=f"conv{i}_bn")(x)
        x = keras.layers.ReLU(name=f"conv{i}_relu")(x)
        x = keras.layers.MaxPooling2D(2, name=f"pool{i}")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(dense_units, activation="relu", name="fc")(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name="fc_dropout")(x)
    heads = keras.layers.Dense(classes * len(ANGLES) * bins, name="viewpoint_heads")(x)
    heads = keras.layers.Reshape((classes, len(ANGLES) * bins), name="heads_per_class")(heads)
    # The given class's heads: a one-hot row times the heads (a batched matmul, TFLite-builtin).
    one_hot = keras.layers.Embedding(classes, classes, embeddings_initializer="identity",
                                     trainable=False, name="class_one_hot")(labels)
    selected = keras.layers.Dot(axes=(1, 1), name="class_heads")([one_hot, heads])
    logits = keras.layers.Reshape((len(ANGLES), bins), name="viewpoint_logits")(selected)
    return keras.Model({"images": images, "labels": labels}, logits, name=name)


register(
    "render_for_cnn",
    task="viewpoint",
    family="viewpoint",
    tiny=dict(input_shape=(16, 16, 3), classes=3, bins=36, filters=(8, 16), dense_units=32),
    canonical=dict(input_shape=(64, 64, 3), classes=12, bins=360),
    data="viewpoints",
    recipe="render_for_cnn",
    paper=PAPER,
    notes="Class-dependent azimuth/elevation/in-plane heads over angle bins, the class given; "
          "geometry-aware loss; trained on renders over random backgrounds "
          "(keras_zoo.data.viewpoints).",
)(RenderForCNN)

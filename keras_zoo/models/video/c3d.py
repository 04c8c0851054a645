"""C3D (Tran, Bourdev, Fergus, Torresani & Paluri, Learning Spatiotemporal Features with 3D
Convolutional Networks, ICCV 2015)."""

import keras

from keras_zoo.layers.max_pooling_3d import SeparableMaxPooling3D
from keras_zoo.models.video import common

PAPER = "Tran, Bourdev, Fergus, Torresani & Paluri, ICCV 2015"


def C3D(
    filters=(64, 128, 256, 512, 512),
    dense_units=(4096, 4096),
    dropout=0.5,
    include_top=True,
    input_shape=(16, 112, 112, 3),
    pooling=None,
    classes=487,
    classifier_activation="softmax",
    kernel_initializer="glorot_uniform",
    name="c3d",
):
    """C3D: eight 3x3x3 convolutions (stride 1) in five groups, each group followed by max
    pooling, then two fully connected layers of 4096 and the classifier (section 3.3).

    The first pooling is 1x2x2 so that time is not merged too early; the others are 2x2x2.
    The fifth pooling pads (as the released Caffe model does), so that a 16x112x112 clip gives
    512x1x4x4 = 8,192 features to fc6. With 487 classes (Sports-1M) the network has 79,991,015
    parameters; the paper prints no total, this one is counted from its layer description.

    Args:
        filters: channels of the five groups (groups 3-5 have two convolutions).
        dense_units: the two hidden fully connected layers.
        dropout: drop probability after fc6 and fc7 (0.5).
        include_top: the fully connected layers and classifier; without them, ``pooling``
            reduces the last feature map ("avg", "max" or None for the map itself).
        input_shape: ``(frames, height, width, channels)``.
        pooling, classes, classifier_activation: as in keras.applications.
        kernel_initializer: of the convolutions and the hidden fully connected layers (Keras'
            default; "he_normal", He et al. 2015, keeps the activations' scale through this
            network's ten ReLU layers without batch normalisation).
        name: the model's name.
    """
    common.check_head(name, include_top, pooling, classes)
    inputs = common.clip_input(name, input_shape, min_frames=8,
                               min_size=16)
    x = inputs
    for group, (f, convs) in enumerate(zip(filters, (1, 1, 2, 2, 2), strict=True), start=1):
        for k in range(convs):
            suffix = "" if convs == 1 else "ab"[k]
            x = keras.layers.Conv3D(f, 3, padding="same", activation="relu",
                                    kernel_initializer=kernel_initializer,
                                    name=f"conv{group}{suffix}")(x)
        pool = (1, 2, 2) if group == 1 else (2, 2, 2)
        # 3-D pooling as two 2-D poolings (exact; TFLite has no 3-D pooling builtin).
        x = SeparableMaxPooling3D(pool, pool, "same" if group == 5 else "valid",
                                  name=f"pool{group}")(x)
    if not include_top:
        return keras.Model(inputs, common.head(x, name, False, pooling, None, None), name=name)
    x = keras.layers.Flatten(name="flatten")(x)
    for i, units in enumerate(dense_units, start=6):
        x = keras.layers.Dense(units, activation="relu", kernel_initializer=kernel_initializer,
                               name=f"fc{i}")(x)
        if dropout:
            x = keras.layers.Dropout(dropout, name=f"drop{i}")(x)
    outputs = keras.layers.Dense(classes, activation=classifier_activation,
                                 name="predictions")(x)
    return keras.Model(inputs, outputs, name=name)


common.register_video(
    "c3d",
    C3D,
    family="c3d",
    tiny=dict(filters=(4, 8, 8, 8, 8), dense_units=(16, 16), dropout=0.0,
              input_shape=(8, 16, 16, 3), classes=4),
    canonical=dict(input_shape=(16, 112, 112, 3), classes=487),
    paper=PAPER,
    params=79_991_015,
    notes="Sports-1M head (487 classes); fifth pooling padded as in the released Caffe model. "
          "Its recipe trains 16 x 32 x 32 clips at twice the tiny widths with He initialisation: "
          "the tiny 8 x 16 x 16 clip reaches conv5 at 1 x 1 x 1 and the signal fades through "
          "its ReLU layers.",
    recipe="c3d",
)

"""GoogLeNet / Inception v1 (Szegedy et al., Going Deeper with Convolutions, CVPR 2015)."""

import keras

from keras_zoo.blocks.inception import (
    check_modules,
    conv,
    conv_bn_relu,
    conv_relu,
    inception_module,
    pool,
)
from keras_zoo.layers.lrn import LocalResponseNormalization
from keras_zoo.models.classification import common
from keras_zoo.models.registry import register

#: Table 1 of the paper: #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj.
GOOGLENET_MODULES = {
    "3a": (64, 96, 128, 16, 32, 32),
    "3b": (128, 128, 192, 32, 96, 64),
    "4a": (192, 96, 208, 16, 48, 64),
    "4b": (160, 112, 224, 24, 64, 64),
    "4c": (128, 128, 256, 24, 64, 64),
    "4d": (112, 144, 288, 32, 64, 64),
    "4e": (256, 160, 320, 32, 128, 128),
    "5a": (256, 160, 320, 32, 128, 128),
    "5b": (384, 192, 384, 48, 128, 128),
}

#: Where the paper puts its auxiliary heads; a 3x3/2 max pooling starts stages 4 and 5.
_AUX_AFTER = ("4a", "4d")


def googlenet_module(x, filters, name, width=1.0, unit=conv_relu, five_kernel=5):
    """One Inception module of Table 1 (Figure 2b), with the BVLC Caffe model's layer names
    (``inception_3a_1x1``, ``inception_3a_3x3_reduce``, ..., ``inception_3a_pool_proj``)."""
    c1, c3r, c3, c5r, c5, proj = (max(1, int(round(f * width))) for f in filters)
    branches = [
        [conv(c1, 1, name="1x1")],
        [conv(c3r, 1, name="3x3_reduce"), conv(c3, 3, name="3x3")],
        [conv(c5r, 1, name="5x5_reduce"), conv(c5, five_kernel, name="5x5")],
        [pool("max", 3, 1, name="pool"), conv(proj, 1, name="pool_proj")],
    ]
    return inception_module(x, branches, unit, name, branch_names=[name] * 4)


def lrn(name):
    """The LRN of the BVLC GoogLeNet: Caffe's n=5, alpha=1e-4, beta=0.75, k=1, where Caffe
    divides alpha by n (hence 2e-5 in the paper-formula layer)."""
    return LocalResponseNormalization(k=1.0, n=5, alpha=1e-4 / 5, beta=0.75, name=name)


def auxiliary_classifier(x, index, classes, classifier_activation, width, dense_units,
                         dropout):
    """Section 5's side classifier: 5x5/3 average pooling, 1x1 conv 128 + ReLU, FC 1024 +
    ReLU, dropout 0.7, linear + softmax."""
    size = min(5, x.shape[1])  # small inputs: the grid is under the paper's 14x14
    x = keras.layers.AveragePooling2D(size, strides=min(3, size), name=f"aux{index}_pool")(x)
    x = keras.layers.Conv2D(max(1, int(round(128 * width))), 1, activation="relu",
                            name=f"aux{index}_conv")(x)
    x = keras.layers.Flatten(name=f"aux{index}_flatten")(x)
    x = keras.layers.Dense(dense_units, activation="relu", name=f"aux{index}_fc")(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name=f"aux{index}_dropout")(x)
    return keras.layers.Dense(classes, activation=classifier_activation,
                              name=f"aux{index}_predictions")(x)


def GoogLeNet(
    width=1.0,
    modules=tuple(GOOGLENET_MODULES),
    aux_classifiers=True,
    aux_dense_units=1024,
    aux_dropout=0.7,
    dropout=0.4,
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    batch_norm=False,
    five_kernel=5,
    name="googlenet",
):
    """GoogLeNet: conv 7x7/2, max pool, LRN, conv 1x1 + 3x3, LRN, max pool, nine Inception
    modules (3a-5b) with max pooling after 3b and 4e, global average pooling, dropout 0.4,
    classifier.

    With ``aux_classifiers=True`` (and ``include_top``) the model has three outputs: the main
    classifier first, then the two auxiliary classifiers on 4a and 4d. The classification task
    trains them through ``fit`` with loss weight 0.3 each (the paper's discount) and exports
    only the main output. Without the auxiliary heads the model has 6,998,552 parameters at
    1000 classes, recomputed from Table 1's layer definitions (6,990,272 weights + 8,280
    biases). The paper's own "params" column sums to about 6.8M but does not recompute from
    its layer columns (its 4c, 5a, 5b rows are off by 30-55K, conv1 is given as 2.7K instead of
    7*7*3*64 = 9,408); an often quoted "~5M" is wrong too. We follow the layer
    definitions, 2.9 % above the column's total; test_inception.py pins both figures.

    Args:
        width: multiplier of every convolution's filters (1 for the paper).
        modules: the Table 1 modules to build, in order (all nine for the paper; tiny
            configs keep fewer). The auxiliary heads need "4a" and "4d".
        aux_classifiers: build the two auxiliary classifiers as extra outputs.
        aux_dense_units: the auxiliary heads' hidden layer (1024).
        aux_dropout: the auxiliary heads' dropout (0.7).
        dropout: dropout before the main classifier (0.4).
        include_top, weights, input_tensor, input_shape, pooling, classes,
            classifier_activation: as in keras.applications.
        batch_norm: Inception-v1 with batch normalisation (Ioffe & Szegedy 2015, section 4.2.1:
            BN after every convolution, which then has no bias, and no LRN), the 2-D network
            that I3D inflates (Carreira & Zisserman 2017, section 2.4).
        five_kernel: the kernel of the "5x5" branch (5 in the paper; TF-slim's Inception-v1,
            the network the released I3D inflates, uses 3 there).
        name: the model's name.
    """
    shape = common.validate_args(
        name=name, weights=weights, input_shape=input_shape, default_shape=(224, 224, 3),
        include_top=include_top, pooling=pooling, classes=classes, min_size=32,
    )
    check_modules(name, modules, GOOGLENET_MODULES)
    unit = conv_bn_relu if batch_norm else conv_relu
    if aux_classifiers and include_top and not set(_AUX_AFTER) <= set(modules):
        raise ValueError(f"{name}: aux_classifiers=True needs modules 4a and 4d, got {modules!r}.")
    inputs = common.image_input(input_tensor, shape)

    def filters(f):
        return max(1, int(round(f * width)))

    x = unit(inputs, filters(64), 7, 2, "same", "conv1_7x7_s2")
    x = keras.layers.MaxPooling2D(3, strides=2, padding="same", name="pool1_3x3_s2")(x)
    if not batch_norm:
        x = lrn("pool1_norm1")(x)
    x = unit(x, filters(64), 1, 1, "same", "conv2_3x3_reduce")
    x = unit(x, filters(192), 3, 1, "same", "conv2_3x3")
    if not batch_norm:
        x = lrn("conv2_norm2")(x)
    x = keras.layers.MaxPooling2D(3, strides=2, padding="same", name="pool2_3x3_s2")(x)
    aux = []
    stage = "3"
    for key in modules:
        if key[0] != stage:
            x = keras.layers.MaxPooling2D(3, strides=2, padding="same",
                                          name=f"pool{stage}_3x3_s2")(x)
            stage = key[0]
        x = googlenet_module(x, GOOGLENET_MODULES[key], f"inception_{key}", width, unit,
                             five_kernel)
        if key in _AUX_AFTER and aux_classifiers and include_top:
            aux.append(auxiliary_classifier(x, len(aux) + 1, classes, classifier_activation,
                                            width, aux_dense_units, aux_dropout))
    x = common.classifier_head(x, include_top=include_top, pooling=pooling, classes=classes,
                               classifier_activation=classifier_activation, dropout=dropout)
    outputs = [x] + aux if aux else x
    return common.finish(inputs, outputs, name=name, weights=weights, input_tensor=input_tensor)


register(
    "googlenet",
    task="classification",
    family="inception",
    # tiny: the two modules the auxiliary classifiers read (4a, 4d), one pooling between
    # stages; 3a and 5b were the same module again.
    tiny=dict(width=0.125, modules=("4a", "4d"), aux_dense_units=32, aux_dropout=0.0, dropout=0.0,
              input_shape=(64, 64, 3), classes=10),
    canonical=dict(input_shape=(224, 224, 3), classes=1000),
    paper="Szegedy et al., Going Deeper with Convolutions, CVPR 2015",
    notes="Outputs [main, aux1 (4a), aux2 (4d)]; aux heads weigh 0.3 in fit, dropped at export.",
)(GoogLeNet)

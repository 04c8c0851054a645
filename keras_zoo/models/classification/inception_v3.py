"""Inception v3 (Szegedy, Vanhoucke, Ioffe, Shlens & Wojna, Rethinking the Inception
Architecture for Computer Vision, CVPR 2016)."""

import keras

from keras_zoo.blocks.inception import (
    conv,
    conv_bn_relu_v3,
    inception_module,
    pool,
    run_branch,
    split,
)
from keras_zoo.models.classification import common
from keras_zoo.models.registry import register


def _f(filters, width):
    return max(1, int(round(filters * width)))


def module_a(pool_filters, w):
    """35x35 module (Figure 5): 1x1, 1x1-5x5, 1x1-3x3-3x3, avgpool-1x1.

    keras.applications (and the released model) use a 5x5 branch here where Figure 5 factorises
    it into two 3x3s; we follow the released model so the weights transfer.
    """
    return [
        [conv(_f(64, w), 1)],
        [conv(_f(48, w), 1), conv(_f(64, w), 5)],
        [conv(_f(64, w), 1), conv(_f(96, w), 3), conv(_f(96, w), 3)],
        [pool("avg", 3, 1), conv(_f(pool_filters, w), 1)],
    ]


def reduction_a(w):
    """35 -> 17 grid reduction (Figure 10): 3x3/2, 1x1-3x3-3x3/2, maxpool/2."""
    return [
        [conv(_f(384, w), 3, 2, "valid")],
        [conv(_f(64, w), 1), conv(_f(96, w), 3), conv(_f(96, w), 3, 2, "valid")],
        [pool("max", 3, 2, "valid")],
    ]


def module_b(c7, w):
    """17x17 module (Figure 6, n = 7): 7x7 convolutions factorised into 1x7 and 7x1."""
    c = _f(c7, w)
    return [
        [conv(_f(192, w), 1)],
        [conv(c, 1), conv(c, (1, 7)), conv(_f(192, w), (7, 1))],
        [conv(c, 1), conv(c, (7, 1)), conv(c, (1, 7)), conv(c, (7, 1)),
         conv(_f(192, w), (1, 7))],
        [pool("avg", 3, 1), conv(_f(192, w), 1)],
    ]


def reduction_b(w):
    """17 -> 8 grid reduction: 1x1-3x3/2, 1x1-1x7-7x1-3x3/2, maxpool/2."""
    return [
        [conv(_f(192, w), 1), conv(_f(320, w), 3, 2, "valid")],
        [conv(_f(192, w), 1), conv(_f(192, w), (1, 7)), conv(_f(192, w), (7, 1)),
         conv(_f(192, w), 3, 2, "valid")],
        [pool("max", 3, 2, "valid")],
    ]


def module_c(w):
    """8x8 module (Figure 7): expanded filter banks, 1x3 and 3x1 side by side."""
    c = _f(384, w)
    return [
        [conv(_f(320, w), 1)],
        [conv(c, 1), split([conv(c, (1, 3))], [conv(c, (3, 1))])],
        [conv(_f(448, w), 1), conv(c, 3), split([conv(c, (1, 3))], [conv(c, (3, 1))])],
        [pool("avg", 3, 1), conv(_f(192, w), 1)],
    ]


def aux_head(x, classes, classifier_activation, w):
    """The auxiliary classifier on the 17x17 grid (section 8 of the paper): avgpool 5x5/3,
    1x1 conv 128, 5x5 conv 768, classifier; trained with weight 0.3 and dropped at export."""
    # The paper's 5x5/3 pooling; a small input's grid (under 17x17) takes what fits.
    size = min(5, x.shape[1])
    x = keras.layers.AveragePooling2D(size, strides=min(3, size), name="aux_pool")(x)
    x = conv_bn_relu_v3(x, _f(128, w), 1, 1, "same", "aux_conv1")
    x = conv_bn_relu_v3(x, _f(768, w), x.shape[1], 1, "valid", "aux_conv2")
    x = keras.layers.Flatten(name="aux_flatten")(x)
    return keras.layers.Dense(classes, activation=classifier_activation,
                              name="aux_predictions")(x)


def InceptionV3(
    width=1.0,
    repeats=(3, 4, 2),
    aux_classifier=False,
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="inception_v3",
):
    """Inception v3: a factorised stem, three 35x35 modules, a grid reduction, four 17x17
    modules with 1x7/7x1 factorisation, a reduction, two 8x8 modules, global pooling.

    With ``aux_classifier=False`` (default) this is ``keras.applications.InceptionV3`` layer
    for layer: 23,851,784 parameters, same graph order, so ``set_weights`` transfers its
    weights (its layer names are auto-numbered; ours are stable: ``mixed4_branch3_conv2``).
    ``aux_classifier=True`` adds the paper's auxiliary head as a second output (loss weight
    0.3 in ``fit``; ``tasks.classification.main_output_model`` drops it for export).

    Args:
        width: multiplier of every convolution's filters (1 for the paper).
        repeats: how many 35x35, 17x17 and 8x8 modules (3, 4, 2 in the paper; tiny configs
            keep fewer). The 35x35 modules' pool projections are 32 then 64; the 17x17
            modules' 7x7 widths are 128, then 160, and 192 for the last.
        aux_classifier: add the auxiliary classifier output.
        include_top, weights, input_tensor, input_shape, pooling, classes,
            classifier_activation: as in keras.applications.
        name: the model's name.
    """
    shape = common.validate_args(
        name=name, weights=weights, input_shape=input_shape, default_shape=(299, 299, 3),
        include_top=include_top, pooling=pooling, classes=classes, min_size=75,
    )
    if len(repeats) != 3 or any(not isinstance(r, int) or r < 1 for r in repeats):
        raise ValueError(f"InceptionV3: repeats must be three positive ints, got {repeats!r}.")
    if aux_classifier and not include_top:
        raise ValueError("InceptionV3: aux_classifier=True needs include_top=True.")
    inputs = common.image_input(input_tensor, shape)
    unit = conv_bn_relu_v3
    stem = [conv(_f(32, width), 3, 2, "valid"), conv(_f(32, width), 3, 1, "valid"),
            conv(_f(64, width), 3), pool("max", 3, 2, "valid"),
            conv(_f(80, width), 1, 1, "valid"), conv(_f(192, width), 3, 1, "valid"),
            pool("max", 3, 2, "valid")]
    x = run_branch(inputs, stem, unit, "stem")
    n_a, n_b, n_c = repeats
    index = iter(range(n_a + n_b + n_c + 2))  # the modules are named mixed0, mixed1, ...
    for i in range(n_a):
        x = inception_module(x, module_a(32 if i == 0 else 64, width), unit,
                             f"mixed{next(index)}")
    x = inception_module(x, reduction_a(width), unit, f"mixed{next(index)}")
    for i in range(n_b):
        c7 = 128 if i == 0 else 192 if i == n_b - 1 else 160
        x = inception_module(x, module_b(c7, width), unit, f"mixed{next(index)}")
    aux = aux_head(x, classes, classifier_activation, width) if aux_classifier else None
    x = inception_module(x, reduction_b(width), unit, f"mixed{next(index)}")
    for _ in range(n_c):
        x = inception_module(x, module_c(width), unit, f"mixed{next(index)}")
    x = common.classifier_head(x, include_top=include_top, pooling=pooling, classes=classes,
                               classifier_activation=classifier_activation)
    outputs = [x, aux] if aux is not None else x
    return common.finish(inputs, outputs, name=name, weights=weights, input_tensor=input_tensor)


register(
    "inception_v3",
    task="classification",
    family="inception",
    tiny=dict(width=0.0625, repeats=(1, 1, 1), input_shape=(75, 75, 3), classes=10),
    canonical=dict(input_shape=(299, 299, 3), classes=1000),
    paper="Szegedy et al., Rethinking the Inception Architecture, CVPR 2016",
    params=23_851_784,
)(InceptionV3)

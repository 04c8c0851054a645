"""The fully convolutional heat-map classifier: a classifier's fully connected layers turned
into convolutions, so that it slides over an image of any size and returns a map of class
scores, one per window (Long, Shelhamer & Darrell, CVPR 2015, section 3.1, figure 2:
"fully connected layers can also be viewed as convolutions with kernels that cover their entire
input regions"; Sermanet et al., OverFeat, 2014).

The first Dense layer after ``Flatten`` becomes a valid convolution whose kernel covers the
whole map the Flatten saw (its kernel is the Dense matrix reshaped to ``[h, w, c, units]``,
Flatten being row-major over h, w, c); every later Dense layer becomes a 1x1 convolution.
Weights are carried over, so at the classifier's own input size the heat map is 1x1 and holds
the classifier's outputs.
"""

from __future__ import annotations

import keras

#: Layers copied as they are (they work on maps of any size).
_COPIED = ("Conv2D", "MaxPooling2D", "AveragePooling2D", "BatchNormalization", "ReLU",
           "Activation", "Dropout", "LocalResponseNormalization", "ZeroPadding2D", "Rescaling",
           "LeakyReLU")


def _chain(model):
    """The layers of a single-path functional classifier, input to output."""
    layers, tensor = [], model.output
    while True:
        history = tensor._keras_history
        layer = history[0]
        if isinstance(layer, keras.layers.InputLayer):
            break
        node = layer._inbound_nodes[history[1]]
        inputs = node.input_tensors
        if len(inputs) != 1:
            raise ValueError(f"convolutionalize: {model.name} is not a single chain of layers "
                             f"({layer.name} takes {len(inputs)} inputs).")
        layers.append(layer)
        tensor = inputs[0]
    return layers[::-1]


def convolutionalize(classifier, input_shape=(None, None), name=None):
    """The heat-map model of a ``Flatten`` + ``Dense`` classifier, with its weights.

    Args:
        classifier: a functional classifier that is one chain of layers: convolutions,
            poolings, normalisations, activations, dropout, then ``Flatten`` and ``Dense``
            layers (LeNet-5, AlexNet, VGG, ZFNet ...). A global-pooling head has nothing to
            convolutionalize and is refused.
        input_shape: ``(H, W)`` of the heat-map model's images (None for any size); the
            channels are the classifier's.
        name: the new model's name (default ``<classifier>_heat_map``).

    Returns: a functional model ``[B, H, W, C] -> [B, H', W', classes]``.
    """
    layers = _chain(classifier)
    kinds = [type(layer).__name__ for layer in layers]
    if "Flatten" not in kinds:
        raise ValueError(f"convolutionalize: {classifier.name} has no Flatten followed by Dense "
                         f"layers (its layers: {sorted(set(kinds))}); a global-pooling head has "
                         "no fully connected map to turn into a convolution.")
    channels = classifier.input_shape[-1]
    inputs = keras.Input(tuple(input_shape) + (channels,), name="images")
    x, flat_shape = inputs, None
    for layer, kind in zip(layers, kinds, strict=True):
        if kind == "Flatten":
            flat_shape = tuple(layer.input.shape[1:])
            continue
        if kind == "Dense":
            units = layer.units
            kernel, *bias = layer.get_weights()
            if flat_shape is not None:  # the first Dense after Flatten covers the whole map
                size, kernel = flat_shape[:2], kernel.reshape(flat_shape + (units,))
                flat_shape = None
            else:
                size, kernel = (1, 1), kernel.reshape((1, 1) + kernel.shape)
            conv = keras.layers.Conv2D(units, size, activation=layer.activation,
                                       use_bias=layer.use_bias, name=f"{layer.name}_conv")
            x = conv(x)
            conv.set_weights([kernel, *bias])
            continue
        if kind not in _COPIED:
            raise ValueError(f"convolutionalize: layer {layer.name} ({kind}) of "
                             f"{classifier.name} is not one that slides over a map; supported: "
                             f"{list(_COPIED)}, Flatten and Dense.")
        if flat_shape is not None and kind != "Dropout":
            raise ValueError(f"convolutionalize: {layer.name} ({kind}) sits between Flatten and "
                             "the first Dense layer.")
        copy = type(layer).from_config(layer.get_config())
        x = copy(x)
        copy.set_weights(layer.get_weights())
    return keras.Model(inputs, x, name=name or f"{classifier.name}_heat_map")

"""``keras_zoo.weights.structure``: weightless one-input layers are transparent to the graph
hash, so two graphs that differ only by them (an explicit ZeroPadding2D before a "valid"
convolution against a "same" one; keras-hub's ResNet v2 against ours) pair alike."""

import keras

from keras_zoo.weights import structure


def _block(explicit_padding, order, width):
    inputs = keras.Input((8, 8, 4))
    x = keras.layers.ReLU()(inputs)
    if explicit_padding:  # an extra weightless layer on the path into both operands
        x = keras.layers.ZeroPadding2D(0)(x)
    convs = {"shortcut": keras.layers.Conv2D(width, 1, name="shortcut"),
             "branch": keras.layers.Conv2D(2, 1, name="branch")}
    first, second = (convs[key] for key in order)
    a, b = first(x), second(x)
    if order[0] == "branch":
        a, b = b, a  # a is the shortcut
    b = keras.layers.Conv2D(width, 1, name="branch_out")(b)
    return keras.Model(inputs, keras.layers.Add()([a, b]))


def test_weightless_layers_do_not_change_the_pairing():
    # Several widths: which operand of the Add hashes first is a coin toss per width, so a
    # hash that counted the weightless layers would flip the pairing for some of them.
    for width in range(3, 11):
        ours = [layer.name for layer in structure.weighted_layers(
            _block(False, ("shortcut", "branch"), width))]
        for order in (("shortcut", "branch"), ("branch", "shortcut")):
            theirs = [layer.name for layer in structure.weighted_layers(
                _block(True, order, width))]
            assert theirs == ours, width

"""Dense blocks and transition layers (Huang, Liu, van der Maaten & Weinberger, Densely
Connected Convolutional Networks, CVPR 2017).

Inside a dense block every layer receives the concatenation of the block input and of all the
preceding layers' outputs, and adds ``growth_rate`` (k) feature maps. A block of L layers has
L(L+1)/2 direct connections (connections, not feature maps); its
output has ``c0 + L * k`` channels. Layer names are keras.applications' (``conv2_block1_0_bn``,
``conv2_block1_1_conv``, ``conv2_block1_concat``, ``pool2_conv``), so weights match by name.
"""

import keras

from keras_zoo.blocks.residual import BN_EPSILON


def _bn_relu(x, name):
    x = keras.layers.BatchNormalization(epsilon=BN_EPSILON, name=f"{name}_bn")(x)
    return keras.layers.Activation("relu", name=f"{name}_relu")(x)


def dense_layer(x, growth_rate, *, bottleneck=True, bottleneck_width=4, dropout=0.0, name):
    """One layer H_l of a dense block; its k new feature maps are concatenated to its input.

    DenseNet-B (the paper's section 3, "Bottleneck layers") is BN-ReLU-Conv(1x1, 4k)-BN-ReLU-
    Conv(3x3, k): a BN-ReLU comes before *both* convolutions (summaries that show a BN-ReLU
    before the 3x3 only are wrong). Without the bottleneck, H_l is BN-ReLU-Conv(3x3, k).

    Args:
        x: the concatenated feature maps so far.
        growth_rate: k, the feature maps this layer adds.
        bottleneck: use the 1x1 bottleneck (DenseNet-B / -BC).
        bottleneck_width: the 1x1's filters in units of k (the paper's 4k).
        dropout: drop rate after each convolution (the paper's 0.2 on CIFAR without
            augmentation).
        name: the prefix of the layer names (``conv2_block1``).
    """
    y = _bn_relu(x, f"{name}_0")
    if bottleneck:
        y = keras.layers.Conv2D(bottleneck_width * growth_rate, 1, use_bias=False,
                                name=f"{name}_1_conv")(y)
        if dropout:
            y = keras.layers.Dropout(dropout, name=f"{name}_1_dropout")(y)
        y = _bn_relu(y, f"{name}_1")
    y = keras.layers.Conv2D(growth_rate, 3, padding="same", use_bias=False,
                            name=f"{name}_2_conv")(y)
    if dropout:
        y = keras.layers.Dropout(dropout, name=f"{name}_2_dropout")(y)
    return keras.layers.Concatenate(name=f"{name}_concat")([x, y])


def dense_block(x, layers, growth_rate, *, name, **kwargs):
    """``layers`` dense layers named ``{name}_block1`` ... (their outputs accumulate).

    Args:
        x: the block input.
        layers: the number of layers.
        growth_rate: k.
        name: the block's prefix (``conv2``).
        **kwargs: passed to ``dense_layer``.
    """
    for i in range(1, layers + 1):
        x = dense_layer(x, growth_rate, name=f"{name}_block{i}", **kwargs)
    return x


def transition(x, compression=0.5, *, dropout=0.0, name):
    """BN-ReLU, a 1x1 convolution to ``floor(compression * channels)`` maps, 2x2 average
    pooling (the paper's transition layer; compression theta < 1 makes DenseNet-C).

    Args:
        x: the dense block's output.
        compression: theta in (0, 1].
        dropout: drop rate after the convolution.
        name: the prefix (``pool2``).
    """
    if not 0 < compression <= 1:
        raise ValueError(f"compression must be in (0, 1], got {compression!r}.")
    x = _bn_relu(x, name)
    x = keras.layers.Conv2D(int(x.shape[-1] * compression), 1, use_bias=False,
                            name=f"{name}_conv")(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name=f"{name}_dropout")(x)
    return keras.layers.AveragePooling2D(2, strides=2, name=f"{name}_pool")(x)

"""Depthwise-separable and inverted-residual blocks (MobileNet v1, MobileNet v2, EfficientNet).

The layer names follow keras.applications (``conv_dw_1``, ``block_1_expand``,
``block2a_dwconv``), and each block has the same layers in the same graph order, so a model
built from these blocks takes keras.applications' weights with ``set_weights`` and by name.
"""

import keras

from keras_zoo.layers.squeeze_excitation import SqueezeExcitation


def make_divisible(value, divisor=8, min_value=None):
    """Rounds a channel count to a multiple of ``divisor`` without losing more than 10 %
    (the rounding of MobileNet v2 and EfficientNet's reference implementations)."""
    min_value = divisor if min_value is None else min_value
    rounded = max(min_value, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return int(rounded)


def same_padding_for_stride2(x, kernel_size):
    """The asymmetric zero padding TF's "same" uses with stride 2 (one more pixel at the bottom
    and right on even sizes), written out so the following convolution is "valid"."""
    height, width = x.shape[1], x.shape[2]
    adjust = (1, 1) if height is None else (1 - height % 2, 1 - width % 2)
    half = kernel_size // 2
    return ((half - adjust[0], half), (half - adjust[1], half))


def conv_bn(x, filters, kernel_size, strides=1, activation=None, name="conv", epsilon=1e-3,
            momentum=0.99, bn_name=None, act_name=None, padding="same"):
    """Conv2D without bias, BatchNormalization, then ``activation`` (a layer or a name)."""
    x = keras.layers.Conv2D(filters, kernel_size, strides=strides, padding=padding,
                            use_bias=False, name=name)(x)
    x = keras.layers.BatchNormalization(epsilon=epsilon, momentum=momentum,
                                        name=bn_name or f"{name}_bn")(x)
    return _activate(x, activation, act_name or f"{name}_relu")


def _activate(x, activation, name):
    if activation is None:
        return x
    if activation == "relu6":
        return keras.layers.ReLU(6.0, name=name)(x)
    return keras.layers.Activation(activation, name=name)(x)


def depthwise_separable_block(x, filters, strides=1, depth_multiplier=1, block_id=1):
    """MobileNet v1's block (Howard et al. 2017, Figure 3): 3x3 depthwise conv, BN, ReLU6,
    1x1 pointwise conv, BN, ReLU6.

    Args:
        x: the input tensor.
        filters: the pointwise convolution's filters (already multiplied by alpha).
        strides: 1 or 2.
        depth_multiplier: the depthwise convolution's channel multiplier.
        block_id: the index in the layer names (``conv_dw_{id}``, ``conv_pw_{id}``).
    """
    if strides == 1:
        padding = "same"
    else:
        # Keras' MobileNet pads bottom/right only, then convolves "valid".
        x = keras.layers.ZeroPadding2D(((0, 1), (0, 1)), name=f"conv_pad_{block_id}")(x)
        padding = "valid"
    x = keras.layers.DepthwiseConv2D(3, strides=strides, padding=padding,
                                     depth_multiplier=depth_multiplier, use_bias=False,
                                     name=f"conv_dw_{block_id}")(x)
    x = keras.layers.BatchNormalization(name=f"conv_dw_{block_id}_bn")(x)
    x = keras.layers.ReLU(6.0, name=f"conv_dw_{block_id}_relu")(x)
    return conv_bn(x, filters, 1, activation="relu6", name=f"conv_pw_{block_id}")


def inverted_residual_block(x, filters, expansion, strides, block_id):
    """MobileNet v2's bottleneck (Sandler et al. 2018, Table 1): 1x1 expansion + BN + ReLU6,
    3x3 depthwise + BN + ReLU6, linear 1x1 projection + BN, and a residual sum when the
    shapes allow it.

    Args:
        x: the input tensor.
        filters: the projection's output channels (already width-multiplied and rounded).
        expansion: the expansion factor t (no expansion layer when block_id is 0, as in the
            paper's first bottleneck with t = 1).
        strides: 1 or 2.
        block_id: the block index in the layer names (``block_{id}_expand``).
    """
    inputs = x
    in_channels = x.shape[-1]
    bn = dict(epsilon=1e-3, momentum=0.999)
    if block_id:
        prefix = f"block_{block_id}_"
        x = keras.layers.Conv2D(expansion * in_channels, 1, padding="same", use_bias=False,
                                name=f"{prefix}expand")(x)
        x = keras.layers.BatchNormalization(**bn, name=f"{prefix}expand_BN")(x)
        x = keras.layers.ReLU(6.0, name=f"{prefix}expand_relu")(x)
    else:
        prefix = "expanded_conv_"
    if strides == 2:
        x = keras.layers.ZeroPadding2D(same_padding_for_stride2(x, 3), name=f"{prefix}pad")(x)
    x = keras.layers.DepthwiseConv2D(3, strides=strides, use_bias=False,
                                     padding="same" if strides == 1 else "valid",
                                     name=f"{prefix}depthwise")(x)
    x = keras.layers.BatchNormalization(**bn, name=f"{prefix}depthwise_BN")(x)
    x = keras.layers.ReLU(6.0, name=f"{prefix}depthwise_relu")(x)
    x = keras.layers.Conv2D(filters, 1, padding="same", use_bias=False,
                            name=f"{prefix}project")(x)
    x = keras.layers.BatchNormalization(**bn, name=f"{prefix}project_BN")(x)
    if in_channels == filters and strides == 1:
        return keras.layers.Add(name=f"{prefix}add")([inputs, x])
    return x


def conv_kernel_initializer():
    """EfficientNet's convolution initialiser: He-style variance scaling on fan-out."""
    return keras.initializers.VarianceScaling(2.0, mode="fan_out",
                                              distribution="truncated_normal")


def mbconv_block(x, filters_in, filters_out, kernel_size, strides, expand_ratio, se_ratio,
                 drop_rate, activation="swish", name="block1a_", id_skip=True, padding="same",
                 bn_epsilon=1e-3):
    """EfficientNet's MBConv (Tan & Le 2019, after MnasNet): optional 1x1 expansion, k x k
    depthwise conv, squeeze-and-excitation on the expanded channels (bottleneck
    ``se_ratio * filters_in``), linear 1x1 projection, and drop-connect on the residual branch.

    Args:
        x: the input tensor with ``filters_in`` channels.
        filters_in, filters_out: the block's input and output channels.
        kernel_size: the depthwise kernel (3 or 5).
        strides: 1 or 2.
        expand_ratio: the expansion factor (1: no expansion convolution).
        se_ratio: the squeeze-and-excitation ratio, relative to ``filters_in``; 0 disables it.
        drop_rate: drop-connect probability of the residual branch (per example).
        activation: the activation (swish).
        name: the layer name prefix, ``block{stage}{letter}_``.
        id_skip: whether the block may have a residual connection.
        padding: of the strided depthwise convolution: ``"same"`` (TensorFlow's, asymmetric:
            the authors' TF code and keras.applications) or ``"symmetric"`` (k // 2 on every
            side: PyTorch's, timm's and keras-hub's ``EfficientNetBackbone``).
        bn_epsilon: the BatchNormalization epsilon (1e-3 in TF; 1e-5 in timm's weights).
    """
    inputs = x
    init = conv_kernel_initializer()
    filters = filters_in * expand_ratio
    if expand_ratio != 1:
        x = keras.layers.Conv2D(filters, 1, padding="same", use_bias=False,
                                kernel_initializer=init, name=f"{name}expand_conv")(x)
        x = keras.layers.BatchNormalization(epsilon=bn_epsilon, name=f"{name}expand_bn")(x)
        x = keras.layers.Activation(activation, name=f"{name}expand_activation")(x)
    if strides == 2:
        pad = (kernel_size // 2 if padding == "symmetric"
               else same_padding_for_stride2(x, kernel_size))
        x = keras.layers.ZeroPadding2D(pad, name=f"{name}dwconv_pad")(x)
    x = keras.layers.DepthwiseConv2D(kernel_size, strides=strides, use_bias=False,
                                     padding="same" if strides == 1 else "valid",
                                     depthwise_initializer=init, name=f"{name}dwconv")(x)
    x = keras.layers.BatchNormalization(epsilon=bn_epsilon, name=f"{name}bn")(x)
    x = keras.layers.Activation(activation, name=f"{name}activation")(x)
    if 0 < se_ratio <= 1:
        # One layer holding se_reduce then se_expand (kernel, bias each): the weight order of
        # keras.applications' five SE layers, which own no other weights.
        x = SqueezeExcitation(filters, max(1, int(filters_in * se_ratio)),
                              activation=activation, name=f"{name}se")(x)
    x = keras.layers.Conv2D(filters_out, 1, padding="same", use_bias=False,
                            kernel_initializer=init, name=f"{name}project_conv")(x)
    x = keras.layers.BatchNormalization(epsilon=bn_epsilon, name=f"{name}project_bn")(x)
    if id_skip and strides == 1 and filters_in == filters_out:
        if drop_rate > 0:
            # Drop-connect: the whole branch of an example is dropped (noise shared over
            # H, W, C); a Dropout layer with noise_shape, as keras.applications, owns no weights.
            x = keras.layers.Dropout(drop_rate, noise_shape=(None, 1, 1, 1),
                                     name=f"{name}drop")(x)
        x = keras.layers.Add(name=f"{name}add")([x, inputs])
    return x

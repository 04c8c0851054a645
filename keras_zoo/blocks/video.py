"""3-D convolution blocks for video networks: the 3-D and (2+1)-D residual blocks of R3D and
R(2+1)D, and the mid-channel rule that gives a (2+1)-D convolution a 3-D one's parameters;
S3D's separable unit and feature gating; the 3-D bottleneck block of SlowFast and X3D.

References: Tran, Wang, Torresani, Ray, LeCun & Paluri, A Closer Look at Spatiotemporal
Convolutions for Action Recognition (CVPR 2018), sections 3.2-3.5 and Table 1; Hara, Kataoka &
Satoh, Can Spatiotemporal 3D CNNs Retrace the History of 2D CNNs and ImageNet? (CVPR 2018).
"""

import keras

from keras_zoo.layers.depthwise_conv_3d import DepthwiseConv3D

KINDS = ("3d", "2plus1d")


def midplanes(in_channels, out_channels, t=3, d=3):
    """Tran et al. 2018, section 3.5: M_i = floor(t d^2 N_{i-1} N_i / (d^2 N_{i-1} + t N_i)),
    the intermediate channels of a (2+1)-D block that keep the t x d x d 3-D convolution's
    parameter count (``t d^2 N_{i-1} N_i``)."""
    return (t * d * d * in_channels * out_channels) // (d * d * in_channels + t * out_channels)


def bn_relu(x, name, relu=True):
    x = keras.layers.BatchNormalization(name=f"{name}_bn")(x)
    return keras.layers.Activation("relu", name=f"{name}_relu")(x) if relu else x


def conv3d(x, filters, kernel, strides, name, kind="3d"):
    """A ``t x d x d`` convolution without bias (BN follows), full 3-D or factorised into a
    spatial ``1 x d x d`` convolution, BN, ReLU and a temporal ``t x 1 x 1`` one."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}.")
    t, d, _ = kernel
    st, sd, _ = strides
    if kind == "3d" or t == 1:
        return keras.layers.Conv3D(filters, kernel, strides=strides, padding="same",
                                   use_bias=False, name=f"{name}_conv")(x)
    mid = midplanes(x.shape[-1], filters, t, d)
    x = keras.layers.Conv3D(mid, (1, d, d), strides=(1, sd, sd), padding="same",
                            use_bias=False, name=f"{name}_spatial_conv")(x)
    x = bn_relu(x, f"{name}_spatial")
    return keras.layers.Conv3D(filters, (t, 1, 1), strides=(st, 1, 1), padding="same",
                               use_bias=False, name=f"{name}_temporal_conv")(x)


def residual_block3d(x, filters, strides, name, kind="3d"):
    """The basic residual block with 3x3x3 (or (2+1)-D) convolutions and a projection
    shortcut (1x1x1 convolution + BN) where the shape changes."""
    shortcut = x
    if strides != (1, 1, 1) or x.shape[-1] != filters:
        shortcut = keras.layers.Conv3D(filters, 1, strides=strides, use_bias=False,
                                       name=f"{name}_0_conv")(x)
        shortcut = keras.layers.BatchNormalization(name=f"{name}_0_bn")(shortcut)
    y = conv3d(x, filters, (3, 3, 3), strides, f"{name}_1", kind)
    y = bn_relu(y, f"{name}_1")
    y = conv3d(y, filters, (3, 3, 3), (1, 1, 1), f"{name}_2", kind)
    y = bn_relu(y, f"{name}_2", relu=False)
    y = keras.layers.Add(name=f"{name}_add")([shortcut, y])
    return keras.layers.Activation("relu", name=f"{name}_out")(y)


def resnet3d_stages(x, filters, blocks, kind="3d", temporal_strides=True):
    """Stages conv2_x .. conv5_x: stage i has ``blocks[i]`` blocks of ``filters[i]`` channels;
    every stage after the first halves space (and time, if ``temporal_strides``)."""
    for i, (f, n) in enumerate(zip(filters, blocks, strict=True)):
        for j in range(n):
            down = i > 0 and j == 0
            s = ((2 if temporal_strides else 1), 2, 2) if down else (1, 1, 1)
            x = residual_block3d(x, f, s, f"conv{i + 2}_block{j + 1}", kind)
    return x


def self_gating(x, name):
    """S3D-G's feature gating (Xie et al. 2018, section 4.2, eq. 1): y = sigmoid(W pool(x) + b)
    * x, the channel weights computed from the features averaged over time and space."""
    pooled = keras.layers.GlobalAveragePooling3D(keepdims=True, name=f"{name}_gate_pool")(x)
    weights = keras.layers.Dense(x.shape[-1], activation="sigmoid",
                                 name=f"{name}_gate")(pooled)
    return keras.layers.Multiply(name=f"{name}_gated")([x, weights])


def separable_unit3d(x, filters, kernel, strides, name, gating=False):
    """S3D's unit (Xie et al. 2018, Fig. 2c): a ``t x k x k`` convolution as a ``1 x k x k``
    spatial and a ``t x 1 x 1`` temporal convolution, each with BN and ReLU, both of
    ``filters`` channels (not the (2+1)-D mid-channel rule); a 1x1x1 kernel stays one
    convolution. ``gating`` applies ``self_gating`` to the unit's output (S3D-G)."""
    t, k, _ = kernel
    st, sk, _ = strides
    if k > 1 and t > 1:
        x = keras.layers.Conv3D(filters, (1, k, k), strides=(1, sk, sk), padding="same",
                                use_bias=False, name=f"{name}_spatial_conv")(x)
        x = bn_relu(x, f"{name}_spatial")
        x = keras.layers.Conv3D(filters, (t, 1, 1), strides=(st, 1, 1), padding="same",
                                use_bias=False, name=f"{name}_temporal_conv")(x)
        x = bn_relu(x, f"{name}_temporal")
    else:
        x = keras.layers.Conv3D(filters, kernel, strides=strides, padding="same",
                                use_bias=False, name=f"{name}_conv")(x)
        x = bn_relu(x, name)
    return self_gating(x, name) if gating else x


def squeeze_excite3d(x, bottleneck, name):
    """Squeeze-and-excitation over a clip (X3D's SE): average over time and space, a
    ``bottleneck``-unit ReLU layer, a sigmoid layer of the channels, channel-wise rescale."""
    s = keras.layers.GlobalAveragePooling3D(keepdims=True, name=f"{name}_se_pool")(x)
    s = keras.layers.Dense(bottleneck, activation="relu", name=f"{name}_se_reduce")(s)
    s = keras.layers.Dense(x.shape[-1], activation="sigmoid", name=f"{name}_se_expand")(s)
    return keras.layers.Multiply(name=f"{name}_se")([x, s])


def bottleneck_block3d(x, filters, inner, strides, name, temporal_kernel=1, depthwise=False,
                       se_bottleneck=None, activation="relu"):
    """The 3-D bottleneck residual block of SlowFast and X3D: a ``temporal_kernel x 1 x 1``
    convolution to ``inner`` channels, a spatial ``1 x 3 x 3`` convolution (SlowFast, Table 1)
    or a channel-wise ``3 x 3 x 3`` one (``depthwise``, X3D Table 1) carrying the stride, then
    optional squeeze-excitation and ``activation`` (X3D: swish), and a ``1 x 1 x 1``
    convolution to ``filters``; BN after each convolution, a projection shortcut where the
    shape changes, ReLU after the sum.

    Args:
        filters: output channels.
        inner: channels of the middle convolution.
        strides: ``(t, h, w)`` of the middle convolution (and the shortcut).
        name: layer-name prefix.
        temporal_kernel: the first convolution's kernel in time (SlowFast: 3 in the fast
            pathway and in the slow pathway's res4-res5, else 1).
        depthwise: channel-wise 3x3x3 middle convolution (X3D).
        se_bottleneck: SE's hidden units, or None for no SE.
        activation: after the middle convolution.
    """
    strides = tuple(strides)
    shortcut = x
    if strides != (1, 1, 1) or x.shape[-1] != filters:
        shortcut = keras.layers.Conv3D(filters, 1, strides=strides, use_bias=False,
                                       name=f"{name}_0_conv")(x)
        shortcut = keras.layers.BatchNormalization(name=f"{name}_0_bn")(shortcut)
    y = keras.layers.Conv3D(inner, (temporal_kernel, 1, 1), padding="same", use_bias=False,
                            name=f"{name}_1_conv")(x)
    y = bn_relu(y, f"{name}_1")
    if depthwise:
        y = DepthwiseConv3D((3, 3, 3), strides, "same", name=f"{name}_2_conv")(y)
    else:
        y = keras.layers.Conv3D(inner, (1, 3, 3), strides=strides, padding="same",
                                use_bias=False, name=f"{name}_2_conv")(y)
    y = keras.layers.BatchNormalization(name=f"{name}_2_bn")(y)
    if se_bottleneck:
        y = squeeze_excite3d(y, se_bottleneck, f"{name}_2")
    y = keras.layers.Activation(activation, name=f"{name}_2_{activation}")(y)
    y = keras.layers.Conv3D(filters, 1, use_bias=False, name=f"{name}_3_conv")(y)
    y = keras.layers.BatchNormalization(name=f"{name}_3_bn")(y)
    y = keras.layers.Add(name=f"{name}_add")([shortcut, y])
    return keras.layers.Activation("relu", name=f"{name}_out")(y)

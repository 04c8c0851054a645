"""3-D convolution blocks for video networks: the 3-D and (2+1)-D residual blocks of R3D and
R(2+1)D, and the mid-channel rule that gives a (2+1)-D convolution a 3-D one's parameters.

References: Tran, Wang, Torresani, Ray, LeCun & Paluri, A Closer Look at Spatiotemporal
Convolutions for Action Recognition (CVPR 2018), sections 3.2-3.5 and Table 1; Hara, Kataoka &
Satoh, Can Spatiotemporal 3D CNNs Retrace the History of 2D CNNs and ImageNet? (CVPR 2018).
"""

import keras

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

"""Residual blocks: basic and bottleneck, post-activation (ResNet v1, ResNeXt, SE-ResNet, the
CIFAR ResNets) and pre-activation (ResNet v2, Wide ResNet), with or without shortcuts.

Layers are named as in keras.applications so that weights match by name and by order:
``{name}_0_conv``/``_0_bn`` (projection shortcut), ``{name}_1_conv``, ``_1_bn``, ``_1_relu``, ...,
``{name}_add`` and ``{name}_out``. The shortcut is built before the residual branch, as
keras.applications does, which keeps ``model.weights`` in the same order for ``set_weights``.

References: He, Zhang, Ren & Sun, Deep Residual Learning for Image Recognition (CVPR 2016);
He et al., Identity Mappings in Deep Residual Networks (ECCV 2016); Xie et al., Aggregated
Residual Transformations (ResNeXt, CVPR 2017); Hu, Shen & Sun, Squeeze-and-Excitation Networks
(CVPR 2018); Zagoruyko & Komodakis, Wide Residual Networks (BMVC 2016); He, Zhang, Zhang,
Zhang, Xie & Li, Bag of Tricks for Image Classification with Convolutional Neural Networks
(ResNet-D, CVPR 2019).
"""

import keras

from keras_zoo.layers.channel_padding import ChannelPadding
from keras_zoo.layers.squeeze_excitation import SqueezeExcitation
from keras_zoo.layers.subsampled_conv_2d import SubsampledConv2D

#: keras.applications' BatchNormalization epsilon (its ResNet and DenseNet weights need it).
BN_EPSILON = 1.001e-5
#: The SE reduction ratio r of Hu et al. (section 6.1: r = 16).
SE_RATIO = 16
SHORTCUTS = ("projection", "zero_pad", "none", "avg_projection")
STRIDE_AT = ("1x1", "3x3")
#: A strided 1x1 convolution of fewer input channels is a ``SubsampledConv2D``
#: (``pointwise_conv``). At 16 and more (every canonical ResNet; 16 to 256 measured) the
#: filter gradient was exact, and a plain ``Conv2D`` keeps the layer classes of
#: keras.applications, which its ``.weights.h5`` files and the structural weight pairing
#: (keras_zoo.weights.structure) key on.
SUBSAMPLE_BELOW_CHANNELS = 16


def _bn(x, name, epsilon=BN_EPSILON):
    return keras.layers.BatchNormalization(epsilon=epsilon, name=name)(x)


def _relu(x, name):
    return keras.layers.Activation("relu", name=name)(x)


def _conv(x, filters, kernel_size, name, strides=1, groups=1, use_bias=True):
    # A strided 3x3 is padded explicitly (1 on each side, as in the papers' Torch/Caffe code),
    # because "same" pads only bottom/right for even inputs and would shift the sampling grid.
    padding = "same"
    if kernel_size > 1 and strides > 1:
        x = keras.layers.ZeroPadding2D(kernel_size // 2, name=f"{name}_pad")(x)
        padding = "valid"
    return keras.layers.Conv2D(filters, kernel_size, strides=strides, padding=padding,
                               groups=groups, use_bias=use_bias, name=f"{name}_conv")(x)


def pointwise_conv(x, filters, strides=1, use_bias=True, name=None):
    """A 1x1 ``Conv2D`` of ``x``; where it is strided and ``x`` has fewer than
    ``SUBSAMPLE_BELOW_CHANNELS`` channels, ``SubsampledConv2D``: the same function, weights and
    arguments, computed as a subsampling and a stride-1 1x1 convolution, because TensorFlow's
    CPU filter gradient of a strided 1x1 convolution corrupts the heap there at odd batches
    (the layer's docstring has the measured shapes)."""
    strided = strides not in (1, (1, 1))
    conv = (SubsampledConv2D if strided and x.shape[-1] < SUBSAMPLE_BELOW_CHANNELS
            else keras.layers.Conv2D)
    return conv(filters, 1, strides=strides, use_bias=use_bias, name=name)(x)


def _check(shortcut, stride_at=None):
    if shortcut not in SHORTCUTS:
        raise ValueError(f"shortcut must be one of {list(SHORTCUTS)}, got {shortcut!r}.")
    if stride_at is not None and stride_at not in STRIDE_AT:
        raise ValueError(f"stride_at must be one of {list(STRIDE_AT)}, got {stride_at!r}.")


def _shortcut_v1(x, out_filters, strides, shortcut, use_bias, name, bn_epsilon=BN_EPSILON,
                 project=False):
    """The identity, or where the shape changes (or ``project``) a 1x1 projection + BN
    (option B), a 2x2 average pooling then a stride-1 1x1 projection + BN (ResNet-D), or a
    subsampling + zero channels (option A); ``None`` for a plain network."""
    if shortcut == "none":
        return None
    if strides == 1 and x.shape[-1] == out_filters and not project:
        return x
    if shortcut == "zero_pad":
        if strides > 1:
            x = keras.layers.MaxPooling2D(1, strides=strides, name=f"{name}_0_pool")(x)
        return ChannelPadding(after=out_filters - x.shape[-1], name=f"{name}_0_padding")(x)
    if shortcut == "avg_projection":
        if strides > 1:
            # "same": an odd side's last window averages the pixels it has (Paddle's
            # ceil_mode with exclusive averaging, keras-hub's ResNet-vd).
            x = keras.layers.AveragePooling2D(2, strides=strides, padding="same",
                                              name=f"{name}_0_pool")(x)
        strides = 1
    x = pointwise_conv(x, out_filters, strides, use_bias, f"{name}_0_conv")
    return _bn(x, f"{name}_0_bn", bn_epsilon)


def _merge_v1(shortcut, x, se, name):
    """SE on the residual branch (Hu et al., Fig. 3), addition, ReLU after the addition."""
    if se:
        channels = x.shape[-1]
        x = SqueezeExcitation(channels, max(1, channels // SE_RATIO), name=f"{name}_se")(x)
    if shortcut is not None:
        x = keras.layers.Add(name=f"{name}_add")([shortcut, x])
    return _relu(x, f"{name}_out")


def basic_block(x, filters, *, strides=1, shortcut="projection", use_bias=True, se=False,
                bn_epsilon=BN_EPSILON, project=False, name):
    """Two 3x3 convolutions (ResNet-18/34 and the CIFAR ResNets; He et al. 2016, Fig. 5 left).

    Args:
        x: the input tensor.
        filters: the block's width (input and output, after the first block of a stage).
        strides: the first 3x3's stride.
        shortcut: ``"projection"`` (option B: 1x1 conv where the shape changes),
            ``"zero_pad"`` (option A: subsample + zero channels), ``"avg_projection"``
            (ResNet-D, Bag of Tricks Fig. 2c: a 2x2/2 average pooling where the block
            downsamples, then a stride-1 1x1 conv) or ``"none"`` (plain net).
        use_bias: biases in the convolutions (keras.applications keeps them; the papers'
            Torch models do not, since BN follows).
        se: a squeeze-and-excitation gate on the residual branch.
        bn_epsilon: the BatchNormalization epsilon (keras.applications' 1.001e-5; torchvision
            and keras-hub 1e-5).
        project: a projection shortcut also where the shape does not change.
        name: the prefix of the layer names (``conv2_block1``).
    """
    _check(shortcut)
    short = _shortcut_v1(x, filters, strides, shortcut, use_bias, name, bn_epsilon, project)
    x = _conv(x, filters, 3, f"{name}_1", strides=strides, use_bias=use_bias)
    x = _relu(_bn(x, f"{name}_1_bn", bn_epsilon), f"{name}_1_relu")
    x = _conv(x, filters, 3, f"{name}_2", use_bias=use_bias)
    x = _bn(x, f"{name}_2_bn", bn_epsilon)
    return _merge_v1(short, x, se, name)


def bottleneck_block(x, filters, *, strides=1, shortcut="projection", use_bias=True, se=False,
                     stride_at="1x1", groups=1, width=None, expansion=4,
                     bn_epsilon=BN_EPSILON, project=False, name):
    """1x1 reduce, 3x3, 1x1 expand to ``expansion * filters`` (He et al. 2016, Fig. 5 right).

    Args:
        x: the input tensor.
        filters: the bottleneck width of ResNet (64, 128, 256, 512); the output has
            ``expansion * filters`` channels.
        strides: the block's stride.
        shortcut: ``"projection"``, ``"zero_pad"``, ``"avg_projection"`` or ``"none"`` (see
            ``basic_block``).
        use_bias: biases in the convolutions.
        se: a squeeze-and-excitation gate on the residual branch (SE-ResNet).
        stride_at: ``"1x1"`` puts the stride in the first 1x1 convolution, as the paper's Caffe
            model and keras.applications do; ``"3x3"`` puts it in the 3x3 ("ResNet v1.5",
            torchvision, ResNeXt), which sees every input pixel instead of one in four.
        groups: the 3x3's groups, the cardinality of ResNeXt.
        width: the 1x1/3x3 width, ``filters`` unless given (ResNeXt: cardinality x d).
        expansion: output channels / ``filters``.
        bn_epsilon: the BatchNormalization epsilon (see ``basic_block``).
        project: a projection shortcut also where the shape does not change.
        name: the prefix of the layer names.
    """
    _check(shortcut, stride_at)
    width = width or filters
    short = _shortcut_v1(x, expansion * filters, strides, shortcut, use_bias, name, bn_epsilon,
                         project)
    first, middle = (strides, 1) if stride_at == "1x1" else (1, strides)
    x = pointwise_conv(x, width, first, use_bias, f"{name}_1_conv")
    x = _relu(_bn(x, f"{name}_1_bn", bn_epsilon), f"{name}_1_relu")
    x = _conv(x, width, 3, f"{name}_2", strides=middle, groups=groups, use_bias=use_bias)
    x = _relu(_bn(x, f"{name}_2_bn", bn_epsilon), f"{name}_2_relu")
    x = keras.layers.Conv2D(expansion * filters, 1, use_bias=use_bias, name=f"{name}_3_conv")(x)
    x = _bn(x, f"{name}_3_bn", bn_epsilon)
    return _merge_v1(short, x, se, name)


def stack(x, block, filters, blocks, *, strides=2, project_first=False, name, **kwargs):
    """A stage of ``blocks`` post-activation blocks; the first one downsamples by ``strides``.

    Args:
        x: the input tensor.
        block: ``basic_block`` or ``bottleneck_block``.
        filters: the blocks' ``filters``.
        blocks: how many blocks.
        strides: the first block's stride.
        project_first: the first block's shortcut is a projection also where its shape does
            not change (the released ResNet-vd-18/34's first stage).
        name: the stage's prefix (``conv2``); blocks are ``{name}_block{i}`` from 1.
        **kwargs: passed to every block.
    """
    for i in range(1, blocks + 1):
        extra = {"project": True} if project_first and i == 1 else {}
        x = block(x, filters, strides=strides if i == 1 else 1, name=f"{name}_block{i}",
                  **kwargs, **extra)
    return x


def preact_bottleneck_block(x, filters, *, strides=1, projection=False, use_bias=True,
                            bn_epsilon=BN_EPSILON, name):
    """Pre-activation bottleneck (He et al., Identity Mappings, 2016, Fig. 1b and 4e):
    BN-ReLU, 1x1, BN-ReLU, 3x3 (strided), BN-ReLU, 1x1, addition without a ReLU after it.

    The BN-ReLU of the block input is shared by the branch and a projection shortcut. Where the
    identity shortcut meets a strided block it is subsampled by a 1x1 max pooling (a stride),
    as in keras.applications' ResNetV2. Biases as in keras.applications: on the projection
    and on the last 1x1 (nothing normalises them), not on the convolutions BN follows.

    Args:
        x: the input tensor.
        filters: the bottleneck width; the output has ``4 * filters`` channels.
        strides: the 3x3's stride.
        projection: a 1x1 projection shortcut (the first block of a stage).
        use_bias: the projection's and the last 1x1's biases (False: none anywhere, as
            torchvision and keras-hub).
        bn_epsilon: the BatchNormalization epsilon.
        name: the prefix of the layer names.
    """
    preact = _relu(_bn(x, f"{name}_preact_bn", bn_epsilon), f"{name}_preact_relu")
    if projection:
        short = pointwise_conv(preact, 4 * filters, strides, use_bias, f"{name}_0_conv")
    elif strides > 1:
        short = keras.layers.MaxPooling2D(1, strides=strides, name=f"{name}_0_pool")(x)
    else:
        short = x
    y = keras.layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_1_conv")(preact)
    y = _relu(_bn(y, f"{name}_1_bn", bn_epsilon), f"{name}_1_relu")
    # Padded explicitly at every stride, like keras.applications, so its weights give its
    # outputs also where the stride is 2.
    y = keras.layers.ZeroPadding2D(1, name=f"{name}_2_pad")(y)
    y = keras.layers.Conv2D(filters, 3, strides=strides, use_bias=False,
                            name=f"{name}_2_conv")(y)
    y = _relu(_bn(y, f"{name}_2_bn", bn_epsilon), f"{name}_2_relu")
    y = keras.layers.Conv2D(4 * filters, 1, use_bias=use_bias, name=f"{name}_3_conv")(y)
    return keras.layers.Add(name=f"{name}_out")([short, y])


def preact_stack(x, filters, blocks, *, strides=2, stride_block="last", use_bias=True,
                 bn_epsilon=BN_EPSILON, name):
    """A stage of pre-activation bottlenecks; the first has the projection shortcut.

    Args:
        x: the input tensor.
        filters: the bottleneck width.
        blocks: how many blocks.
        strides: the stage's downsampling.
        stride_block: ``"last"`` downsamples in the stage's last block (keras.applications'
            ResNetV2, from the TF-slim implementation); ``"first"`` in its first block, as
            the paper's Torch code does. The parameter count is the same.
        use_bias, bn_epsilon: as in ``preact_bottleneck_block``.
        name: the stage's prefix.
    """
    if stride_block not in ("first", "last"):
        raise ValueError(f"stride_block must be 'first' or 'last', got {stride_block!r}.")
    at = 1 if stride_block == "first" else blocks
    for i in range(1, blocks + 1):
        x = preact_bottleneck_block(x, filters, strides=strides if i == at else 1,
                                    projection=i == 1, use_bias=use_bias,
                                    bn_epsilon=bn_epsilon, name=f"{name}_block{i}")
    return x


def wide_basic_block(x, filters, *, strides=1, dropout=0.0, name):
    """Wide ResNet's pre-activation block B(3,3) (Zagoruyko & Komodakis 2016, Fig. 1d):
    BN-ReLU, 3x3, BN-ReLU, dropout, 3x3; a bias-free 1x1 projection of the pre-activated input
    where the shape changes.

    Args:
        x: the input tensor.
        filters: the block's width (16k, 32k, 64k).
        strides: the first 3x3's stride.
        dropout: the drop rate between the two convolutions (the paper's 0.3 on CIFAR).
        name: the prefix of the layer names.
    """
    preact = _relu(_bn(x, f"{name}_preact_bn"), f"{name}_preact_relu")
    short = x
    if strides > 1 or x.shape[-1] != filters:
        short = pointwise_conv(preact, filters, strides, False, f"{name}_0_conv")
    y = _conv(preact, filters, 3, f"{name}_1", strides=strides, use_bias=False)
    y = _relu(_bn(y, f"{name}_1_bn"), f"{name}_1_relu")
    if dropout:
        y = keras.layers.Dropout(dropout, name=f"{name}_dropout")(y)
    y = _conv(y, filters, 3, f"{name}_2", use_bias=False)
    return keras.layers.Add(name=f"{name}_out")([short, y])

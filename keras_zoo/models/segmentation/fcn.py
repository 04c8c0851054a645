"""Fully convolutional networks on VGG16: FCN-32s, FCN-16s, FCN-8s (Long, Shelhamer & Darrell,
"Fully Convolutional Networks for Semantic Segmentation", CVPR 2015, sections 3-4).

VGG16's fully connected layers become convolutions (fc6: 7x7x512 -> 4096, fc7: 1x1 -> 4096,
"convolutionalization", section 3.1), a 1x1 convolution scores the classes at stride 32, and
transposed convolutions upsample. FCN-16s adds a 1x1 score of pool4 to the 2x-upsampled stride-32
scores, FCN-8s also pool3's (section 4.2, figure 3). The 2x upsamplings are initialised to
bilinear interpolation and learned; the final 8x/16x/32x upsampling is fixed to bilinear
(section 4.2); the skip scores are zero-initialised. The convolutions use "same" padding where
the paper pads conv1_1 by 100 and crops (section 4.1; the same map for inputs that are
multiples of 32, which are the sizes taken here).

The backbone's layers are named like keras.applications' VGG16, so ``transfer_vgg16_weights``
(or ``backbone_weights=``) copies its convolutions and reshapes fc1/fc2 into fc6/fc7.
FCN-8s VGG16 with 21 classes has 134,489,759 parameters (Table 1 of the paper: 134M); the
fixed 32x kernel of FCN-32s (1.8M frozen weights) is not in the paper's count.
"""

from __future__ import annotations

import os

import keras
import numpy as np

from keras_zoo.layers.bilinear_upsampling import BilinearUpsampling
from keras_zoo.models.classification.vgg import VGG_CONFIGS, vgg_blocks
from keras_zoo.models.registry import register
from keras_zoo.models.segmentation.common import (
    check_choice,
    check_image_shape,
    check_positive_int,
    check_sizes,
    multiple_of,
)

PAPER = ("Long, Shelhamer & Darrell, Fully Convolutional Networks for Semantic Segmentation, "
         "CVPR 2015")
VARIANTS = ("32s", "16s", "8s")


def _upsample(x, classes, factor, trainable, name):
    # Kernel 2s, stride s, "same": bilinear interpolation with half-pixel centres (even s).
    return keras.layers.Conv2DTranspose(
        classes, 2 * factor, strides=factor, padding="same", use_bias=False,
        kernel_initializer=BilinearUpsampling(), trainable=trainable, name=name)(x)


def _score(x, classes, name, zero=False):
    return keras.layers.Conv2D(classes, 1, kernel_initializer="zeros" if zero else
                               "glorot_uniform", name=name)(x)


def FCN(variant="8s", input_shape=(512, 512, 3), classes=21, width=1.0, fc_units=4096,
        fc_kernel_size=7, dropout=0.5, backbone_weights=None, convolutions=None, name=None):
    """An FCN on VGG16 (Long et al. 2015).

    Args:
        variant: "32s", "16s" or "8s".
        input_shape: ``(H, W, C)``, sides multiples of 32 (a size error names the nearest).
        classes: output classes (21 for PASCAL VOC).
        width: multiplier of VGG16's convolution channels (1 in the paper; tiny configs).
        fc_units: channels of fc6 and fc7 (4096).
        fc_kernel_size: fc6's kernel (7: VGG16's fc1 sees a 7x7x512 map).
        dropout: after fc6 and fc7 (0.5, as VGG16).
        backbone_weights: None, a keras.applications-compatible VGG16 ``keras.Model`` or the
            path of its ``.weights.h5``/``.keras`` file; copied by ``transfer_vgg16_weights``.
        convolutions: the convolutions of each of VGG16's five blocks: None for its
            (2, 2, 3, 3, 3); fewer keep each block's first ones (small test configs; no
            ``backbone_weights`` then).
        name: the model's name (default ``fcn<variant>``).
    """
    check_choice("FCN", "variant", variant, VARIANTS)
    name = name or f"fcn{variant}"
    shape = check_image_shape(name, input_shape)
    check_positive_int(name, "classes", classes)
    check_positive_int(name, "fc_units", fc_units)
    check_positive_int(name, "fc_kernel_size", fc_kernel_size)
    if not width > 0:
        raise ValueError(f"{name}: width must be > 0, got {width!r}.")
    check_sizes(name, shape, multiple_of(32), "a multiple of 32: five 2x2 poolings")

    full = tuple(len(block) for block in VGG_CONFIGS["D"])
    counts = full if convolutions is None else tuple(convolutions)
    if len(counts) != 5 or not all(isinstance(n, int) and not isinstance(n, bool)
                                   and 1 <= n <= most
                                   for n, most in zip(counts, full, strict=True)):
        raise ValueError(f"{name}: convolutions must be five block sizes from 1 to VGG16's "
                         f"{full}, got {convolutions!r}.")
    if counts != full and backbone_weights is not None:
        raise ValueError(f"{name}: backbone_weights need VGG16's convolutions {full}, got "
                         f"convolutions={convolutions!r}.")
    blocks = tuple(block[:n] for block, n in zip(VGG_CONFIGS["D"], counts, strict=True))
    inputs = keras.Input(shape, name="images")
    pool3 = vgg_blocks(inputs, blocks[:3], width)
    pool4 = vgg_blocks(pool3, blocks[3:4], width, start=4)
    x = vgg_blocks(pool4, blocks[4:], width, start=5)
    x = keras.layers.Conv2D(fc_units, fc_kernel_size, padding="same", activation="relu",
                            name="fc6")(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name="fc6_dropout")(x)
    x = keras.layers.Conv2D(fc_units, 1, activation="relu", name="fc7")(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name="fc7_dropout")(x)
    x = _score(x, classes, "score_fr")
    if variant == "32s":
        x = _upsample(x, classes, 32, False, "upscore32")
    else:
        x = _upsample(x, classes, 2, True, "upscore2")
        x = keras.layers.Add(name="fuse_pool4")([x, _score(pool4, classes, "score_pool4",
                                                           zero=True)])
        if variant == "16s":
            x = _upsample(x, classes, 16, False, "upscore16")
        else:
            x = _upsample(x, classes, 2, True, "upscore_pool4")
            x = keras.layers.Add(name="fuse_pool3")([x, _score(pool3, classes, "score_pool3",
                                                               zero=True)])
            x = _upsample(x, classes, 8, False, "upscore8")
    logits = keras.layers.Activation("linear", name="logits")(x)
    model = keras.Model(inputs, logits, name=name)
    if backbone_weights is not None:
        transfer_vgg16_weights(backbone_weights, model)
    return model


def _load_vgg16(path):
    path = os.fspath(path)
    if not os.path.exists(path):
        raise ValueError(f"backbone_weights: {path!r} is not a file (nothing downloads here).")
    if path.endswith(".keras"):
        return keras.saving.load_model(path, safe_mode=True, compile=False)
    for include_top in (True, False):
        source = keras.applications.VGG16(weights=None, include_top=include_top)
        try:
            source.load_weights(path)
            return source
        except ValueError:
            continue
    raise ValueError(f"backbone_weights: {path!r} holds no keras.applications VGG16 weights.")


def transfer_vgg16_weights(source, target):
    """Copies a VGG16's weights (keras.applications' or the zoo's ``vgg16``: same layer names)
    into an FCN or DeconvNet ``target``: the 13 convolutions as they are, and, if ``source``
    has its classifier, fc1/fc2 reshaped into the convolutions fc6/fc7 (Long et al. 2015,
    section 3.1: a fully connected layer is a convolution whose kernel covers its whole input).

    Args:
        source: a ``keras.Model`` or the path of a ``.keras``/``.weights.h5`` file.
        target: the model to fill (its fc6 kernel must cover the map fc1 saw, 7x7 at 224).
    Returns: the names of the target layers that were filled.
    """
    if not isinstance(source, keras.Model):
        source = _load_vgg16(source)
    filled = []
    for b, block in enumerate(VGG_CONFIGS["D"], start=1):
        for c in range(1, len(block) + 1):
            layer = f"block{b}_conv{c}"
            weights = source.get_layer(layer).get_weights()
            target_layer = target.get_layer(layer)
            _check_shapes(layer, weights, target_layer)
            target_layer.set_weights(weights)
            filled.append(layer)
    names = {layer.name for layer in source.layers}
    for dense, conv in (("fc1", "fc6"), ("fc2", "fc7")):
        if dense not in names or conv not in {layer.name for layer in target.layers}:
            continue
        kernel, bias = source.get_layer(dense).get_weights()
        target_layer = target.get_layer(conv)
        shape = tuple(target_layer.kernel.shape)
        if int(np.prod(shape[:3])) != kernel.shape[0] or shape[3] != kernel.shape[1]:
            raise ValueError(f"transfer_vgg16_weights: {dense} {kernel.shape} cannot become "
                             f"{conv} {shape}: the fc6 kernel must cover the map fc1 saw "
                             f"(7x7 at 224x224).")
        # Flatten is row-major over (H, W, C): the kernel's own order.
        target_layer.set_weights([kernel.reshape(shape), bias])
        filled.append(conv)
    return filled


def _check_shapes(layer, weights, target_layer):
    expected = [tuple(w.shape) for w in target_layer.get_weights()]
    got = [tuple(w.shape) for w in weights]
    if expected != got:
        raise ValueError(f"transfer_vgg16_weights: layer {layer} has shapes {got} in the "
                         f"source and {expected} in the target (same width?).")


def FCN32s(**kwargs):
    """FCN-32s: stride-32 scores upsampled 32x (fixed bilinear); ``FCN``'s arguments."""
    return FCN(**{"variant": "32s", "name": "fcn32s", **kwargs})


def FCN16s(**kwargs):
    """FCN-16s: + pool4's scores at stride 16; ``FCN``'s arguments."""
    return FCN(**{"variant": "16s", "name": "fcn16s", **kwargs})


def FCN8s(**kwargs):
    """FCN-8s: + pool3's scores at stride 8; ``FCN``'s arguments."""
    return FCN(**{"variant": "8s", "name": "fcn8s", **kwargs})


#: VGG16 at 1/25 width (2..20 channels), fc6/fc7 of 16 channels, on 32x32 shapes. pool5 is
#: 1x1 there, where a 7x7 "same" fc6 would use only its centre tap: fc6 is 1x1 (the same
#: function, 48/49 fewer weights). Most of FCN-32s' remaining parameters are the fixed 64x64
#: bilinear kernel (4 x 4 x 64 x 64 = 65,536).
#: One convolution per VGG block (every block, pooling and skip kept; the second and third
#: repeated the first): the recipe segmentation_fcn builds VGG16's 13.
TINY = dict(input_shape=(32, 32, 3), classes=4, width=0.04, fc_units=16, fc_kernel_size=1,
            dropout=0.0, convolutions=(1, 1, 1, 1, 1))
CANONICAL = dict(input_shape=(512, 512, 3), classes=21)

register("fcn32s", task="segmentation", family="fcn", tiny=TINY, canonical=CANONICAL,
         data="shapes", recipe="segmentation_fcn", paper=PAPER, params=136_152_917,
         notes="VGG16, fc6/fc7 as convolutions, 32x fixed bilinear upsampling.")(FCN32s)
register("fcn16s", task="segmentation", family="fcn", tiny=TINY, canonical=CANONICAL,
         data="shapes", recipe="segmentation_fcn", paper=PAPER, params=134_815_994,
         notes="FCN-32s + pool4 skip; 2x learned, 16x fixed bilinear upsampling.")(FCN16s)
register("fcn8s", task="segmentation", family="fcn", tiny=TINY, canonical=CANONICAL,
         data="shapes", recipe="segmentation_fcn", paper=PAPER, params=134_489_759,
         notes="FCN-16s + pool3 skip; 8x fixed bilinear upsampling.")(FCN8s)

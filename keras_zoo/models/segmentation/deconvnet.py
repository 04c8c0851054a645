"""DeconvNet (Noh, Hong & Han, "Learning Deconvolution Network for Semantic Segmentation",
ICCV 2015, section 3, figure 2, table 1): VGG16's 13 convolutions (each followed by batch
normalisation and ReLU, section 3.3) with max poolings that keep their switches, fc6 (7x7
valid convolution, 7x7 -> 1x1) and fc7 (1x1), then a mirrored decoder: a 7x7 deconvolution
back to 7x7, and per block a max unpooling at the switches of the matching pooling (section
3.1.1) followed by 3x3 deconvolutions with batch normalisation and ReLU; a 1x1 convolution
scores the classes. 224x224 inputs; 252M parameters (section 4.1 and table 1: "252M").
"""

from __future__ import annotations

import keras

from keras_zoo.layers.max_unpooling import MaxPoolingWithArgmax, MaxUnpooling
from keras_zoo.models.classification.vgg import VGG_CONFIGS
from keras_zoo.models.registry import register
from keras_zoo.models.segmentation.common import (
    check_image_shape,
    check_positive_int,
    check_sizes,
    multiple_of,
)

PAPER = ("Noh, Hong & Han, Learning Deconvolution Network for Semantic Segmentation, "
         "ICCV 2015")

#: The decoder of table 1, per unpooling, deepest first: the filters of its deconvolutions.
DECODER = ((512, 512, 512), (512, 512, 256), (256, 256, 128), (128, 64), (64, 64))


def _bn_relu(x, name):
    x = keras.layers.BatchNormalization(name=f"{name}_bn")(x)
    return keras.layers.ReLU(name=f"{name}_relu")(x)


def DeconvNet(input_shape=(224, 224, 3), classes=21, width=1.0, fc_units=4096,
              convolutions=None, name="deconvnet"):
    """DeconvNet (Noh et al. 2015).

    Args:
        input_shape: ``(H, W, C)``, sides multiples of 32; fc6's kernel covers the whole
            ``H/32 x W/32`` pool5 map (7x7 at the paper's 224x224).
        classes: output classes (21 for PASCAL VOC).
        width: multiplier of every convolution's and deconvolution's channels (1 in the paper).
        fc_units: channels of fc6 and fc7 (4096).
        convolutions: the convolutions of each of the five encoder blocks, and deconvolutions
            of its mirrored decoder block: None for table 1's (2, 2, 3, 3, 3); fewer keep a
            block's first convolutions and its mirror's last deconvolutions (those that change
            the channels), for small test configs.
        name: the model's name.
    """
    shape = check_image_shape(name, input_shape)
    check_positive_int(name, "classes", classes)
    check_positive_int(name, "fc_units", fc_units)
    if not width > 0:
        raise ValueError(f"{name}: width must be > 0, got {width!r}.")
    check_sizes(name, shape, multiple_of(32), "a multiple of 32: five 2x2 poolings")
    full = tuple(len(block) for block in VGG_CONFIGS["D"])
    counts = full if convolutions is None else tuple(convolutions)
    if len(counts) != 5 or not all(isinstance(n, int) and not isinstance(n, bool)
                                   and 1 <= n <= most for n, most in zip(counts, full, strict=True)):
        raise ValueError(f"{name}: convolutions must be five block sizes from 1 to table 1's "
                         f"{full}, got {convolutions!r}.")

    def channels(f):
        return max(1, int(f * width))

    inputs = keras.Input(shape, name="images")
    x, switches = inputs, []
    for b, (block, n) in enumerate(zip(VGG_CONFIGS["D"], counts, strict=True), start=1):
        for c, filters in enumerate(block[:n], start=1):
            x = keras.layers.Conv2D(channels(filters), 3, padding="same",
                                    name=f"block{b}_conv{c}")(x)
            x = _bn_relu(x, f"block{b}_conv{c}")
        x, switch = MaxPoolingWithArgmax(2, name=f"block{b}_pool")(x)
        switches.append(switch)
    pool_h, pool_w = x.shape[1:3]
    x = keras.layers.Conv2D(fc_units, (pool_h, pool_w), padding="valid", name="fc6")(x)
    x = _bn_relu(x, "fc6")
    x = keras.layers.Conv2D(fc_units, 1, name="fc7")(x)
    x = _bn_relu(x, "fc7")
    x = keras.layers.Conv2DTranspose(channels(512), (pool_h, pool_w), padding="valid",
                                     name="deconv_fc6")(x)
    x = _bn_relu(x, "deconv_fc6")
    for b, filters in zip(range(5, 0, -1), DECODER, strict=True):
        x = MaxUnpooling(2, name=f"unpool{b}")([x, switches[b - 1]])
        for c, f in enumerate(filters[len(filters) - counts[b - 1]:], start=1):
            x = keras.layers.Conv2DTranspose(channels(f), 3, padding="same",
                                             name=f"deconv{b}_{c}")(x)
            x = _bn_relu(x, f"deconv{b}_{c}")
    logits = keras.layers.Conv2D(classes, 1, name="logits")(x)
    return keras.Model(inputs, logits, name=name)


register("deconvnet", task="segmentation", family="deconvnet",
         # tiny: one (de)convolution per block, every block, pooling and unpooling kept (table
         # 1's 2-3 per block repeated the first; training/recipes/segmentation.py pins them).
         tiny=dict(input_shape=(32, 32, 3), classes=4, width=0.05, fc_units=16,
                   convolutions=(1, 1, 1, 1, 1)),
         canonical=dict(input_shape=(224, 224, 3), classes=21),
         data="shapes", recipe="segmentation_deconvnet", paper=PAPER, params=251_839_061,
         notes="Max unpooling at the pooling switches (MaxPoolingWithArgmax / MaxUnpooling), "
               "BatchNorm after every (de)convolution as in the paper's section 3.3.")(DeconvNet)

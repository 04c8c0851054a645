"""U-Net (Ronneberger, Fischer & Brox, "U-Net: Convolutional Networks for Biomedical Image
Segmentation", MICCAI 2015): a contracting path of two unpadded 3x3 convolutions (ReLU) and a
2x2 max pooling per step, doubling the channels (64 -> 1024); an expanding path of 2x2
up-convolutions halving them, each followed by the concatenation of the centre-cropped mirror
map and two 3x3 convolutions; a final 1x1 convolution to the classes (section 2, figure 1). A
572x572 tile gives a 388x388 map. ``unet_same`` pads the convolutions ("same"), so the output
has the input's size; ``unet_depth`` regresses depth instead of classes.

31,030,658 parameters at the paper's size (1 input channel, 2 classes); the paper gives no
count (it is not in the paper's text or tables): the test derives it from the layer list.
"""

from __future__ import annotations

import keras

from keras_zoo.blocks.unet import unet_up
from keras_zoo.models.registry import register
from keras_zoo.models.segmentation.common import (
    check_choice,
    check_image_shape,
    check_positive_int,
    check_sizes,
)

PAPER = ("Ronneberger, Fischer & Brox, U-Net: Convolutional Networks for Biomedical Image "
         "Segmentation, MICCAI 2015")
HEADS = ("segmentation", "depth")


def unet_output_size(size, depth=4, padding="valid"):
    """The output side of a U-Net with ``depth`` poolings for an input side ``size``, or None
    where the input cannot be taken (a pooling of an odd map, or a map shrunk to nothing)."""
    if padding == "same":
        return size if size % 2 ** depth == 0 and size > 0 else None
    s = size
    for _ in range(depth):
        s -= 4
        if s <= 0 or s % 2:
            return None
        s //= 2
    s -= 4
    if s <= 0:
        return None
    for _ in range(depth):
        s = 2 * s - 4
        if s <= 0:
            return None
    return s


def unet_crops(size, depth=4):
    """``[(encoder map side, upsampled side, crop per border)]`` of the skip connections of a
    valid U-Net, from the deepest up (at 572: 64 -> 56, crop 4; ... 568 -> 392, crop 88)."""
    if unet_output_size(size, depth) is None:
        raise ValueError(f"unet_crops: {size} is not a valid U-Net input side.")
    encoder, s = [], size
    for _ in range(depth):
        s -= 4
        encoder.append(s)
        s //= 2
    s -= 4
    crops = []
    for enc in reversed(encoder):
        s *= 2
        crops.append((enc, s, (enc - s) // 2))
        s -= 4
    return crops


def _conv_pair(x, filters, padding, batch_norm, name):
    for i in (1, 2):
        x = keras.layers.Conv2D(filters, 3, padding=padding, use_bias=not batch_norm,
                                kernel_initializer="he_normal", name=f"{name}_conv{i}")(x)
        if batch_norm:
            x = keras.layers.BatchNormalization(name=f"{name}_bn{i}")(x)
        x = keras.layers.ReLU(name=f"{name}_relu{i}")(x)
    return x


def UNet(input_shape=(572, 572, 1), classes=2, filters=64, depth=4, padding="valid",
         batch_norm=False, dropout=0.5, head="segmentation", name="unet"):
    """U-Net (Ronneberger et al. 2015, figure 1).

    Args:
        input_shape: ``(H, W, C)``; with ``padding="valid"`` each side must be one the network
            takes (572, 556, ... : a size error names the nearest ones), with "same" a multiple
            of ``2 ** depth``.
        classes: output classes (2 in the paper's cell segmentation); ignored by nothing: the
            depth head requires 1.
        filters: channels of the first step (64), doubled at every pooling.
        depth: poolings (4).
        padding: "valid" (the paper) or "same".
        batch_norm: BatchNorm after each convolution (not in the paper; common since).
        dropout: the drop rate at the end of the contracting path (the paper's "drop-out
            layers at the end of the contracting path"; 0.5 in the authors' Caffe model).
        head: "segmentation" (per-pixel class logits) or "depth" (one positive channel: a
            softplus of a 1x1 convolution).
        name: the model's name.
    """
    shape = check_image_shape(name, input_shape)
    check_positive_int(name, "filters", filters)
    check_positive_int(name, "depth", depth)
    check_choice(name, "padding", padding, ("valid", "same"))
    check_choice(name, "head", head, HEADS)
    check_positive_int(name, "classes", classes)
    if head == "depth" and classes != 1:
        raise ValueError(f"{name}: the depth head predicts one channel; got classes={classes}.")
    rule = ("valid 3x3 convolutions and 2x2 poolings need an even map before every pooling"
            if padding == "valid" else f"a multiple of 2**depth = {2 ** depth}")
    check_sizes(name, shape, lambda s: unet_output_size(s, depth, padding) is not None, rule)

    inputs = keras.Input(shape, name="images")
    x, skips = inputs, []
    for level in range(depth):
        x = _conv_pair(x, filters * 2 ** level, padding, batch_norm, f"down{level + 1}")
        if dropout and level == depth - 1:
            x = keras.layers.Dropout(dropout, name=f"down{level + 1}_dropout")(x)
        skips.append(x)
        x = keras.layers.MaxPooling2D(2, name=f"down{level + 1}_pool")(x)
    x = _conv_pair(x, filters * 2 ** depth, padding, batch_norm, "bottom")
    if dropout:
        x = keras.layers.Dropout(dropout, name="bottom_dropout")(x)
    for level in reversed(range(depth)):
        up = depth - level
        x = unet_up(x, skips[level], filters * 2 ** level, 2, padding="valid",
                    kernel_initializer="he_normal", name=f"up{up}")
        x = _conv_pair(x, filters * 2 ** level, padding, batch_norm, f"up{up}")
    if head == "segmentation":
        outputs = keras.layers.Conv2D(classes, 1, name="logits")(x)
    else:
        x = keras.layers.Conv2D(1, 1, name="depth_conv")(x)
        outputs = keras.layers.Activation("softplus", name="depth")(x)
    return keras.Model(inputs, outputs, name=name)


def UNetSame(**kwargs):
    """U-Net with "same" convolutions (the output has the input's size); ``UNet``'s arguments."""
    return UNet(**{"padding": "same", "input_shape": (512, 512, 1), "name": "unet_same",
                   **kwargs})


def UNetDepth(**kwargs):
    """A "same" U-Net regressing depth (one softplus channel), trained with the scale-invariant
    log loss of Eigen et al. 2014; ``UNet``'s arguments."""
    return UNet(**{"padding": "same", "input_shape": (256, 256, 3), "classes": 1,
                   "head": "depth", "batch_norm": True, "dropout": 0.0, "name": "unet_depth",
                   **kwargs})


#: Two poolings of 4 -> 8 -> 16 channels. Valid: 64x64 tiles give 24x24 maps (margin 20).
TINY = dict(filters=4, depth=2, dropout=0.0, classes=4)

register("unet", task="segmentation", family="unet",
         tiny={**TINY, "input_shape": (64, 64, 3)},
         canonical=dict(input_shape=(572, 572, 1), classes=2),
         data="shapes", recipe="segmentation", paper=PAPER, params=31_030_658,
         notes="Valid convolutions: served by overlap-tile (the image is mirrored outwards by "
               "the margin inside the serving graph).")(UNet)
register("unet_same", task="segmentation", family="unet",
         tiny={**TINY, "input_shape": (32, 32, 3)},
         canonical=dict(input_shape=(512, 512, 1), classes=2),
         data="shapes", recipe="segmentation", paper=PAPER, params=31_030_658,
         notes="'same' convolutions, no cropping: the output has the input's size.")(UNetSame)
register("unet_depth", task="depth", family="unet",
         tiny=dict(filters=4, depth=2, input_shape=(32, 32, 3)),
         canonical=dict(input_shape=(256, 256, 3)),
         data="depth_scenes", recipe="depth_unet", paper=PAPER,
         notes="U-Net with 'same' convolutions and BatchNorm, a softplus depth channel, the "
               "scale-invariant log loss (Eigen et al. 2014).")(UNetDepth)

"""Pixel Recursive Super Resolution (Dahl, Norouzi & Shlens, ICCV 2017).

p(y | x) = prod_i p(y_i | x, y_<i) for a high-resolution image y given its low-resolution
version x, each conditional ``softmax(A_i(x) + B_i(y_<i))`` (section 3, eq. 5): A, the
*conditioning network*, a ResNet on x brought to y's size by transposed convolutions, gives
``levels`` logits per pixel and channel; B, the *prior network*, a PixelCNN on y (masked
convolutions: a pixel sees only those before it in raster order), gives its own logits; the
two are added. Training minimises, per pixel, ``CE(A + B) + CE(A)`` (eq. 6: the extra term on
A alone keeps the conditioning network from leaving the work to the prior).

The paper's prior is a 20-layer gated PixelCNN; here B is keras-zoo's PixelCNN stack (residual
blocks of masked convolutions, van den Oord et al. 2016) at any depth, and the conditioning
network's depth and width are arguments.
"""

from __future__ import annotations

import math

import keras
import numpy as np
import tensorflow as tf

from keras_zoo.blocks.gan import _check_image_shape, _check_positive
from keras_zoo.models.generative.base import validate_images
from keras_zoo.models.generative.pixelcnn import PixelCNNModel, bits_per_dim, pixelcnn_network
from keras_zoo.models.registry import register

PAPER = "Dahl, Norouzi & Shlens, Pixel Recursive Super Resolution, ICCV 2017"


def conditioning_network(low_shape, factor, levels, filters=32, num_blocks=6,
                         name="conditioning"):
    """A: low-resolution images in [0, 1] -> logits ``[B, H, W, C, levels]`` at ``factor``
    times the size: a 3x3 convolution, ``num_blocks`` residual blocks (two 3x3 convolutions
    with batch normalisation), a stride-2 transposed convolution per factor of 2, and a 1x1
    convolution to the logits (section 4: ResNet blocks and transposed convolutions)."""
    h, w, c = _check_image_shape(low_shape)
    steps = int(round(math.log2(factor)))
    if factor < 2 or 2 ** steps != factor:
        raise ValueError(f"factor must be a power of two >= 2, got {factor!r}.")
    low = keras.Input(low_shape, name="low_resolution")
    x = keras.layers.Rescaling(2.0, offset=-1.0, name=f"{name}_center")(low)
    x = keras.layers.Conv2D(filters, 3, padding="same", name=f"{name}_stem")(x)
    for b in range(num_blocks):
        y = keras.layers.Conv2D(filters, 3, padding="same", name=f"{name}_block{b + 1}_conv1")(x)
        y = keras.layers.BatchNormalization(name=f"{name}_block{b + 1}_bn1")(y)
        y = keras.layers.ReLU(name=f"{name}_block{b + 1}_relu")(y)
        y = keras.layers.Conv2D(filters, 3, padding="same", name=f"{name}_block{b + 1}_conv2")(y)
        y = keras.layers.BatchNormalization(name=f"{name}_block{b + 1}_bn2")(y)
        x = keras.layers.Add(name=f"{name}_block{b + 1}_add")([x, y])
    for s in range(steps):
        x = keras.layers.Conv2DTranspose(filters, 3, strides=2, padding="same",
                                         name=f"{name}_up{s + 1}")(x)
        x = keras.layers.BatchNormalization(name=f"{name}_up{s + 1}_bn")(x)
        x = keras.layers.ReLU(name=f"{name}_up{s + 1}_relu")(x)
    x = keras.layers.Conv2D(c * levels, 1, name=f"{name}_logits")(x)
    x = keras.layers.Reshape((h * factor, w * factor, c, levels), name=f"{name}_levels")(x)
    return keras.Model(low, x, name=name)


def pixel_recursive_network(image_shape, factor=4, levels=256, conditioning_filters=32,
                            conditioning_blocks=6, prior_filters=96, prior_blocks=8,
                            prior_output_filters=255, name="pixel_recursive_sr"):
    """``[low-resolution x, high-resolution y]`` -> ``[A + B, A]`` logits, each
    ``[B, H, W, C, levels]`` (``y``'s size is ``image_shape``)."""
    h, w, c = _check_image_shape(image_shape)
    _check_positive(factor, "factor")
    if h % factor or w % factor:
        raise ValueError(f"image_shape {image_shape} must be divisible by factor={factor}.")
    low_shape = (h // factor, w // factor, c)
    conditioning = conditioning_network(low_shape, factor, levels, conditioning_filters,
                                        conditioning_blocks, name=f"{name}_conditioning")
    prior = pixelcnn_network(image_shape, prior_filters, prior_blocks, prior_output_filters,
                             levels, name=f"{name}_prior")
    low = keras.Input(low_shape, name="low_resolution")
    images = keras.Input(image_shape, name="images")
    a = conditioning(low)
    total = keras.layers.Add(name=f"{name}_logits")([a, prior(images)])
    return keras.Model([low, images], [total, a], name=name)


@keras.saving.register_keras_serializable(package="keras_zoo")
class PixelRecursiveSRModel(PixelCNNModel):
    """Super-resolution by a conditioning network plus a PixelCNN prior, logits added.

    ``fit`` takes high-resolution images in [0, 1]; the low-resolution input is their
    ``factor`` x ``factor`` average (the paper's 8x8 inputs are bicubic/area downsamplings of the
    32x32 targets). Logs ``loss`` (eq. 6, nats per dimension), ``bits_per_dim`` (of
    ``softmax(A + B)``, the model's likelihood) and ``conditioning_bits_per_dim`` (of A alone).
    ``call`` gives the ``A + B`` logits of ``{"images"}`` (``"low_resolution"`` optional, else
    the images' average); ``super_resolve(low)`` samples high-resolution images.

    Args:
        network: ``pixel_recursive_network``'s model.
        **kwargs: ``keras.Model`` arguments.
    """

    metric_names = ("loss", "bits_per_dim", "conditioning_bits_per_dim")

    def __init__(self, network=None, **kwargs):
        super().__init__(network, **kwargs)
        # PixelCNN's network has one input; here the first is the low-resolution image.
        self.low_shape = tuple(network.inputs[0].shape[1:])
        self.image_shape = tuple(network.inputs[1].shape[1:])
        self.factor = self.image_shape[0] // self.low_shape[0]

    def downsample(self, images):
        """The low-resolution input of ``images``: the mean of each factor x factor block."""
        return tf.nn.avg_pool2d(tf.cast(images, "float32"), self.factor, self.factor, "VALID")

    def call(self, inputs, training=False):
        images = self._images(inputs)
        low = inputs.get("low_resolution") if isinstance(inputs, dict) else None
        low = self.downsample(images) if low is None else tf.cast(low, "float32")
        return self.network([low, images], training=training)[0]

    def objective(self, images, training):
        total, a = self.network([self.downsample(images), images], training=training)
        bpd = tf.reduce_mean(bits_per_dim(total, images, self.levels))
        conditioning_bpd = tf.reduce_mean(bits_per_dim(a, images, self.levels))
        return {"loss": (bpd + conditioning_bpd) * math.log(2.0), "bits_per_dim": bpd,
                "conditioning_bits_per_dim": conditioning_bpd}

    def bits_per_dim(self, images):
        """Per-image NLL of ``images`` ([0, 1]) given their low-resolution versions, in bits
        per dimension (numpy)."""
        images = self._images(images)
        total, _ = self.network([self.downsample(images), images], training=False)
        return keras.ops.convert_to_numpy(bits_per_dim(total, images, self.levels))

    def super_resolve(self, low_resolution, seed=None, temperature=1.0):
        """High-resolution images in [0, 1] drawn pixel by pixel given ``low_resolution``
        ([N, h, w, C] in [0, 1]); temperature 0 takes the most likely level (greedy)."""
        low = np.asarray(low_resolution, np.float32)
        validate_images(low, self.low_shape, "low_resolution")
        if self._forward is None:
            self._forward = tf.function(lambda x, y: self.network([x, y], training=False)[0])
        rng = np.random.default_rng(seed)
        n = len(low)
        h, w, c = self.image_shape
        canvas = np.zeros((n, h, w, c), np.float32)
        for i in range(h):
            for j in range(w):
                for k in range(c):
                    logits = self._forward(tf.constant(low), tf.constant(canvas))
                    logits = logits[:, i, j, k].numpy().astype(np.float64)
                    if temperature == 0:
                        level = logits.argmax(-1)
                    else:
                        p = np.exp((logits - logits.max(-1, keepdims=True)) / temperature)
                        p /= p.sum(-1, keepdims=True)
                        u = rng.uniform(size=(n, 1))
                        level = np.minimum((np.cumsum(p, -1) < u).sum(-1), self.levels - 1)
                    canvas[:, i, j, k] = level / (self.levels - 1)
        return canvas

    def sample(self, n=16, seed=None, temperature=1.0):
        raise ValueError(f"{self.name} samples given a low-resolution image: use "
                         "super_resolve(low_resolution).")

    def serving_model(self):
        """images -> ``A + B`` logits, the low-resolution input computed in the graph (the
        autoregressive task's signature: the likelihood of an image given its own
        downsampling)."""
        images = keras.Input(self.image_shape, name="images")
        low = keras.layers.AveragePooling2D(self.factor, name="downsample")(images)
        total, _ = self.network([low, images])
        return keras.Model(images, total, name=f"{self.name}_serving")


def bicubic_bits_per_dim(low_resolution, images, levels, sigma):
    """The baseline's NLL (bits per dimension) of ``images`` ([0, 1]): bicubic upsampling of
    ``low_resolution`` as the mean of a Gaussian of standard deviation ``sigma`` (in level
    units), discretised over the ``levels`` values (a softmax of ``-(k - mu)^2 / 2 sigma^2``)."""
    h, w = images.shape[1:3]
    mean = tf.image.resize(tf.cast(low_resolution, tf.float32), (h, w), method="bicubic")
    mean = tf.clip_by_value(mean, 0.0, 1.0) * (levels - 1)
    grid = tf.range(levels, dtype=tf.float32)
    logits = -tf.square(grid - mean[..., None]) / (2.0 * sigma ** 2)
    return bits_per_dim(logits, tf.cast(images, tf.float32), levels)


def PixelRecursiveSR(image_shape=(32, 32, 3), factor=4, levels=256, conditioning_filters=32,
                     conditioning_blocks=6, prior_filters=96, prior_blocks=8,
                     prior_output_filters=255, name="pixel_recursive_sr"):
    """Pixel Recursive Super Resolution, 8x8 -> 32x32 (Dahl et al. 2017).

    Args:
        image_shape: the high-resolution ``(H, W, C)``; C > 1 uses R -> G -> B masks.
        factor: the upsampling factor (a power of two; 4: 8x8 -> 32x32).
        levels: intensity values per channel.
        conditioning_filters, conditioning_blocks: the conditioning ResNet's width and depth.
        prior_filters, prior_blocks, prior_output_filters: the PixelCNN prior's 2h, residual
            blocks and output channels (with C = 3 the masks split channels by colour: 2h a
            multiple of 6, the outputs of 3).
        name: model name.
    """
    _check_positive(levels, "levels")
    return PixelRecursiveSRModel(pixel_recursive_network(
        image_shape, factor, levels, conditioning_filters, conditioning_blocks, prior_filters,
        prior_blocks, prior_output_filters, name=f"{name}_network"), name=name)


register("pixel_recursive_sr", task="autoregressive", family="autoregressive",
         tiny=dict(image_shape=(8, 8, 1), factor=2, levels=17, conditioning_filters=8,
                   conditioning_blocks=1, prior_filters=8, prior_blocks=1,
                   prior_output_filters=8),
         # RGB masks split the prior's channels by colour: 2h divisible by 6, outputs by 3.
         canonical=dict(image_shape=(32, 32, 3), prior_filters=96, prior_output_filters=255),
         data="shapes", recipe="pixelcnn",
         paper=PAPER,
         notes="Serving scores an image given its own factor x factor block average; "
               "super_resolve(low) samples.")(PixelRecursiveSR)

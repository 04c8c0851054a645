"""PixelCNN (van den Oord, Kalchbrenner & Kavukcuoglu 2016, "Pixel Recurrent Neural Networks",
section 3.4 and table 4): p(x) = prod_i p(x_i | x_<i) in raster order, each conditional a
softmax over the ``levels`` intensity values, computed by masked convolutions: a 7x7 mask-A
convolution (a pixel never sees itself), residual blocks of 1x1 -> 3x3 mask-B -> 1x1
convolutions (figure 5), two ReLU + 1x1 mask-B layers, and ``levels`` logits per channel.

Trained on the negative log-likelihood; reported in bits per dimension, NLL / (H W C ln 2).
Sampling is autoregressive: one forward pass per pixel and channel.
"""

from __future__ import annotations

import math

import keras
import numpy as np
import tensorflow as tf

from keras_zoo.blocks.gan import _check_image_shape, _check_positive
from keras_zoo.layers import MaskedConv2D
from keras_zoo.models.composite import NetworksConfig
from keras_zoo.models.generative.base import ObjectiveModel, validate_images
from keras_zoo.models.registry import register

PAPER = "van den Oord et al., Pixel Recurrent Neural Networks, ICML 2016"


def pixelcnn_network(image_shape, filters=128, num_blocks=15, output_filters=1024, levels=256,
                     name="pixelcnn"):
    """The PixelCNN network: images in [0, 1] -> logits ``[B, H, W, C, levels]``.

    Args:
        image_shape: ``(H, W, C)``.
        filters: 2h, the channels between residual blocks (h inside them).
        num_blocks: residual blocks (15 in the paper).
        output_filters: channels of the two 1x1 output layers (1024).
        levels: intensity values per channel (256).
        name: model name.
    """
    h, w, c = _check_image_shape(image_shape)
    for arg, value in (("filters", filters), ("num_blocks", num_blocks),
                       ("output_filters", output_filters), ("levels", levels)):
        _check_positive(value, arg)
    groups = c if c > 1 else None  # the paper's R -> G -> B channel masking
    if groups and (filters % (2 * c) or output_filters % c):
        raise ValueError(f"filters must be divisible by {2 * c} and output_filters by {c} for "
                         f"{c} colour channels, got {filters}, {output_filters}.")
    images = keras.Input(image_shape, name="images")
    x = masked_input(images, filters, groups, name)
    for b in range(num_blocks):
        y = keras.layers.ReLU(name=f"{name}_block{b + 1}_relu1")(x)
        y = MaskedConv2D(filters // 2, 1, mask_type="B", color_groups=groups,
                         name=f"{name}_block{b + 1}_reduce")(y)
        y = keras.layers.ReLU(name=f"{name}_block{b + 1}_relu2")(y)
        y = MaskedConv2D(filters // 2, 3, mask_type="B", padding="same", color_groups=groups,
                         name=f"{name}_block{b + 1}_conv_b")(y)
        y = keras.layers.ReLU(name=f"{name}_block{b + 1}_relu3")(y)
        y = MaskedConv2D(filters, 1, mask_type="B", color_groups=groups,
                         name=f"{name}_block{b + 1}_expand")(y)
        x = keras.layers.Add(name=f"{name}_block{b + 1}_add")([x, y])
    return keras.Model(images, masked_output(x, (h, w, c), output_filters, levels, groups, name),
                       name=name)


def masked_input(images, filters, groups, name):
    """The first layer of PixelCNN and PixelRNN (van den Oord et al. 2016): images in [0, 1]
    centred to [-1, 1], then the 7x7 mask-A convolution (a pixel never sees itself)."""
    x = keras.layers.Rescaling(2.0, offset=-1.0, name=f"{name}_center")(images)
    return MaskedConv2D(filters, 7, mask_type="A", padding="same", color_groups=groups,
                        name=f"{name}_conv_a")(x)


def masked_output(x, image_shape, output_filters, levels, groups, name):
    """The output stack of PixelCNN and PixelRNN: two ReLU + 1x1 mask-B layers of
    ``output_filters``, then a ``levels``-way softmax's logits per channel,
    ``[B, H, W, C, levels]``."""
    h, w, c = image_shape
    for i in range(2):
        x = keras.layers.ReLU(name=f"{name}_out{i + 1}_relu")(x)
        x = MaskedConv2D(output_filters, 1, mask_type="B", color_groups=groups,
                         name=f"{name}_out{i + 1}")(x)
    x = keras.layers.ReLU(name=f"{name}_logits_relu")(x)
    x = MaskedConv2D(c * levels, 1, mask_type="B", color_groups=groups,
                     name=f"{name}_logits")(x)
    return keras.layers.Reshape((h, w, c, levels), name=f"{name}_levels")(x)


def quantize(images, levels):
    """[0, 1] images -> integer levels 0..levels-1."""
    return tf.cast(tf.round(tf.clip_by_value(images, 0.0, 1.0) * (levels - 1)), tf.int32)


def bits_per_dim(logits, images, levels):
    """Per-example NLL in bits per dimension of ``images`` ([0, 1]) under ``logits``."""
    targets = quantize(images, levels)
    nll = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=targets, logits=logits)
    return tf.reduce_mean(tf.reshape(nll, [tf.shape(nll)[0], -1]), axis=-1) / math.log(2.0)


@keras.saving.register_keras_serializable(package="keras_zoo")
class PixelCNNModel(NetworksConfig, ObjectiveModel):
    """A PixelCNN density model; ``fit`` takes images in [0, 1], logs ``loss`` (nats per
    dimension) and ``bits_per_dim``; ``call`` gives logits; ``sample`` draws images.

    Args:
        network: functional model, images -> logits ``[B, H, W, C, levels]``.
        **kwargs: ``keras.Model`` arguments.
    """

    metric_names = ("loss", "bits_per_dim")
    networks = ("network",)

    def __init__(self, network=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(network, keras.Model):
            raise TypeError(f"network must be a keras.Model, got {type(network).__name__}.")
        self.network = network
        self.image_shape = tuple(network.inputs[0].shape[1:])
        self.levels = int(network.outputs[0].shape[-1])
        self.conditioning = None
        self._make_trackers()
        self._forward = None
        self.built = True

    def _images(self, inputs):
        images = inputs["images"] if isinstance(inputs, dict) else inputs
        validate_images(images, self.image_shape, "images")
        return tf.cast(images, "float32")

    def call(self, inputs, training=False):
        return self.network(self._images(inputs), training=training)

    def objective(self, images, training):
        return self.nll_logs(images, training)

    def nll_logs(self, images, training):
        bpd = bits_per_dim(self.network(images, training=training), images, self.levels)
        return {"loss": tf.reduce_mean(bpd) * math.log(2.0), "bits_per_dim": tf.reduce_mean(bpd)}


    def bits_per_dim(self, images):
        """Per-image NLL in bits per dimension (numpy), images in [0, 1]."""
        images = self._images(images)
        return keras.ops.convert_to_numpy(
            bits_per_dim(self.network(images, training=False), images, self.levels))

    def grid_samples(self, n, labels=None, images=None, seed=0):
        return self.sample(n, seed=seed), None

    def sample(self, n=16, seed=None, temperature=1.0):
        """``n`` images in [0, 1] drawn pixel by pixel, channel by channel, in raster order."""
        n = _check_positive(n, "n")
        if self._forward is None:
            self._forward = tf.function(lambda x: self.network(x, training=False))
        rng = np.random.default_rng(seed)
        h, w, c = self.image_shape
        canvas = np.zeros((n, h, w, c), np.float32)
        for i in range(h):
            for j in range(w):
                for k in range(c):
                    logits = self._forward(tf.constant(canvas))[:, i, j, k].numpy()
                    logits = logits.astype(np.float64) / temperature
                    p = np.exp(logits - logits.max(-1, keepdims=True))
                    p /= p.sum(-1, keepdims=True)
                    u = rng.uniform(size=(n, 1))
                    level = np.minimum((np.cumsum(p, -1) < u).sum(-1), self.levels - 1)
                    canvas[:, i, j, k] = level / (self.levels - 1)
        return canvas

    def serving_model(self):
        return self.network



def PixelCNN(image_shape=(28, 28, 1), filters=128, num_blocks=15, output_filters=1024,
             levels=256, name="pixelcnn"):
    """PixelCNN at the paper's depth (15 residual blocks) on 28x28 grey images.

    Args:
        image_shape: ``(H, W, C)``; C > 1 uses the R -> G -> B channel masks.
        filters: 2h.
        num_blocks: residual blocks.
        output_filters: channels of the output 1x1 layers.
        levels: intensity values per channel.
        name: model name.
    """
    return PixelCNNModel(pixelcnn_network(image_shape, filters, num_blocks, output_filters,
                                          levels, name=f"{name}_network"), name=name)


register("pixelcnn", task="autoregressive", family="autoregressive",
         tiny=dict(image_shape=(8, 8, 1), filters=16, num_blocks=1, output_filters=16,
                   levels=17),
         canonical=dict(image_shape=(28, 28, 1)), data="digits", recipe="pixelcnn",
         paper=PAPER,
         notes="tiny uses 17 levels, the digits' own 0..16 grey levels.")(PixelCNN)

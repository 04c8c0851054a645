"""Context encoder: feature learning by in-painting (Pathak, Krahenbuhl, Donahue, Darrell &
Efros, Context Encoders: Feature Learning by Inpainting, CVPR 2016)."""

from __future__ import annotations

import keras
import tensorflow as tf

from keras_zoo.models.registry import register
from keras_zoo.models.representation.base import (
    RepresentationModel,
    backbone_encoder,
    check_positive_int,
)

PAPER = ("Pathak, Krahenbuhl, Donahue, Darrell & Efros, Context Encoders: Feature Learning by "
         "Inpainting, CVPR 2016")


@keras.saving.register_keras_serializable(package="keras_zoo")
class ContextEncoderModel(RepresentationModel):
    """Masks the central region of each image and reconstructs it from the rest.

    The loss is the paper's reconstruction loss (section 3.2, eq. 2), the mean squared error
    over the masked region, M * (x - F((1 - M) * x)); the adversarial term of its joint loss
    (eq. 4) is left out: it sharpens the in-painting, and the features are what is wanted here.
    The hole is filled with the mean of the visible pixels of the image (the paper fills it
    with the dataset's mean pixel value). ``call`` returns the L2-normalised encoder features.

    Args:
        encoder: images -> features.
        decoder: features -> the central patch (sigmoid, ``[P, P, C]``).
        **kwargs: ``keras.Model`` arguments.
    """

    networks = ("encoder", "decoder")
    target = None

    def __init__(self, encoder=None, decoder=None, **kwargs):
        super().__init__(encoder=encoder, decoder=decoder, **kwargs)

    def _set_networks(self, networks):
        super()._set_networks(networks)
        h, w, _ = self.image_shape
        p = int(self.decoder.outputs[0].shape[1])
        self.hole = ((h - p) // 2, (w - p) // 2, p)

    def embed(self, images, training=False):
        return self.normalize(self.features(images, training=training))

    def mask(self, images):
        """``(masked images, central patch)``."""
        top, left, p = self.hole
        h, w, _ = self.image_shape
        inside = tf.pad(tf.ones([p, p]), [[top, h - top - p], [left, w - left - p]])[None, :, :,
                                                                                   None]
        visible = 1.0 - inside
        mean = tf.reduce_sum(images * visible, axis=[1, 2], keepdims=True) / tf.reduce_sum(
            visible)
        masked = images * visible + mean * inside
        return masked, images[:, top:top + p, left:left + p, :]

    def objective(self, images, y, training):
        masked, patch = self.mask(images)
        reconstruction = self.decoder(self.features(masked, training=training),
                                      training=training)
        return {"loss": tf.reduce_mean(tf.square(reconstruction - patch))}


def patch_decoder(input_dim, patch, channels, filters, name):
    """features -> ``[patch, patch, channels]`` in [0, 1]: a dense map to a 1/4-size grid,
    two stride-2 up-convolutions (the paper's decoder is up-convolutions too, section 3.1)."""
    grid = patch // 4
    inputs = keras.Input((input_dim,), name="features")
    x = keras.layers.Dense(grid * grid * filters, activation="relu", name="fc")(inputs)
    x = keras.layers.Reshape((grid, grid, filters), name="grid")(x)
    x = keras.layers.Conv2DTranspose(filters, 4, strides=2, padding="same", activation="relu",
                                     name="up1")(x)
    x = keras.layers.Conv2DTranspose(filters, 4, strides=2, padding="same", activation="relu",
                                     name="up2")(x)
    outputs = keras.layers.Conv2D(channels, 3, padding="same", activation="sigmoid",
                                  name="patch")(x)
    return keras.Model(inputs, outputs, name=name)


def ContextEncoder(backbone="alexnet", input_shape=(128, 128, 3), hole_fraction=0.5,
                   decoder_filters=64, backbone_preset=None, backbone_config=None,
                   name="context_encoder"):
    """A context encoder: registry classifier encoder (AlexNet in the paper), up-convolutional
    decoder of the central hole (half the side: 64x64 of 128x128 in the paper).

    The paper joins encoder and decoder with a channel-wise fully connected layer on the
    encoder's last feature map; here the encoder's pooled features go through a dense layer,
    so that any registry classifier serves as the encoder.

    Args:
        backbone: registry name of the encoder.
        input_shape: ``(H, W, C)``, square.
        hole_fraction: side of the central hole over the image side; the hole's side must be a
            multiple of 4.
        decoder_filters: channels of the decoder.
        backbone_preset, backbone_config: the encoder's preset and builder kwargs.
        name: the model's name.
    """
    h, w, c = input_shape
    patch = int(round(h * hole_fraction))
    if h != w or not 0 < hole_fraction < 1 or patch % 4:
        raise ValueError(f"{name}: needs a square input and a hole side (hole_fraction * side) "
                         f"that is a multiple of 4, got input_shape {tuple(input_shape)} and "
                         f"hole_fraction {hole_fraction!r}.")
    check_positive_int(decoder_filters, "decoder_filters", name)
    encoder = backbone_encoder(backbone, input_shape, backbone_preset, backbone_config, name)
    decoder = patch_decoder(encoder.outputs[0].shape[-1], patch, c, decoder_filters,
                            f"{name}_decoder")
    return ContextEncoderModel(encoder, decoder, name=name)


register(
    "context_encoder",
    task="embedding",
    family="representation",
    tiny=dict(backbone="lenet5", input_shape=(32, 32, 1), decoder_filters=8),
    canonical=dict(backbone="alexnet", input_shape=(128, 128, 3), hole_fraction=0.5),
    data="digits",
    recipe="context_encoder",
    paper=PAPER,
)(ContextEncoder)

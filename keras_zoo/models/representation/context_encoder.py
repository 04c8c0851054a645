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

#: Region masks of the paper (section 3.3) implemented here.
MASKS = ("central", "random_blocks")
PAPER = ("Pathak, Krahenbuhl, Donahue, Darrell & Efros, Context Encoders: Feature Learning by "
         "Inpainting, CVPR 2016")


@keras.saving.register_keras_serializable(package="keras_zoo")
class ContextEncoderModel(RepresentationModel):
    """Masks a region of each image and reconstructs it from the rest.

    ``masks="central"``: the central square (the decoder outputs that patch).
    ``masks="random_blocks"``: the paper's random-block masks (section 3.3): several smaller,
    possibly overlapping squares at random positions covering up to a quarter of the image;
    the decoder outputs the whole image and the loss is taken over the masked pixels. The
    paper reports that the central mask's features latch on to the hole's boundary and
    transfer worse than random masks.

    The loss is the paper's reconstruction loss (section 3.2, eq. 2), the mean squared error
    over the masked region, M * (x - F((1 - M) * x)); the adversarial term of its joint loss
    (eq. 4) is left out: it sharpens the in-painting, and the features are what is wanted here.
    The hole is filled with the mean of the visible pixels of the image (the paper fills it
    with the dataset's mean pixel value). ``call`` returns the L2-normalised encoder features.

    Args:
        encoder: images -> features.
        decoder: features -> the central patch (sigmoid, ``[P, P, C]``), or the whole image
            for ``masks="random_blocks"``.
        masks: ``"central"`` or ``"random_blocks"``.
        blocks: number of random blocks (side ``block_fraction`` of the image side each).
        block_fraction: the side of a random block over the image side.
        seed: seed of the random blocks.
        **kwargs: ``keras.Model`` arguments.
    """

    networks = ("encoder", "decoder")
    target = None

    def __init__(self, encoder=None, decoder=None, masks="central", blocks=4,
                 block_fraction=0.25, seed=None, **kwargs):
        if masks not in MASKS:
            raise ValueError(f"context encoder: masks must be one of {MASKS}, got {masks!r}.")
        self.masks = masks
        self.blocks = check_positive_int(blocks, "blocks", "context encoder")
        if not 0 < block_fraction < 1:
            raise ValueError(f"context encoder: block_fraction must be in (0, 1), got "
                             f"{block_fraction!r}.")
        self.block_fraction = float(block_fraction)
        self.seed = seed
        super().__init__(encoder=encoder, decoder=decoder, **kwargs)
        self.block_seed = keras.random.SeedGenerator(seed)

    def _set_networks(self, networks):
        super()._set_networks(networks)
        h, w, _ = self.image_shape
        p = int(self.decoder.outputs[0].shape[1])
        self.hole = ((h - p) // 2, (w - p) // 2, p)

    def embed(self, images, training=False):
        return self.normalize(self.features(images, training=training))

    def random_blocks(self, batch):
        """``[B, H, W, 1]`` float masks (1 = hidden): the union of ``blocks`` squares of side
        ``block_fraction`` of the image at uniform positions."""
        h, w, _ = self.image_shape
        side = max(1, int(round(self.block_fraction * min(h, w))))
        top = keras.random.randint((batch, self.blocks), 0, h - side + 1, seed=self.block_seed)
        left = keras.random.randint((batch, self.blocks), 0, w - side + 1, seed=self.block_seed)
        rows = tf.range(h)[None, None, :]
        cols = tf.range(w)[None, None, :]
        in_rows = (rows >= top[..., None]) & (rows < top[..., None] + side)  # [B, K, H]
        in_cols = (cols >= left[..., None]) & (cols < left[..., None] + side)  # [B, K, W]
        inside = tf.reduce_any(in_rows[..., :, None] & in_cols[..., None, :], axis=1)
        return tf.cast(inside, "float32")[..., None]

    def mask(self, images):
        """``(masked images, target, weight)``: the central patch (weight 1) or the whole
        image with weight 1 on the hidden pixels only (random blocks). The hole is filled with
        the mean of each image's visible pixels."""
        h, w, _ = self.image_shape
        if self.masks == "central":
            top, left, p = self.hole
            inside = tf.pad(tf.ones([p, p]), [[top, h - top - p], [left, w - left - p]])[
                None, :, :, None]
            target, weight = images[:, top:top + p, left:left + p, :], None
        else:
            inside = self.random_blocks(tf.shape(images)[0])
            target, weight = images, inside
        visible = 1.0 - inside
        mean = tf.reduce_sum(images * visible, axis=[1, 2], keepdims=True) / tf.maximum(
            tf.reduce_sum(visible * tf.ones_like(images[..., :1]), axis=[1, 2], keepdims=True),
            1.0)
        masked = images * visible + mean * inside
        return masked, target, weight

    def objective(self, images, y, training):
        masked, target, weight = self.mask(images)
        reconstruction = self.decoder(self.features(masked, training=training),
                                      training=training)
        error = tf.square(reconstruction - target)
        if weight is None:
            return {"loss": tf.reduce_mean(error)}
        weight = weight * tf.ones_like(error)
        return {"loss": tf.reduce_sum(error * weight) / tf.maximum(tf.reduce_sum(weight), 1.0)}

    def get_config(self):
        return {**super().get_config(), "masks": self.masks, "blocks": self.blocks,
                "block_fraction": self.block_fraction, "seed": self.seed}


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
                   decoder_filters=64, masks="central", blocks=4, block_fraction=0.25,
                   backbone_preset=None, backbone_config=None, seed=None,
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
        masks: ``"central"`` (the hole of ``hole_fraction``) or ``"random_blocks"`` (the
            paper's random-block masks; ``hole_fraction`` is then not used).
        blocks, block_fraction: the random blocks' number and side over the image side.
        backbone_preset, backbone_config: the encoder's preset and builder kwargs.
        seed: seed of the random blocks.
        name: the model's name.
    """
    h, w, c = input_shape
    patch = int(round(h * hole_fraction))
    if h != w or not 0 < hole_fraction < 1 or patch % 4:
        raise ValueError(f"{name}: needs a square input and a hole side (hole_fraction * side) "
                         f"that is a multiple of 4, got input_shape {tuple(input_shape)} and "
                         f"hole_fraction {hole_fraction!r}.")
    check_positive_int(decoder_filters, "decoder_filters", name)
    if masks == "random_blocks" and hole_fraction != 0.5:
        raise ValueError(f"{name}: hole_fraction is not used with masks='random_blocks' (use "
                         f"blocks and block_fraction), got hole_fraction {hole_fraction!r}.")
    if masks == "central" and (blocks != 4 or block_fraction != 0.25):
        raise ValueError(f"{name}: blocks and block_fraction apply to masks='random_blocks' "
                         f"only, got blocks {blocks!r} and block_fraction {block_fraction!r} "
                         "with the central hole.")
    if masks == "random_blocks":
        if h % 4:
            raise ValueError(f"{name}: masks='random_blocks' reconstructs the whole image, whose "
                             f"side must be a multiple of 4, got input_shape "
                             f"{tuple(input_shape)}.")
        patch = h
    encoder = backbone_encoder(backbone, input_shape, backbone_preset, backbone_config, name)
    decoder = patch_decoder(encoder.outputs[0].shape[-1], patch, c, decoder_filters,
                            f"{name}_decoder")
    return ContextEncoderModel(encoder, decoder, masks=masks, blocks=blocks,
                               block_fraction=block_fraction, seed=seed, name=name)


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

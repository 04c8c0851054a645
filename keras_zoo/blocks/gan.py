"""Generator and discriminator networks shared by the GAN family (functional ``keras.Model``s).

Every generator names its inputs after what a client sends (``latent``, ``labels``, ``images``)
so that the serving signature can be derived from the network (``keras_zoo.tasks.generative``).
Generators end in ``tanh`` (images in [-1, 1], DCGAN, Radford et al. 2016, section 3);
discriminators return logits (or critic values) without an activation.

Instance normalisation (CycleGAN, Pix2pix at batch 1) is ``GroupNormalization(groups=-1)``:
tensorflow_addons, which had InstanceNormalization, does not support Keras 3.
"""

from __future__ import annotations

import keras

from keras_zoo.blocks.unet import unet_up

NORMALIZATIONS = (None, "batch", "instance", "layer")


def _check_image_shape(image_shape, arg="image_shape"):
    if (not isinstance(image_shape, (tuple, list)) or len(image_shape) != 3
            or not all(isinstance(d, int) and d > 0 for d in image_shape)):
        raise ValueError(f"{arg} must be (height, width, channels) of positive ints, "
                         f"got {image_shape!r}.")
    return tuple(image_shape)


def _check_positive(value, arg):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{arg} must be a positive int, got {value!r}.")
    return value


def normalization(kind, name):
    """A normalisation layer by name (``None`` gives ``None``)."""
    if kind is None:
        return None
    if kind == "batch":
        return keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5, name=name)
    if kind == "instance":
        return keras.layers.GroupNormalization(groups=-1, epsilon=1e-5, name=name)
    if kind == "layer":
        return keras.layers.LayerNormalization(epsilon=1e-5, name=name)
    raise ValueError(f"normalization must be one of {NORMALIZATIONS}, got {kind!r}.")


def _norm(x, kind, name):
    layer = normalization(kind, name)
    return x if layer is None else layer(x)


def latent_inputs(latent_dim, num_classes=None, label_embedding=None, name="generator"):
    """Inputs of a latent-driven generator and the vector they give (z, or [z, embed(y)]).

    Conditioning by concatenating the label to z is the conditional GAN's (Mirza & Osindero
    2014, section 3.2); the label is embedded (a learned one-hot) so that it stays a GATHER.
    """
    _check_positive(latent_dim, "latent_dim")
    latent = keras.Input((latent_dim,), name="latent")
    inputs, vector = [latent], latent
    if num_classes is not None:
        _check_positive(num_classes, "num_classes")
        labels = keras.Input((), dtype="int32", name="labels")
        embedded = keras.layers.Embedding(num_classes, label_embedding or num_classes,
                                          name=f"{name}_label_embedding")(labels)
        vector = keras.layers.Concatenate(name=f"{name}_condition")([latent, embedded])
        inputs.append(labels)
    return inputs, vector


def image_label_inputs(image_shape, num_classes=None, name="discriminator"):
    """Inputs of a discriminator: images, plus labels broadcast to a feature map if given."""
    image_shape = _check_image_shape(image_shape)
    images = keras.Input(image_shape, name="images")
    inputs, x = [images], images
    if num_classes is not None:
        _check_positive(num_classes, "num_classes")
        h, w, _ = image_shape
        labels = keras.Input((), dtype="int32", name="labels")
        plane = keras.layers.Embedding(num_classes, h * w, name=f"{name}_label_embedding")(labels)
        plane = keras.layers.Reshape((h, w, 1), name=f"{name}_label_plane")(plane)
        x = keras.layers.Concatenate(name=f"{name}_condition")([images, plane])
        inputs.append(labels)
    return inputs, x


def mlp_generator(latent_dim, image_shape, units=(256, 512, 1024), num_classes=None,
                  name="generator"):
    """A fully connected generator (GAN, Goodfellow et al. 2014: ReLU hidden layers)."""
    image_shape = _check_image_shape(image_shape)
    inputs, x = latent_inputs(latent_dim, num_classes, name=name)
    for i, u in enumerate(units):
        x = keras.layers.Dense(_check_positive(u, "units"), activation="relu",
                               name=f"{name}_dense{i + 1}")(x)
    h, w, c = image_shape
    x = keras.layers.Dense(h * w * c, activation="tanh", name=f"{name}_output")(x)
    x = keras.layers.Reshape(image_shape, name=f"{name}_image")(x)
    return keras.Model(inputs, x, name=name)


def mlp_discriminator(image_shape, units=(1024, 512, 256), num_classes=None, dropout=0.3,
                      outputs=1, name="discriminator"):
    """A fully connected discriminator returning ``outputs`` logits per image.

    The paper's maxout units are replaced by LeakyReLU(0.2) with dropout (a common, simpler
    choice with the same role: a piecewise-linear unit that keeps gradients alive).
    """
    inputs, x = image_label_inputs(image_shape, num_classes, name=name)
    x = keras.layers.Flatten(name=f"{name}_flatten")(x)
    for i, u in enumerate(units):
        x = keras.layers.Dense(_check_positive(u, "units"), name=f"{name}_dense{i + 1}")(x)
        x = keras.layers.LeakyReLU(0.2, name=f"{name}_lrelu{i + 1}")(x)
        if dropout:
            x = keras.layers.Dropout(dropout, name=f"{name}_dropout{i + 1}")(x)
    x = keras.layers.Dense(outputs, name=f"{name}_logits")(x)
    return keras.Model(inputs, x, name=name)


def _upsamplings(image_shape, n, arg):
    h, w, _ = image_shape
    factor = 2 ** n
    if h % factor or w % factor:
        raise ValueError(f"image_shape {image_shape}: height and width must be divisible by "
                         f"2**len({arg}) = {factor}.")
    return h // factor, w // factor


def dcgan_generator(latent_dim, image_shape, filters=(1024, 512, 256, 128), num_classes=None,
                    kernel_size=4, name="generator"):
    """DCGAN's generator (Radford et al. 2016, figure 1): project and reshape z, then
    fractionally strided convolutions with BatchNorm + ReLU, ``tanh`` output.

    Args:
        latent_dim: size of z (100 in the paper).
        image_shape: ``(H, W, C)``; H and W divisible by ``2 ** len(filters)``.
        filters: channels of the projected map and of each upsampling stage but the last
            (the last produces C channels).
        num_classes: if set, a label input is embedded and concatenated to z (cGAN).
        kernel_size: of the transposed convolutions.
        name: model name, the prefix of layer names.
    """
    image_shape = _check_image_shape(image_shape)
    if not filters:
        raise ValueError("filters must name at least one stage.")
    sh, sw = _upsamplings(image_shape, len(filters), "filters")
    inputs, x = latent_inputs(latent_dim, num_classes, name=name)
    x = keras.layers.Dense(sh * sw * filters[0], use_bias=False, name=f"{name}_project")(x)
    x = keras.layers.Reshape((sh, sw, filters[0]), name=f"{name}_reshape")(x)
    x = keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5, name=f"{name}_bn0")(x)
    x = keras.layers.ReLU(name=f"{name}_relu0")(x)
    for i, f in enumerate(filters[1:]):
        x = keras.layers.Conv2DTranspose(f, kernel_size, strides=2, padding="same",
                                         use_bias=False, name=f"{name}_deconv{i + 1}")(x)
        x = keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5,
                                            name=f"{name}_bn{i + 1}")(x)
        x = keras.layers.ReLU(name=f"{name}_relu{i + 1}")(x)
    x = keras.layers.Conv2DTranspose(image_shape[-1], kernel_size, strides=2, padding="same",
                                     activation="tanh", name=f"{name}_output")(x)
    return keras.Model(inputs, x, name=name)


def conv_features(x, filters, normalization_kind="batch", kernel_size=4, name="discriminator",
                  last_stride=2):
    """Strided convolutions with LeakyReLU(0.2), no normalisation on the first (DCGAN)."""
    for i, f in enumerate(filters):
        strides = last_stride if i == len(filters) - 1 else 2
        x = keras.layers.Conv2D(f, kernel_size, strides=strides, padding="same",
                                use_bias=normalization_kind is None or i == 0,
                                name=f"{name}_conv{i + 1}")(x)
        if i > 0:
            x = _norm(x, normalization_kind, f"{name}_norm{i + 1}")
        x = keras.layers.LeakyReLU(0.2, name=f"{name}_lrelu{i + 1}")(x)
    return x


def dcgan_discriminator(image_shape, filters=(128, 256, 512, 1024), num_classes=None,
                        normalization_kind="batch", kernel_size=4, outputs=1,
                        name="discriminator"):
    """DCGAN's discriminator: strided convolutions, BatchNorm (not on the first layer),
    LeakyReLU(0.2), a dense logit. ``normalization_kind=None`` or ``"layer"`` gives a WGAN-GP
    critic (Gulrajani et al. 2017, section 4: no batch norm under the gradient penalty).

    Args:
        image_shape: ``(H, W, C)``.
        filters: channels of each stride-2 convolution.
        num_classes: if set, labels are broadcast to a feature plane and concatenated (cGAN).
        normalization_kind: None, "batch", "instance" or "layer".
        kernel_size: of the convolutions.
        outputs: number of logits (1; InfoGAN and SGAN ask for more).
        name: model name, the prefix of layer names.
    """
    inputs, x = image_label_inputs(image_shape, num_classes, name=name)
    _upsamplings(_check_image_shape(image_shape), len(filters), "filters")
    x = conv_features(x, filters, normalization_kind, kernel_size, name)
    x = keras.layers.Flatten(name=f"{name}_flatten")(x)
    x = keras.layers.Dense(outputs, name=f"{name}_logits")(x)
    return keras.Model(inputs, x, name=name)


def unet_generator(image_shape, filters=(64, 128, 256, 512, 512, 512, 512, 512),
                   out_channels=None, dropout_stages=3, name="generator"):
    """Pix2pix's U-Net generator (Isola et al. 2017, appendix 6.1.1).

    Encoder C64-C128-C256-C512-C512-C512-C512-C512 (4x4 stride-2 convolutions, BatchNorm except
    on the first, LeakyReLU 0.2); decoder mirrors it with transposed convolutions, BatchNorm,
    ReLU, dropout 0.5 on the first ``dropout_stages`` decoder stages, and skip connections
    between mirrored layers; a ``tanh`` output.

    Args:
        image_shape: ``(H, W, C)`` of the source image; H, W divisible by ``2 ** len(filters)``.
        filters: encoder channels (the decoder mirrors them).
        out_channels: channels of the output image (default C).
        dropout_stages: decoder stages with dropout (the paper's noise z).
        name: model name.
    """
    image_shape = _check_image_shape(image_shape)
    _upsamplings(image_shape, len(filters), "filters")
    images = keras.Input(image_shape, name="images")
    x, skips = images, []
    for i, f in enumerate(filters):
        x = keras.layers.Conv2D(f, 4, strides=2, padding="same", use_bias=i == 0,
                                name=f"{name}_down{i + 1}_conv")(x)
        if 0 < i < len(filters) - 1:
            x = _norm(x, "batch", f"{name}_down{i + 1}_norm")
        x = keras.layers.LeakyReLU(0.2, name=f"{name}_down{i + 1}_lrelu")(x)
        skips.append(x)
    for j, (f, skip) in enumerate(zip(reversed(filters[:-1]), reversed(skips[:-1]), strict=True)):
        x = unet_up(x, skip, f, 4, padding="same", use_bias=False,
                    normalize=lambda y, n: _norm(y, "batch", n),
                    dropout=0.5 if j < dropout_stages else 0.0, activation="relu",
                    name=f"{name}_up{j + 1}")
    x = keras.layers.Conv2DTranspose(out_channels or image_shape[-1], 4, strides=2,
                                     padding="same", activation="tanh",
                                     name=f"{name}_output")(x)
    return keras.Model(images, x, name=name)


def patchgan_discriminator(image_shape, filters=(64, 128, 256, 512), condition_channels=0,
                           normalization_kind="batch", name="discriminator"):
    """The PatchGAN discriminator (Isola et al. 2017, appendix 6.1.2; 70x70 with the default
    filters): C64-C128-C256-C512 4x4 convolutions, the last at stride 1, then a 1-channel
    convolution giving one logit per patch.

    Args:
        image_shape: ``(H, W, C)`` of the judged image.
        filters: channels of each convolution.
        condition_channels: channels of a source image concatenated to the input (Pix2pix's
            conditional discriminator); 0 for an unconditional one (CycleGAN).
        normalization_kind: "batch" (Pix2pix) or "instance" (CycleGAN).
        name: model name.
    """
    image_shape = _check_image_shape(image_shape)
    images = keras.Input(image_shape, name="images")
    inputs, x = [images], images
    if condition_channels:
        source = keras.Input(image_shape[:2] + (condition_channels,), name="source")
        x = keras.layers.Concatenate(name=f"{name}_condition")([source, images])
        inputs = [source, images]
    x = conv_features(x, filters, normalization_kind, 4, name, last_stride=1)
    x = keras.layers.Conv2D(1, 4, padding="same", name=f"{name}_patch_logits")(x)
    return keras.Model(inputs if len(inputs) > 1 else images, x, name=name)


def resnet_generator(image_shape, filters=64, num_downsampling=2, num_blocks=9,
                     out_channels=None, name="generator"):
    """CycleGAN's generator (Zhu et al. 2017, appendix 7.2; Johnson et al. 2016):
    c7s1-64, d128, d256, R256 x ``num_blocks``, u128, u64, c7s1-3 with instance norm.

    Zero "same" padding replaces the paper's reflection padding (no Keras core layer; it changes
    only the border statistics).

    Args:
        image_shape: ``(H, W, C)``; H, W divisible by ``2 ** num_downsampling``.
        filters: channels of the first convolution (doubled at each downsampling).
        num_downsampling: stride-2 stages (2 in the paper).
        num_blocks: residual blocks (9 at 256x256, 6 at 128x128).
        out_channels: channels of the output (default C).
        name: model name.
    """
    image_shape = _check_image_shape(image_shape)
    _upsamplings(image_shape, num_downsampling, "num_downsampling")
    images = keras.Input(image_shape, name="images")
    x = resnet_translator(images, out_channels or image_shape[-1], filters, num_downsampling,
                          num_blocks, name)
    return keras.Model(images, x, name=name)


def resnet_translator(x, out_channels, filters=64, num_downsampling=2, num_blocks=9,
                      name="generator"):
    """The body of ``resnet_generator`` on a tensor (StarGAN uses it on image + label maps):
    c7s1, downsampling, residual blocks, upsampling, c7s1 with ``tanh``."""
    x = keras.layers.Conv2D(filters, 7, padding="same", use_bias=False, name=f"{name}_c7s1")(x)
    x = keras.layers.ReLU(name=f"{name}_c7s1_relu")(_norm(x, "instance", f"{name}_c7s1_norm"))
    f = filters
    for i in range(num_downsampling):
        f *= 2
        x = keras.layers.Conv2D(f, 3, strides=2, padding="same", use_bias=False,
                                name=f"{name}_d{i + 1}")(x)
        x = keras.layers.ReLU(name=f"{name}_d{i + 1}_relu")(
            _norm(x, "instance", f"{name}_d{i + 1}_norm"))
    for b in range(num_blocks):
        y = keras.layers.Conv2D(f, 3, padding="same", use_bias=False, name=f"{name}_r{b + 1}_a")(x)
        y = keras.layers.ReLU(name=f"{name}_r{b + 1}_relu")(
            _norm(y, "instance", f"{name}_r{b + 1}_a_norm"))
        y = keras.layers.Conv2D(f, 3, padding="same", use_bias=False, name=f"{name}_r{b + 1}_b")(y)
        y = _norm(y, "instance", f"{name}_r{b + 1}_b_norm")
        x = keras.layers.Add(name=f"{name}_r{b + 1}_add")([x, y])
    for i in range(num_downsampling):
        f //= 2
        x = keras.layers.Conv2DTranspose(f, 3, strides=2, padding="same", use_bias=False,
                                         name=f"{name}_u{i + 1}")(x)
        x = keras.layers.ReLU(name=f"{name}_u{i + 1}_relu")(
            _norm(x, "instance", f"{name}_u{i + 1}_norm"))
    return keras.layers.Conv2D(out_channels, 7, padding="same", activation="tanh",
                               name=f"{name}_output")(x)


def encoder_decoder_generator(image_shape, filters=(64, 128, 256, 512), out_channels=None,
                              name="generator"):
    """DiscoGAN's generator (Kim et al. 2017, section 3): an encoder of 4x4 stride-2
    convolutions with LeakyReLU(0.2) and a decoder of 4x4 stride-2 deconvolutions with ReLU,
    BatchNorm between, no skip connections."""
    image_shape = _check_image_shape(image_shape)
    _upsamplings(image_shape, len(filters), "filters")
    images = keras.Input(image_shape, name="images")
    x = conv_features(images, filters, "batch", 4, f"{name}_enc")
    for j, f in enumerate(reversed(filters[:-1])):
        x = keras.layers.Conv2DTranspose(f, 4, strides=2, padding="same", use_bias=False,
                                         name=f"{name}_dec{j + 1}_deconv")(x)
        x = keras.layers.ReLU(name=f"{name}_dec{j + 1}_relu")(
            _norm(x, "batch", f"{name}_dec{j + 1}_norm"))
    x = keras.layers.Conv2DTranspose(out_channels or image_shape[-1], 4, strides=2,
                                     padding="same", activation="tanh",
                                     name=f"{name}_output")(x)
    return keras.Model(images, x, name=name)

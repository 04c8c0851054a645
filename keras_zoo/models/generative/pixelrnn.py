"""PixelRNN with Row LSTM or Diagonal BiLSTM layers (van den Oord, Kalchbrenner & Kavukcuoglu,
"Pixel Recurrent Neural Networks", ICML 2016, sections 3.1, 3.2, 3.4, 3.5 and table 2).

The same density model as PixelCNN, p(x) = prod_i p(x_i | x_<i) in raster order with a softmax
over the intensity levels of each channel, with the residual blocks of masked convolutions
replaced by LSTM layers: a 7x7 mask-A convolution to 2h channels, ``num_layers`` residual
LSTM blocks (figure 5: a Row LSTM or Diagonal BiLSTM with h states, a 1x1 mask-B convolution
back to 2h, added to the block's input), then two ReLU + 1x1 mask-B convolutions and the logits.

Training, the NLL in bits per dimension, sampling and serving are PixelCNN's
(``PixelCNNModel``, task ``autoregressive``): only the network differs.
"""

from __future__ import annotations

import keras

from keras_zoo.blocks.gan import _check_image_shape, _check_positive
from keras_zoo.layers import DiagonalBiLSTM, MaskedConv2D, RowLSTM
from keras_zoo.models.generative.pixelcnn import PixelCNNModel, masked_input, masked_output
from keras_zoo.models.registry import register

PAPER = "van den Oord et al., Pixel Recurrent Neural Networks, ICML 2016"
LSTMS = ("row", "diagonal")


def _lstm_layer(lstm, units, kernel_size, groups, name):
    if lstm == "row":
        return RowLSTM(units, kernel_size, color_groups=groups, name=name)
    return DiagonalBiLSTM(units, color_groups=groups, name=name)


def pixelrnn_network(image_shape, units=128, num_layers=12, kernel_size=3, output_filters=1024,
                     levels=256, lstm="row", name="pixelrnn"):
    """The PixelRNN network: images in [0, 1] -> logits ``[B, H, W, C, levels]``.

    Args:
        image_shape: ``(H, W, C)``; C > 1 uses the R -> G -> B channel masks.
        units: h, the LSTM states (the residual stream has 2h channels).
        num_layers: LSTM layers (12 for CIFAR-10, section 5.3).
        kernel_size: k of the Row LSTM's input-to-state and state-to-state kernels (3); the
            Diagonal BiLSTM's are 1x1 and 2x1 (table 2).
        output_filters: channels of the two 1x1 output layers.
        levels: intensity values per channel (256).
        lstm: "row" (Row LSTM) or "diagonal" (Diagonal BiLSTM).
        name: model name.
    """
    if lstm not in LSTMS:
        raise ValueError(f"lstm must be one of {LSTMS}, got {lstm!r}.")
    h, w, c = _check_image_shape(image_shape)
    for arg, value in (("units", units), ("num_layers", num_layers),
                       ("kernel_size", kernel_size), ("output_filters", output_filters),
                       ("levels", levels)):
        _check_positive(value, arg)
    groups = c if c > 1 else None
    if groups and (units % c or output_filters % c):
        raise ValueError(f"units and output_filters must be divisible by {c} for {c} colour "
                         f"channels, got {units}, {output_filters}.")
    images = keras.Input(image_shape, name="images")
    x = masked_input(images, 2 * units, groups, name)
    for i in range(num_layers):
        y = _lstm_layer(lstm, units, kernel_size, groups, f"{name}_layer{i + 1}_lstm")(x)
        y = MaskedConv2D(2 * units, 1, mask_type="B", color_groups=groups,
                         name=f"{name}_layer{i + 1}_expand")(y)
        x = keras.layers.Add(name=f"{name}_layer{i + 1}_add")([x, y])
    return keras.Model(images, masked_output(x, (h, w, c), output_filters, levels, groups, name),
                       name=name)


def pixelrnn_params(image_shape=(28, 28, 1), units=128, num_layers=12, kernel_size=3,
                    output_filters=1024, levels=256, lstm="row"):
    """The parameter count of ``pixelrnn_network``, by hand."""
    c, k, h2 = image_shape[-1], kernel_size, 2 * units
    total = 7 * 7 * c * h2 + h2                         # 7x7 mask A
    if lstm == "row":
        per_layer = (k * h2 * 4 * units + 4 * units     # input-to-state 1 x k (with bias)
                     + k * units * 4 * units)           # state-to-state 1 x k (no bias)
    else:  # two directions, each: input-to-state 1x1 (with bias), state-to-state 2x1
        per_layer = 2 * (h2 * 4 * units + 4 * units + 2 * units * 4 * units)
    per_layer += units * h2 + h2                        # 1x1 back to 2h
    total += num_layers * per_layer
    total += h2 * output_filters + output_filters
    total += output_filters * output_filters + output_filters
    total += output_filters * c * levels + c * levels
    return total


@keras.saving.register_keras_serializable(package="keras_zoo")
class PixelRNNModel(PixelCNNModel):
    """A PixelRNN density model: PixelCNN's training (NLL in nats, logged in bits/dim),
    ``bits_per_dim`` and autoregressive ``sample``, over a Row LSTM or Diagonal BiLSTM network.

    Args:
        network: functional model, images -> logits ``[B, H, W, C, levels]``.
        **kwargs: ``keras.Model`` arguments.
    """


def PixelRNN(image_shape=(28, 28, 1), units=128, num_layers=12, kernel_size=3,
             output_filters=1024, levels=256, lstm="row", name="pixelrnn"):
    """PixelRNN (Row LSTM) at the depth and width of the paper's CIFAR-10 model (12 layers of
    h = 128, section 5.3) on 28x28 grey images, as our PixelCNN's canonical config. RGB images
    (C = 3) need h divisible by 3 for the R/G/B channel groups; the paper does not say how it
    splits its 128 units, so ``image_shape=(32, 32, 3)`` needs e.g. ``units=129,
    output_filters=1023``.

    Args:
        image_shape: ``(H, W, C)``.
        units: h.
        num_layers: Row LSTM layers.
        kernel_size: k of the Row LSTM kernels.
        output_filters: channels of the output 1x1 layers.
        levels: intensity values per channel.
        lstm: "row" (Row LSTM, section 3.1) or "diagonal" (Diagonal BiLSTM, section 3.2).
        name: model name.

    Example:
        >>> model = PixelRNN((8, 8, 1), units=8, num_layers=1, output_filters=16, levels=17)
        >>> model.sample(2, seed=0).shape
        (2, 8, 8, 1)
    """
    return PixelRNNModel(pixelrnn_network(image_shape, units, num_layers, kernel_size,
                                          output_filters, levels, lstm,
                                          name=f"{name}_network"),
                         name=name)


register("pixelrnn", task="autoregressive", family="autoregressive",
         # 3x3 (8x8 until 2026-12-05, which the recipe and tests/models/generative pin): the
         # smallest image with a pixel whose causal neighbours are all there (above-left,
         # above, above-right, left); the row sweep and its 3-wide input-to-state and
         # state-to-state kernels as at any size.
         tiny=dict(image_shape=(3, 3, 1), units=8, num_layers=1, output_filters=16, levels=17),
         canonical=dict(), data="digits", recipe="pixelrnn", paper=PAPER,
         params=pixelrnn_params(),
         notes="Row LSTM. Canonical: CIFAR-10's 12 layers of h = 128 (section 5.3) on 28x28 grey "
               "images, 1024-channel output layers as our PixelCNN. tiny: 3x3 digits, 17 grey "
               "levels.")(PixelRNN)


register("pixelrnn_diagonal", task="autoregressive", family="autoregressive",
         # 3x3: the skew/unskew and both directions' sweeps as at any size, over 5 diagonals
         # (an 8x8 image's 15, unrolled per direction, were most of the battery's fit; 4x4's 7
         # until 2026-12-05); the smallest image with a pixel whose causal neighbours are all
         # there (above-left, above, above-right, left).
         tiny=dict(image_shape=(3, 3, 1), units=8, num_layers=1, output_filters=16, levels=17,
                   lstm="diagonal", name="pixelrnn_diagonal"),
         canonical=dict(lstm="diagonal", name="pixelrnn_diagonal"), data="digits",
         recipe="pixelrnn", paper=PAPER, params=pixelrnn_params(lstm="diagonal"),
         notes="Diagonal BiLSTM. Canonical: CIFAR-10's 12 layers of h = 128 (section 5.3) on "
               "28x28 grey images. tiny: 3x3 digits, 17 grey levels.")(PixelRNN)

"""Masked convolution with PixelCNN masks A and B (van den Oord et al., ICML 2016)."""

import keras
import numpy as np
from keras import ops


def pixelcnn_mask(kernel_size, in_channels, out_channels, mask_type, color_groups=None):
    """The 0/1 mask of a PixelCNN kernel, shape ``(k_h, k_w, in_channels, out_channels)``.

    Rows above the centre and pixels left of the centre are kept; mask "A" drops the centre
    pixel, mask "B" keeps it. With ``color_groups=G`` the centre pixel is masked per channel
    group (input/output channel ``i`` is in group ``i * G // channels``, contiguous blocks):
    "A" connects input group g to output groups > g, "B" to output groups >= g.
    """
    k_h, k_w = kernel_size
    mask = np.zeros((k_h, k_w, in_channels, out_channels), dtype="float32")
    c_h, c_w = k_h // 2, k_w // 2
    mask[:c_h] = 1.0
    mask[c_h, :c_w] = 1.0
    if color_groups is None:
        mask[c_h, c_w] = 1.0 if mask_type == "B" else 0.0
    else:
        group_in = np.arange(in_channels) * color_groups // in_channels
        group_out = np.arange(out_channels) * color_groups // out_channels
        if mask_type == "A":
            mask[c_h, c_w] = group_in[:, None] < group_out[None, :]
        else:
            mask[c_h, c_w] = group_in[:, None] <= group_out[None, :]
    return mask


@keras.saving.register_keras_serializable(package="keras_zoo")
class MaskedConv2D(keras.layers.Conv2D):
    """A Conv2D whose kernel is masked so that each output pixel sees only the pixels before it.

    van den Oord, Kalchbrenner & Kavukcuoglu, "Pixel Recurrent Neural Networks", ICML 2016,
    section 3.4 (and PixelCNN, "Conditional Image Generation with PixelCNN Decoders", NeurIPS
    2016): ``y = conv(x, W * M)`` with ``M`` the mask of raster-scan order. Mask "A" (first
    layer) excludes the centre pixel, so a pixel never sees itself; mask "B" (later layers)
    includes it.

    Colour channels: by default the centre pixel is masked for all channels at once (the
    single-channel case, or treating the colours of a pixel as one variable). With
    ``color_groups=3`` we implement the paper's RGB channel-group masking: input and output
    channels are split into 3 contiguous groups (R, G, B), and at the centre pixel mask A
    connects group g only to later groups, mask B to the same and later groups. Both channel
    counts must then be divisible by ``color_groups``.

    Args:
        filters: the output channels.
        kernel_size: odd int or pair of odd ints (the mask needs a centre pixel).
        mask_type: "A" or "B".
        color_groups: None, or the number of colour groups of the paper's channel masking (3).
        **kwargs: any other keras.layers.Conv2D argument (strides, padding, activation, ...).

    Example:
        >>> x = keras.random.normal((1, 28, 28, 1))
        >>> MaskedConv2D(32, 7, mask_type="A", padding="same")(x).shape
        TensorShape([1, 28, 28, 32])
    """

    def __init__(self, filters, kernel_size, mask_type="B", color_groups=None, **kwargs):
        if mask_type not in ("A", "B"):
            raise ValueError(f"MaskedConv2D: mask_type must be 'A' or 'B', got {mask_type!r}.")
        if color_groups is not None and (not isinstance(color_groups, int) or color_groups < 1):
            raise ValueError("MaskedConv2D: color_groups must be None or a positive int, got "
                             f"{color_groups!r}.")
        super().__init__(filters, kernel_size, **kwargs)
        if any(k % 2 == 0 for k in self.kernel_size):
            raise ValueError(f"MaskedConv2D: kernel_size must be odd, got {kernel_size!r}.")
        if self.groups != 1:
            raise ValueError(f"MaskedConv2D: groups must be 1, got {self.groups}.")
        if color_groups is not None and filters % color_groups:
            raise ValueError(f"MaskedConv2D: filters={filters} must be divisible by "
                             f"color_groups={color_groups}.")
        self.mask_type = mask_type
        self.color_groups = color_groups

    def build(self, input_shape):
        in_channels = input_shape[-1]
        if self.color_groups is not None and (in_channels is None or
                                              in_channels % self.color_groups):
            raise ValueError(f"MaskedConv2D: the input's {in_channels} channels must be "
                             f"divisible by color_groups={self.color_groups}.")
        super().build(input_shape)
        self._mask = pixelcnn_mask(self.kernel_size, in_channels, self.filters,
                                   self.mask_type, self.color_groups)

    def convolution_op(self, inputs, kernel):
        return super().convolution_op(inputs, kernel * ops.convert_to_tensor(self._mask,
                                                                             kernel.dtype))

    def get_config(self):
        return {**super().get_config(), "mask_type": self.mask_type,
                "color_groups": self.color_groups}

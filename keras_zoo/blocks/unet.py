"""The U-Net's expanding step, shared by U-Net (Ronneberger, Fischer & Brox, "U-Net:
Convolutional Networks for Biomedical Image Segmentation", MICCAI 2015, section 2) and
pix2pix's generator (Isola et al. 2017, appendix 6.1.1): upsample by a stride-2 transposed
convolution, then concatenate the mirrored encoder map, centre-cropped to fit ("the cropping
is necessary due to the loss of border pixels in every convolution").
"""

from __future__ import annotations

import keras


def center_crop_to(skip, reference, name):
    """``skip`` ``[B, H, W, C]`` centre-cropped to ``reference``'s height and width (a
    ``Cropping2D``; the identity, and no layer, when they already agree)."""
    (sh, sw), (rh, rw) = skip.shape[1:3], reference.shape[1:3]
    if (sh, sw) == (rh, rw):
        return skip
    dh, dw = sh - rh, sw - rw
    if dh < 0 or dw < 0:
        raise ValueError(f"{name}: the skip map {(sh, sw)} is smaller than the upsampled map "
                         f"{(rh, rw)}; it cannot be cropped to it.")
    return keras.layers.Cropping2D(((dh // 2, dh - dh // 2), (dw // 2, dw - dw // 2)),
                                   name=name)(skip)


def unet_up(x, skip, filters, kernel_size=2, *, padding="valid", use_bias=True,
            normalize=None, dropout=0.0, activation=None, kernel_initializer="glorot_uniform",
            name):
    """One expanding step: ``concat([act(drop(norm(up(x)))), crop(skip)])``.

    Layers: ``{name}_deconv`` (Conv2DTranspose, stride 2), ``{name}_norm``, ``{name}_dropout``,
    ``{name}_relu``, ``{name}_crop`` (only if the sizes differ) and ``{name}_skip``.

    Args:
        x: the map to upsample ``[B, H, W, C]``.
        skip: the mirrored encoder map (at least ``2H x 2W``).
        filters: channels of the upsampled map (U-Net halves them: "a 2x2 convolution
            ('up-convolution') that halves the number of feature channels").
        kernel_size: 2 for U-Net (with ``padding="valid"``, an exact 2x upsampling), 4 with
            "same" padding for pix2pix.
        padding: of the transposed convolution.
        use_bias: of the transposed convolution (False before a normalisation).
        normalize: ``None`` or a function ``(x, name) -> x`` adding a normalisation layer.
        dropout: drop rate after the normalisation (pix2pix's noise), 0 for none.
        activation: ``None`` or "relu".
        kernel_initializer: of the transposed convolution.
        name: the prefix of the layer names.
    """
    if activation not in (None, "relu"):
        raise ValueError(f"unet_up: activation must be None or 'relu', got {activation!r}.")
    x = keras.layers.Conv2DTranspose(filters, kernel_size, strides=2, padding=padding,
                                     use_bias=use_bias, kernel_initializer=kernel_initializer,
                                     name=f"{name}_deconv")(x)
    if normalize is not None:
        x = normalize(x, f"{name}_norm")
    if dropout:
        x = keras.layers.Dropout(dropout, name=f"{name}_dropout")(x)
    if activation == "relu":
        x = keras.layers.ReLU(name=f"{name}_relu")(x)
    skip = center_crop_to(skip, x, f"{name}_crop")
    return keras.layers.Concatenate(name=f"{name}_skip")([x, skip])

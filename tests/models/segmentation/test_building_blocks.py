"""Bilinear-initialised transposed convolutions, max unpooling at the switches, U-Net's crops,
the U-Net block shared with pix2pix, and input sizes the architectures cannot take."""

import keras
import numpy as np
import pytest

from keras_zoo.layers.bilinear_upsampling import BilinearUpsampling
from keras_zoo.layers.max_unpooling import MaxPoolingWithArgmax, MaxUnpooling
from keras_zoo.models.segmentation.unet import UNet, unet_crops, unet_output_size


def numpy_bilinear(image, factor):
    """Bilinear upsampling with half-pixel centres, written from the definition: output pixel
    o sits at input coordinate (o + 0.5) / factor - 0.5, between floor and floor + 1."""
    h, w, c = image.shape
    out = np.zeros((h * factor, w * factor, c))
    for oy in range(h * factor):
        for ox in range(w * factor):
            sy, sx = (oy + 0.5) / factor - 0.5, (ox + 0.5) / factor - 0.5
            y0, x0 = int(np.floor(sy)), int(np.floor(sx))
            fy, fx = sy - y0, sx - x0
            value = 0.0
            for yy, wy in ((y0, 1 - fy), (y0 + 1, fy)):
                for xx, wx in ((x0, 1 - fx), (x0 + 1, fx)):
                    if 0 <= yy < h and 0 <= xx < w:
                        value = value + wy * wx * image[yy, xx]
            out[oy, ox] = value
    return out


@pytest.mark.parametrize("factor", [2, 4, 8])
def test_bilinear_transposed_conv_equals_numpy_bilinear_inside(factor):
    rng = np.random.default_rng(factor)
    image = rng.normal(size=(5, 6, 3)).astype(np.float32)
    layer = keras.layers.Conv2DTranspose(3, 2 * factor, strides=factor, padding="same",
                                         use_bias=False, kernel_initializer=BilinearUpsampling())
    got = np.asarray(layer(image[None]))[0]
    expected = numpy_bilinear(image, factor)
    # Away from the borders (half a factor of output pixels), where the NumPy version clamps
    # and the convolution sees zeros.
    m = factor
    np.testing.assert_allclose(got[m:-m, m:-m], expected[m:-m, m:-m], atol=1e-5)
    # The channels stay separate: each output channel is its own input channel's upsampling.
    assert not np.allclose(got[..., 0], got[..., 1])


def test_bilinear_initializer_refuses_non_square_kernels():
    with pytest.raises(ValueError, match="square"):
        BilinearUpsampling()((4, 3, 2, 2))


def test_max_unpooling_puts_values_back_at_the_switches():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 4, 6, 3)).astype(np.float32)
    pooled, switches = MaxPoolingWithArgmax(2)(x)
    restored = np.asarray(MaxUnpooling(2)([pooled, switches]))
    for b in range(2):
        for i in range(2):
            for j in range(3):
                for c in range(3):
                    window = x[b, 2 * i:2 * i + 2, 2 * j:2 * j + 2, c]
                    dy, dx = np.unravel_index(np.argmax(window), (2, 2))
                    expected = np.zeros((2, 2), np.float32)
                    expected[dy, dx] = window.max()
                    np.testing.assert_array_equal(
                        restored[b, 2 * i:2 * i + 2, 2 * j:2 * j + 2, c], expected)


def test_unet_crop_sizes_at_572():
    # Figure 1 of the paper: 64 -> 56, 136 -> 104, 280 -> 200, 568 -> 392, output 388.
    assert unet_crops(572) == [(64, 56, 4), (136, 104, 16), (280, 200, 40), (568, 392, 88)]
    assert unet_output_size(572) == 388
    assert unet_output_size(572, padding="same") is None and unet_output_size(576, 4, "same")


def test_unet_cropping_layers_in_the_graph():
    model = UNet(input_shape=(188, 188, 1), filters=2)  # the smallest tile at depth 4
    assert model.output_shape == (None, 4, 4, 2)
    crops = {layer.name: layer.cropping for layer in model.layers
             if isinstance(layer, keras.layers.Cropping2D)}
    s = unet_crops(188)
    assert [crops[f"up{i + 1}_crop"][0][0] for i in range(4)] == [c for _, _, c in s]


def test_unet_channels_double_and_halve():
    model = UNet(input_shape=(188, 188, 1), filters=3)
    convs = [model.get_layer(f"down{i}_conv2").filters for i in range(1, 5)]
    assert convs == [3, 6, 12, 24] and model.get_layer("bottom_conv2").filters == 48
    assert [model.get_layer(f"up{i}_deconv").filters for i in range(1, 5)] == [24, 12, 6, 3]


def test_unet_refuses_invalid_sizes_naming_the_nearest():
    with pytest.raises(ValueError, match="nearest valid sizes are 556 or 572"):
        UNet(input_shape=(570, 570, 1))
    with pytest.raises(ValueError, match="48 or 64"):
        UNet(input_shape=(50, 64, 1), padding="same")


def test_pix2pix_generator_uses_the_unet_block():
    from keras_zoo.blocks.gan import unet_generator

    model = unet_generator((16, 16, 3), filters=(8, 16, 16))
    names = [layer.name for layer in model.layers]
    # unet_up's layer names, in pix2pix's order: deconv, norm, dropout, relu, skip.
    for j in (1, 2):
        stage = [n for n in names if n.startswith(f"generator_up{j}_")]
        assert stage == [f"generator_up{j}_{s}" for s in
                         ("deconv", "norm", "dropout", "relu", "skip")], stage
    assert model.count_params() == 15_659

"""No model trains through TensorFlow's broken strided 1x1 filter gradient.

TensorFlow 2.21's CPU (oneDNN) filter gradient of a 1x1 convolution with a stride corrupts the
heap at odd batches when the input has fewer than 16 channels (SubsampledConv2D's docstring has
the measured shapes; WRN-28-10's tiny config aborted in its first epoch). Such a convolution
must be a ``SubsampledConv2D`` (the same function, computed as a subsampling and a stride-1
convolution). The residual blocks choose it (``residual.pointwise_conv``); the default tier
checks the blocks and the model that crashed, the slow tier every registered model's tiny
config, so that a model added later with its own strided 1x1 convolution is caught too.
"""

import keras
import pytest

import keras_zoo
from keras_zoo.blocks import residual
from keras_zoo.layers import SubsampledConv2D

CONVOLUTIONS = (keras.layers.Conv1D, keras.layers.Conv2D, keras.layers.Conv3D,
                keras.layers.DepthwiseConv2D, keras.layers.SeparableConv2D,
                keras.layers.Conv2DTranspose)


def _strided_convolutions(model):
    """Every convolution with a stride in ``model``, nested models included."""
    return [layer for layer in model._flatten_layers(include_self=False, recursive=True)
            if isinstance(layer, CONVOLUTIONS) and any(s > 1 for s in layer.strides)]


def _exposed(layer):
    """A plain 2-D convolution (not SubsampledConv2D) whose filter gradient TensorFlow's CPU
    kernel can corrupt: 1x1, strided, fewer than 16 input channels."""
    if not isinstance(layer, keras.layers.Conv2D) or isinstance(layer, SubsampledConv2D) \
            or isinstance(layer, (keras.layers.SeparableConv2D, keras.layers.Conv2DTranspose)):
        return False
    channels = layer.kernel.shape[2] * layer.groups
    return tuple(layer.kernel_size) == (1, 1) and channels < residual.SUBSAMPLE_BELOW_CHANNELS


def _block_model(block, channels, **kwargs):
    inputs = keras.Input((12, 12, channels))
    return keras.Model(inputs, block(inputs, 16, strides=2, name="b", **kwargs))


BLOCKS = [
    pytest.param(residual.basic_block, {}, id="basic_projection"),
    pytest.param(residual.bottleneck_block, dict(stride_at="1x1"), id="bottleneck_stride_at_1x1"),
    pytest.param(residual.bottleneck_block, dict(stride_at="3x3", groups=2),
                 id="bottleneck_stride_at_3x3"),
    pytest.param(residual.bottleneck_block, dict(shortcut="avg_projection"),
                 id="bottleneck_avg_projection"),
    pytest.param(residual.preact_bottleneck_block, dict(projection=True),
                 id="preact_bottleneck_projection"),
    pytest.param(residual.wide_basic_block, {}, id="wide_basic"),
]


@pytest.mark.parametrize("block, kwargs", BLOCKS)
def test_blocks_subsample_their_narrow_strided_1x1_convolutions(block, kwargs):
    narrow = _block_model(block, 8, **kwargs)
    pointwise = [layer for layer in _strided_convolutions(narrow)
                 if tuple(layer.kernel_size) == (1, 1)]
    assert not [layer.name for layer in _strided_convolutions(narrow) if _exposed(layer)]
    assert all(type(layer) is SubsampledConv2D for layer in pointwise), pointwise
    # From 16 channels on, where the kernel is exact, keras.applications' own Conv2D stays
    # (its weight files and the structural weight pairing key on the layer class).
    wide = _block_model(block, 32, **kwargs)
    assert not any(isinstance(layer, SubsampledConv2D) for layer in wide.layers)
    assert [type(layer) for layer in _strided_convolutions(wide)
            if tuple(layer.kernel_size) == (1, 1)] == [keras.layers.Conv2D] * len(pointwise)


def test_wrn_28_10s_tiny_shortcuts_are_subsampled():
    """The model whose training aborted: its two strided shortcuts read 4 and 8 channels."""
    model = keras_zoo.models.get("wrn_28_10", preset="tiny")
    shortcuts = {layer.name: (type(layer), layer.kernel.shape[2])
                 for layer in _strided_convolutions(model) if tuple(layer.kernel_size) == (1, 1)}
    assert shortcuts == {"conv3_block1_0_conv": (SubsampledConv2D, 4),
                         "conv4_block1_0_conv": (SubsampledConv2D, 8)}


@pytest.mark.slow  # every registered model's tiny config: minutes
def test_no_registered_model_has_an_exposed_strided_1x1_convolution():
    exposed = {}
    for name in keras_zoo.models.list():
        model = keras_zoo.models.get(name, preset="tiny")
        layers = [layer.name for layer in _strided_convolutions(model) if _exposed(layer)]
        if layers:
            exposed[name] = layers
        keras.backend.clear_session()
    assert not exposed, f"strided 1x1 Conv2D of fewer than 16 channels: {exposed}"

"""DenseNet: counts against keras.applications and the paper, weight transfer, the dense
connectivity the notes get wrong (an erratum of the lecture notes), the argument checks."""

import keras
import numpy as np
import pytest

import keras_zoo
from keras_zoo.models.classification import densenet
from tests.deferred import assert_deferred, deferred_weights
from tests.models.classification.test_resnet import _images, _randomise_bn, assert_transfer

APPS = keras.applications


def test_densenet121_canonical_transfer_and_exact_count():
    ours = densenet.DenseNet121()
    theirs = APPS.DenseNet121(weights=None)
    assert ours.count_params() == theirs.count_params() == 8_062_504
    _randomise_bn(theirs)
    ours.set_weights(theirs.get_weights())
    x = _images((224, 224, 3), n=1)  # one image at full size: the transfer, not the batch
    np.testing.assert_allclose(ours(x, training=False), theirs(x, training=False), atol=1e-5,
                               rtol=0)


@pytest.mark.slow
@pytest.mark.parametrize("ours_fn, theirs_fn, params", [
    (densenet.DenseNet169, APPS.DenseNet169, 14_307_880),
    (densenet.DenseNet201, APPS.DenseNet201, 20_242_984),
])
def test_deep_canonical_counts_and_transfer(ours_fn, theirs_fn, params):
    # The canonical pair is only counted: built with deferred weights (tests/deferred.py); the
    # transfer builds its own 32x32 pair, with real weights.
    with deferred_weights():
        ours, theirs = ours_fn(), theirs_fn(weights=None)
        assert_deferred(ours.weights + theirs.weights)
    assert ours.count_params() == theirs.count_params() == params
    assert_transfer(ours_fn, theirs_fn, (32, 32, 3), include_top=True, classes=7)


def test_densenet121_transfer_without_top_at_small_size():
    assert_transfer(densenet.DenseNet121, APPS.DenseNet121, (48, 40, 3), include_top=False,
                    pooling="max")


def test_densenet_bc_cifar_is_the_papers_0_8m():
    with deferred_weights():  # counts and shapes only (tests/deferred.py)
        model = keras_zoo.models.get("densenet_bc_cifar", "canonical")
        assert_deferred(model.weights)
    count = model.count_params()
    assert abs(count - 0.8e6) / 0.8e6 < 0.01, count
    # The trainable figure, as PyTorch counts it, is 769,162: "0.8M" in the paper's Table 2.
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert round(trainable / 1e6, 1) == 0.8
    assert model.output_shape == (None, 10)


@pytest.fixture(scope="module")
def small121():
    # The tests using it look at layers and shapes only: weights deferred (tests/deferred.py).
    with deferred_weights():
        model = densenet.DenseNet121(input_shape=(32, 32, 3), include_top=False)
        assert_deferred(model.weights)
    return model


@pytest.mark.slow
def test_densenet264_blocks():
    with deferred_weights():  # layers and shapes only (tests/deferred.py)
        model = densenet.DenseNet264(input_shape=(32, 32, 3), include_top=False)
        assert_deferred(model.weights)
    assert model.get_layer("conv4_block64_concat")
    assert model.get_layer("conv5_block48_concat").output.shape[-1] == 2688


def test_dense_block_connections_are_l_l_plus_1_over_2_not_feature_maps():
    # erratum of the lecture notes: L(L+1)/2 counts connections; the block's feature maps grow by k per layer.
    layers, k, c0 = 6, 4, 8
    model = densenet.DenseNet(blocks=(layers,), growth_rate=k, stem_filters=c0,
                              input_shape=(32, 32, 3), include_top=False)
    inputs_per_layer = []
    for i in range(1, layers + 1):
        channels = model.get_layer(f"conv2_block{i}_0_bn").input.shape[-1]
        assert channels == c0 + (i - 1) * k
        inputs_per_layer.append(1 + (channels - c0) // k)  # the block input + earlier layers
    assert sum(inputs_per_layer) == layers * (layers + 1) // 2
    assert model.get_layer(f"conv2_block{layers}_concat").output.shape[-1] == c0 + layers * k


def test_densenet_b_has_bn_relu_before_both_convolutions(small121):
    # erratum of the lecture notes: the notes put BN-ReLU only before the 3x3; the paper has BN-ReLU-Conv1x1-
    # BN-ReLU-Conv3x3.
    model = small121
    for conv, relu in (("conv3_block2_1_conv", "conv3_block2_0_relu"),
                       ("conv3_block2_2_conv", "conv3_block2_1_relu")):
        produced_by = model.get_layer(conv).input._keras_history[0]
        assert produced_by.name == relu, (conv, produced_by.name)
        bn = model.get_layer(relu).input._keras_history[0]
        assert isinstance(bn, keras.layers.BatchNormalization)


def test_compression_halves_the_transition(small121):
    model = small121
    incoming = model.get_layer("conv2_block6_concat").output.shape[-1]
    assert incoming == 64 + 6 * 32
    assert model.get_layer("pool2_conv").filters == incoming // 2
    no_compression = densenet.DenseNet(blocks=(2, 2), growth_rate=4, compression=1.0,
                                       input_shape=(32, 32, 3), include_top=False)
    assert no_compression.get_layer("pool2_conv").filters == 8 + 2 * 4


@pytest.mark.parametrize("shape", [(None, None, 3), (16, 16, 3)])
def test_wrong_input_shape_with_top_is_a_value_error(shape):
    with pytest.raises(ValueError, match="input_shape"):
        densenet.DenseNet121(include_top=True, input_shape=shape)
    with pytest.raises(ValueError):
        APPS.DenseNet121(weights=None, include_top=True, input_shape=shape)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="compression"):
        densenet.DenseNet(blocks=(1, 1), compression=0.0, input_shape=(32, 32, 3))
    with pytest.raises(ValueError, match="depth"):
        densenet.DenseNetBC(depth=99)
    with pytest.raises(ValueError, match="stem"):
        densenet.DenseNet(stem="mnist")

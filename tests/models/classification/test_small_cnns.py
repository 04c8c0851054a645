"""LeCun et al. 1989, the Madry et al. 2018 MNIST network and Network in Network."""

import keras
import numpy as np
import pytest

import keras_zoo
from keras_zoo.layers import UntiedBias
from keras_zoo.models.classification.lecun1989 import H2_CONNECTIONS, LeCun1989
from keras_zoo.models.classification.madry import MadryCNN
from keras_zoo.models.classification.nin import NiN


def _layer_params(model, prefix):
    return sum(layer.count_params() for layer in model.layers if layer.name.startswith(prefix))


def test_lecun1989_has_the_papers_free_parameters():
    model = keras_zoo.models.get("lecun1989", preset="canonical")
    # Section 5.1: H1 1,068 free parameters (12 x 25 weights + 768 biases), H2 2,592
    # (12 x 8 x 25 + 192), H3 5,790, output 310: 9,760 in all.
    assert _layer_params(model, "h1_") == 1068
    assert _layer_params(model, "h2_") == 2592
    assert model.get_layer("h3").count_params() == 5790
    assert model.get_layer("predictions").count_params() == 310
    assert model.count_params() == 9760
    shapes = {layer.name: tuple(layer.output.shape[1:]) for layer in model.layers}
    assert shapes["h2"] == (4, 4, 12)
    assert [shapes[f"h1_{g}_bias"] for g in "abc"] == [(8, 8, 4)] * 3


def test_lecun1989_h2_sees_8_of_12_h1_maps_and_units_have_own_biases():
    model = LeCun1989()
    # Each H2 group is fed by two H1 groups of 4 maps (8 of 12), every H1 group used twice.
    for group, (i, j) in zip("abc", H2_CONNECTIONS, strict=True):
        for k in (i, j):
            assert model.get_layer(f"h2_{group}_from_{'abc'[k]}").kernel.shape == (5, 5, 4, 4)
    assert sorted(i for pair in H2_CONNECTIONS for i in pair) == [0, 0, 1, 1, 2, 2]
    assert all(not layer.use_bias for layer in model.layers if isinstance(layer, keras.layers.Conv2D))
    biases = [layer for layer in model.layers if isinstance(layer, UntiedBias)]
    assert len(biases) == 6 and all(layer.bias.shape[:2] in ((8, 8), (4, 4)) for layer in biases)


def test_lecun1989_h2_partial_connection_is_real():
    # Changing H1 group "c" cannot move H2 group "a" (it sees only groups a and b).
    model = LeCun1989(include_top=False)
    h1c = model.get_layer("h1_c_conv")
    probe = keras.Model(model.inputs, [model.get_layer(f"h2_{g}_bias").output for g in "abc"])
    x = np.random.default_rng(0).random((2, 16, 16, 1)).astype("float32")
    before = [np.asarray(t) for t in probe(x)]
    h1c.kernel.assign(h1c.kernel + 1.0)
    after = [np.asarray(t) for t in probe(x)]
    np.testing.assert_array_equal(before[0], after[0])
    assert not np.allclose(before[1], after[1]) and not np.allclose(before[2], after[2])


def test_madry_mnist_network():
    model = keras_zoo.models.get("madry_mnist", preset="canonical")
    assert model.count_params() == 832 + 51_264 + 3_212_288 + 10_250 == 3_274_634
    assert model.get_layer("fc1").input.shape[-1] == 7 * 7 * 64


def test_nin_uses_mlpconv_and_global_average_pooling():
    model = keras_zoo.models.get("nin", preset="canonical")
    assert model.count_params() == 966_986
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [layer.kernel_size for layer in convs] == [(5, 5), (1, 1), (1, 1)] * 2 + [(3, 3), (1, 1),
                                                                             (1, 1)]
    # Section 3.2: no fully connected layer; the last 1x1 conv has one map per class.
    assert not any(isinstance(layer, keras.layers.Dense) for layer in model.layers)
    assert convs[-1].filters == 10
    assert isinstance(model.get_layer("avg_pool"), keras.layers.GlobalAveragePooling2D)


@pytest.mark.parametrize("builder, fixed", [(LeCun1989, (16, 16, 1)), (MadryCNN, (28, 28, 1))])
def test_fixed_size_heads_refuse_another_input_shape(builder, fixed):
    with pytest.raises(ValueError, match="include_top=True the input_shape must be"):
        builder(input_shape=(32, 32, 1))
    assert builder(input_shape=fixed).input_shape == (None,) + fixed
    assert builder(input_shape=(32, 32, 1), include_top=False).output_shape[1] is not None


def test_nin_bad_input_is_a_value_error():
    with pytest.raises(ValueError, match="static height and width"):
        NiN(input_shape=(None, None, 3))
    with pytest.raises(ValueError, match="at least 8"):
        NiN(input_shape=(4, 4, 3))

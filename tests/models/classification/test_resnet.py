"""ResNet family: counts against keras.applications and the papers, weight transfer, the
argument checks, the block details the papers fix (stride placement, option A, plain nets)."""

import keras
import numpy as np
import pytest

import keras_zoo
from keras_zoo.benchmarks.applications import census_difference
from keras_zoo.models.classification import resnet, resnet_cifar, resnet_v2, resnext, se_resnet
from tests.deferred import assert_deferred, deferred_weights

APPS = keras.applications


def _images(shape, n=2, seed=0):
    return np.random.default_rng(seed).uniform(0, 1, (n, *shape)).astype(np.float32)


def _randomise_bn(model, seed=1):
    """Moving statistics away from 0/1, so that transfer is checked on them too."""
    rng = np.random.default_rng(seed)
    weights = [w + rng.normal(0, 0.1, w.shape).astype(w.dtype) if w.ndim == 1 else w
               for w in model.get_weights()]
    # Keep every moving variance positive.
    model.set_weights([np.abs(w) if w.ndim == 1 else w for w in weights])


def assert_transfer(ours_fn, theirs_fn, shape, include_top, **kwargs):
    ours = ours_fn(input_shape=shape, include_top=include_top, **kwargs)
    theirs = theirs_fn(weights=None, input_shape=shape, include_top=include_top, **kwargs)
    assert ours.count_params() == theirs.count_params()
    _randomise_bn(theirs)
    ours.set_weights(theirs.get_weights())
    named = lambda m: sorted(layer.name for layer in m.layers if layer.weights)  # noqa: E731
    assert named(ours) == named(theirs)
    x = _images(shape)
    np.testing.assert_allclose(ours(x, training=False), theirs(x, training=False), atol=1e-5,
                               rtol=0)


def test_resnet50_canonical_transfer_and_exact_count():
    ours = resnet.ResNet50()
    theirs = APPS.ResNet50(weights=None)
    assert ours.count_params() == theirs.count_params() == 25_636_712
    names = [[layer.name for layer in m.layers[1:]] for m in (ours, theirs)]
    assert names[0] == names[1]
    _randomise_bn(theirs)
    ours.set_weights(theirs.get_weights())
    x = _images((224, 224, 3), n=1)  # one image at full size: the transfer, not the batch
    np.testing.assert_allclose(ours(x, training=False), theirs(x, training=False),
                               atol=1e-5, rtol=0)


def test_resnet50v2_transfer_without_top_at_small_size():
    assert_transfer(resnet_v2.ResNet50V2, APPS.ResNet50V2, (64, 48, 3), include_top=False,
                    pooling="avg")


def test_resnet50_loads_a_keras_applications_weights_file(tmp_path):
    theirs = APPS.ResNet50(weights=None, input_shape=(32, 32, 3), include_top=False)
    _randomise_bn(theirs)
    path = str(tmp_path / "resnet50.weights.h5")
    theirs.save_weights(path)
    ours = resnet.ResNet50(weights=path, input_shape=(32, 32, 3), include_top=False)
    x = _images((32, 32, 3))
    np.testing.assert_allclose(ours(x), theirs(x), atol=1e-5, rtol=0)
    # Same layers, no extra ops: ours only lack the BN reshapes of keras.applications' axis=3
    # (4 per BatchNormalization), which is why ours are not slower.
    difference = census_difference(ours, theirs)
    assert set(difference) <= {"Reshape", "Const"}, difference
    assert all(mine < reference for mine, reference in difference.values()), difference


@pytest.mark.slow
@pytest.mark.parametrize("ours_fn, theirs_fn, params", [
    (resnet.ResNet101, APPS.ResNet101, 44_707_176),
    (resnet.ResNet152, APPS.ResNet152, 60_419_944),
    (resnet_v2.ResNet50V2, APPS.ResNet50V2, 25_613_800),
    (resnet_v2.ResNet101V2, APPS.ResNet101V2, 44_675_560),
    (resnet_v2.ResNet152V2, APPS.ResNet152V2, 60_380_648),
])
def test_deep_canonical_counts_and_transfer(ours_fn, theirs_fn, params):
    # The canonical count (224x224, 1000 classes) and a transfer with the top. The canonical
    # pair is only counted: built with deferred weights (tests/deferred.py); the transfer
    # builds its own 32x32 pair, with real weights.
    with deferred_weights():
        ours, theirs = ours_fn(), theirs_fn(weights=None)
        assert_deferred(ours.weights + theirs.weights)
    assert ours.count_params() == theirs.count_params() == params
    assert_transfer(ours_fn, theirs_fn, (32, 32, 3), include_top=True, classes=7)


@pytest.mark.parametrize("name, figure", [
    ("resnet18", 11.69e6),
    ("resnet34", 21.80e6),
    ("resnext50_32x4d", 25.03e6),
    ("se_resnet50", 28.09e6),
    ("wrn_28_10", 36.5e6),
])
def test_paper_parameter_counts_within_one_percent(name, figure):
    # Built in a StatelessScope that defers the weights' initialization (tests/deferred.py):
    # the same layers and variable shapes, no random draws; the counts are checked after.
    with deferred_weights():
        model = keras_zoo.models.get(name, "canonical")
        assert_deferred(model.weights)
    count = model.count_params()
    assert abs(count - figure) / figure < 0.01, f"{name}: {count:,} vs the paper's {figure:,.0f}"
    entry = keras_zoo.models.info(name)
    if entry.params is not None:
        assert count == entry.params


@pytest.mark.parametrize("depth, figure, digits", [(20, 0.27, 2), (56, 0.85, 2), (110, 1.7, 1)])
def test_cifar_resnet_counts_round_to_the_papers_table_6(depth, figure, digits):
    # The paper gives 2 significant figures (ResNet-110: "1.7M"; ours 1,727,962 trainable).
    with deferred_weights():  # counted only (tests/deferred.py)
        model = resnet_cifar.CifarResNet(depth)
        assert_deferred(model.weights)
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert round(trainable / 1e6, digits) == figure


def test_resnet18_trainable_count_is_torchvisions():
    # torchvision counts only trainable parameters: 11,689,512 for resnet18.
    with deferred_weights():  # counted only (tests/deferred.py)
        model = resnet.ResNet18()
        assert_deferred(model.weights)
    assert sum(int(np.prod(w.shape)) for w in model.trainable_weights) == 11_689_512


def test_plain_networks_are_resnets_without_shortcuts():
    with deferred_weights():  # layers and counts only (tests/deferred.py)
        plain, res = resnet.Plain34(), resnet.ResNet34()
        assert_deferred(plain.weights + res.weights)
    assert not [layer for layer in plain.layers if isinstance(layer, keras.layers.Add)]
    assert len([layer for layer in res.layers if isinstance(layer, keras.layers.Add)]) == 16
    # Same layers otherwise: ResNet-34 only adds the three projections (option B) + their BN.
    projections = sum(layer.count_params() for layer in res.layers if "_0_" in layer.name)
    assert res.count_params() - plain.count_params() == projections > 0


def test_stride_placement_v1_vs_v1_5():
    with deferred_weights():  # strides, counts and shapes only (tests/deferred.py)
        v1 = resnet.ResNet50(input_shape=(64, 64, 3), include_top=False)
        v15 = resnet.ResNet50(input_shape=(64, 64, 3), include_top=False, stride_at="3x3")
        assert_deferred(v1.weights + v15.weights)
    # keras.applications and the paper's Caffe model: stride 2 in the first 1x1.
    assert v1.get_layer("conv3_block1_1_conv").strides == (2, 2)
    assert v1.get_layer("conv3_block1_2_conv").strides == (1, 1)
    # torchvision v1.5: in the 3x3; the parameters do not change.
    assert v15.get_layer("conv3_block1_1_conv").strides == (1, 1)
    assert v15.get_layer("conv3_block1_2_conv").strides == (2, 2)
    assert v1.count_params() == v15.count_params()
    assert v1.output_shape == v15.output_shape == (None, 2, 2, 2048)


def test_cifar_option_a_shortcuts_add_no_parameters():
    with deferred_weights():  # counts and shapes only (tests/deferred.py)
        option_a = resnet_cifar.CifarResNet(20)
        plain = resnet_cifar.CifarResNet(20, shortcut="none")
        option_b = resnet_cifar.CifarResNet(20, shortcut="projection")
        assert_deferred(option_a.weights + plain.weights + option_b.weights)
    assert option_a.count_params() == plain.count_params()
    assert option_b.count_params() > option_a.count_params()
    assert option_a.get_layer("conv3_block1_0_padding").output.shape[-1] == 32
    # 6n + 2 layers with weights that are convolutions or the classifier.
    weighted = (keras.layers.Conv2D, keras.layers.Dense)
    convs = [layer for layer in option_a.layers if isinstance(layer, weighted)]
    assert len(convs) == 20
    assert option_a.output_shape == (None, 10)


def test_resnet_v2_stride_block_choices_have_equal_counts():
    with deferred_weights():  # counts, shapes and strides only (tests/deferred.py)
        last = resnet_v2.ResNet50V2(input_shape=(64, 64, 3), include_top=False)
        first = resnet_v2.ResNet50V2(input_shape=(64, 64, 3), include_top=False,
                                     stride_block="first")
        assert_deferred(last.weights + first.weights)
    assert last.count_params() == first.count_params()
    assert last.output_shape == first.output_shape == (None, 2, 2, 2048)
    assert last.get_layer("conv2_block3_2_conv").strides == (2, 2)
    assert first.get_layer("conv3_block1_2_conv").strides == (2, 2)


def test_resnext_is_grouped():
    with deferred_weights():  # the layers' configs only (tests/deferred.py)
        model = resnext.ResNeXt(50, 32, 4, input_shape=(32, 32, 3), include_top=False)
        assert_deferred(model.weights)
    conv = model.get_layer("conv2_block1_2_conv")
    assert conv.groups == 32 and conv.filters == 128
    assert model.get_layer("conv5_block1_2_conv").filters == 1024


def test_se_resnet_gates_every_block():
    with deferred_weights():  # the layers' configs only (tests/deferred.py)
        model = se_resnet.SEResNet(50, input_shape=(32, 32, 3), include_top=False)
        assert_deferred(model.weights)
    gates = [layer for layer in model.layers if isinstance(layer, keras_zoo.layers.SqueezeExcitation)]
    assert len(gates) == 16
    assert model.get_layer("conv2_block1_se").reduced_filters == 256 // 16


@pytest.mark.parametrize("builder", [resnet.ResNet50, resnet_v2.ResNet50V2, resnet.ResNet18])
@pytest.mark.parametrize("shape", [(None, None, 3), (16, 16, 3), (32, 32)])
def test_wrong_input_shape_with_top_is_a_value_error(builder, shape):
    with pytest.raises(ValueError, match="input_shape|Input size"):
        builder(include_top=True, input_shape=shape)


def test_keras_applications_refuses_the_same_shapes():
    for shape in [(None, None, 3), (16, 16, 3)]:
        with pytest.raises(ValueError):
            APPS.ResNet50(weights=None, include_top=True, input_shape=shape)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="pooling"):
        resnet.ResNet50(include_top=False, pooling="mean")
    with pytest.raises(ValueError, match="depth"):
        resnet_cifar.CifarResNet(21)
    with pytest.raises(ValueError, match="shortcut"):
        resnet.ResNet18(shortcut="option_c", input_shape=(32, 32, 3))
    with pytest.raises(ValueError, match="stride_at"):
        resnet.ResNet50(stride_at="7x7", input_shape=(32, 32, 3))
    with pytest.raises(ValueError, match="weights"):
        resnet.ResNet50(weights="imagenet")


def test_without_top_accepts_any_size():
    model = resnet.ResNet18(include_top=False, pooling="max")
    assert model.input_shape == (None, None, None, 3)
    assert model(_images((40, 56, 3))).shape == (2, 512)


FAMILIES = ("resnet", "resnet_v2", "resnet_cifar", "wide_resnet", "resnext", "se_resnet",
            "densenet")


@pytest.mark.slow
@pytest.mark.parametrize("entry", [e for e in keras_zoo.models.entries() if e.family in FAMILIES],
                         ids=lambda e: e.name)
def test_registry_params_are_the_canonical_counts(entry):
    with deferred_weights():  # counted only (tests/deferred.py)
        model = entry.build("canonical")
        assert_deferred(model.weights)
    assert entry.params == model.count_params()

"""VGG A-E: Table 2's parameter counts, keras.applications' VGG16/VGG19 weights and names."""

import keras
import numpy as np
import pytest

import keras_zoo
from keras_zoo.layers import LocalResponseNormalization
from keras_zoo.models.classification.vgg import VGG, VGG_PAPER_PARAMS_M
from tests.models.classification.apps_transfer import (
    assert_transfer,
    perturbed_weights,
    random_images,
    weighted_layers,
)

#: Table 1 written out again, independently of vgg.VGG_CONFIGS: (kernel, filters) per conv.
TABLE_1 = {
    "vgg11": [(3, 64), (3, 128), (3, 256), (3, 256)] + [(3, 512)] * 4,
    "vgg13": [(3, 64)] * 2 + [(3, 128)] * 2 + [(3, 256)] * 2 + [(3, 512)] * 4,
    "vgg16_c": [(3, 64)] * 2 + [(3, 128)] * 2 + [(3, 256)] * 2 + [(1, 256)]
               + ([(3, 512)] * 2 + [(1, 512)]) * 2,
    "vgg16": [(3, 64)] * 2 + [(3, 128)] * 2 + [(3, 256)] * 3 + [(3, 512)] * 6,
    "vgg19": [(3, 64)] * 2 + [(3, 128)] * 2 + [(3, 256)] * 4 + [(3, 512)] * 8,
}
TABLE_1["vgg11_lrn"] = TABLE_1["vgg11"]
PAPER = {"vgg11": "A", "vgg11_lrn": "A-LRN", "vgg13": "B", "vgg16_c": "C", "vgg16": "D",
         "vgg19": "E"}


def table_1_count(convs, classes=1000):
    total, channels = 0, 3
    for kernel, filters in convs:
        total += kernel * kernel * channels * filters + filters
        channels = filters
    for fan_in, units in ((7 * 7 * 512, 4096), (4096, 4096), (4096, classes)):
        total += fan_in * units + units
    return total


def shapes_only(build):
    """``build()`` run for real (the same layers, the same symbolic build, every variable
    created with its shape) inside a ``keras.StatelessScope`` that defers the variables'
    initialization: a 138M-parameter count without drawing 138M random numbers. The deferred
    variables are dropped with the session's state afterwards."""
    with keras.StatelessScope(initialize_variables=False):
        model = build()
    assert all(v._value is None for v in model.weights)  # deferred indeed: nothing allocated
    return model


@pytest.fixture
def deferred():
    yield shapes_only
    keras.backend.clear_session()  # forget the deferred variables (never initialized)


def test_a_shapes_only_build_counts_and_names_as_a_full_one(deferred):
    """The cross-check of ``shapes_only``: on a small VGG with a top, the deferred build has
    the count, the layer names and the weight shapes of the ordinary one."""
    def build():
        return VGG("A-LRN", input_shape=(32, 32, 3), dense_units=(16, 16), classes=7)

    full, deferred_model = build(), deferred(build)
    assert full.count_params() == deferred_model.count_params()
    assert weighted_layers(full) == weighted_layers(deferred_model)


@pytest.mark.parametrize("name", ["vgg11", "vgg11_lrn", "vgg13", "vgg16_c"])
def test_paper_configurations_count(name, deferred):
    model = deferred(lambda: keras_zoo.models.get(name, preset="canonical"))
    count = model.count_params()
    assert count == table_1_count(TABLE_1[name]) == keras_zoo.models.info(name).params
    # Table 2 gives millions: 133, 133, 133, 134.
    assert count == pytest.approx(VGG_PAPER_PARAMS_M[PAPER[name]] * 1e6, rel=0.01)


def test_configuration_c_has_1x1_and_a_lrn_has_lrn():
    c = VGG("C", include_top=False, input_shape=(32, 32, 3))
    assert [c.get_layer(f"block{b}_conv3").kernel_size for b in (3, 4, 5)] == [(1, 1)] * 3
    a_lrn = VGG("A-LRN", include_top=False, input_shape=(32, 32, 3))
    norm = a_lrn.get_layer("block1_lrn")
    assert isinstance(norm, LocalResponseNormalization)
    assert (norm.k, norm.n, norm.alpha, norm.beta) == (2.0, 5, 1e-4, 0.75)
    assert a_lrn.layers.index(norm) == a_lrn.layers.index(a_lrn.get_layer("block1_conv1")) + 1


@pytest.mark.slow  # two 138M-parameter models and a full-size forward: ~25 s here
def test_vgg16_canonical_count_and_full_size_transfer():
    ours = keras_zoo.models.get("vgg16", preset="canonical", classifier_activation=None)
    theirs = keras.applications.VGG16(weights=None, classifier_activation=None)
    assert ours.count_params() == theirs.count_params() == 138_357_544
    assert weighted_layers(ours) == weighted_layers(theirs)
    assert_transfer(ours, theirs, random_images((224, 224, 3), n=1), atol=1e-4)


@pytest.mark.parametrize("name, app, count", [
    ("vgg16", keras.applications.VGG16, 138_357_544),
    ("vgg19", keras.applications.VGG19, 143_667_240),
])
def test_canonical_count_equals_keras_applications(name, app, count, deferred):
    ours = deferred(lambda: keras_zoo.models.get(name, preset="canonical"))
    theirs = deferred(lambda: app(weights=None))
    assert ours.count_params() == theirs.count_params() == count
    assert weighted_layers(ours) == weighted_layers(theirs)  # same names and shapes


@pytest.mark.parametrize("name, app", [("vgg16", keras.applications.VGG16),
                                       ("vgg19", keras.applications.VGG19)])
def test_small_input_transfer(name, app):
    ours = keras_zoo.models.get(name, include_top=False, pooling="avg", input_shape=(32, 32, 3))
    theirs = app(weights=None, include_top=False, pooling="avg", input_shape=(32, 32, 3))
    assert_transfer(ours, theirs, random_images((32, 32, 3)))


def test_vgg16_loads_a_keras_applications_weights_file_by_name(tmp_path):
    theirs = keras.applications.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
    theirs.set_weights(perturbed_weights(theirs))
    path = str(tmp_path / "vgg16_notop.weights.h5")
    theirs.save_weights(path)
    ours = keras_zoo.models.get("vgg16", weights=path, include_top=False, input_shape=(32, 32, 3))
    images = random_images((32, 32, 3))
    np.testing.assert_allclose(np.asarray(ours(images)), np.asarray(theirs(images)), atol=1e-5)


def test_dropout_is_the_papers_and_owns_no_weights():
    model = VGG("D", input_shape=(32, 32, 3), dense_units=(8, 8), classes=3)
    assert [layer.rate for layer in model.layers if isinstance(layer, keras.layers.Dropout)] == [0.5, 0.5]


def test_bad_arguments_are_value_errors():
    with pytest.raises(ValueError, match="config"):
        VGG("F")
    with pytest.raises(ValueError, match="static height and width"):
        VGG("D", input_shape=(None, None, 3))
    with pytest.raises(ValueError, match="at least 32"):
        VGG("D", input_shape=(16, 16, 3))
    with pytest.raises(ValueError, match="pooling"):
        VGG("D", include_top=False, pooling="sum")

"""keras.applications -> keras-zoo: the structural mapping, the preprocessing built into the
model, the ``weights="imagenet"`` path (download patched), and the errors."""

import keras
import numpy as np
import pytest

import keras_zoo
from keras_zoo.weights import applications, structure, with_preprocessing
from tests.weights.anchors import assert_same_outputs, calibrate, random_images, their_input

# Full-depth keras.applications models have no small config: a pair takes 15-30 s to build on
# the shared test machine, so all but MobileNet (alpha 0.25, ~5 s) are in the slow tier.
CHEAP = {"mobilenet"}
SHAPES = {"inception_v3": (75, 75, 3)}
#: The anchors' BN variance floor (tests/weights/anchors.py): MobileNets lose the input under
#: 0.1; the others amplify the float32 rounding of keras.applications' own preprocess_input
#: ((255 x) / 127.5 - 1 against our 2 x - 1: one ulp) past 1e-5 under 0.1 (0.5 for the "tf"
#: mode's deep nets: 2.4e-5 for Inception v3 and 1.2e-5 for ResNet50V2 at 0.1).
FLOOR = {"mobilenet": 1e-2, "mobilenetv2": 1e-2, "inception_v3": 0.5, "resnet50v2": 0.5,
         "resnet101v2": 0.5, "resnet152v2": 0.5}


def _params(names):
    return [pytest.param(n, marks=[] if n in CHEAP else [pytest.mark.slow]) for n in names]


def _small(name):
    return dict(alpha=0.25) if name == "mobilenet" else dict(alpha=0.35) \
        if name == "mobilenetv2" else {}


@pytest.mark.parametrize("mode, module", [("caffe", "resnet"), ("tf", "inception_v3"),
                                          ("torch", "densenet")])
def test_preprocessing_layer_is_keras_applications_preprocess_input(mode, module):
    images = random_images((5, 7, 3), n=3)
    expected = getattr(keras.applications, module).preprocess_input(255.0 * images)
    inputs = keras.Input((5, 7, 3))
    model = with_preprocessing(keras.Model(inputs, keras.layers.Identity()(inputs)),
                               applications.preprocessing_affine(mode))
    assert model.layers[1].name == "preprocessing"
    np.testing.assert_allclose(np.asarray(model(images)), expected, atol=2e-5, rtol=0)


@pytest.mark.parametrize("name", _params(sorted(applications.MODELS)))
def test_structural_transfer_gives_equal_outputs(name):
    # Every model keras.applications ships and the zoo has: their random (calibrated) weights,
    # converted by structure, give their outputs on [0, 1] images, within 1e-5.
    shape = SHAPES.get(name, (32, 32, 3))
    theirs = applications.constructor(name)(weights=None, include_top=False, input_shape=shape,
                                            **_small(name))
    calibrate(theirs, their_input(name, random_images(shape, n=8, seed=1)),
              floor=FLOOR.get(name, 0.1))
    ours = keras_zoo.models.get(name, include_top=False, input_shape=shape, **_small(name))
    applications.convert(theirs, ours, name, name)
    ours = with_preprocessing(ours, applications.preprocessing_affine(
        applications.MODELS[name].preprocessing))
    images = random_images(shape)
    assert_same_outputs(ours, theirs, images, their_input(name, images))


def _residual(order, names):
    inputs = keras.Input((6, 6, 3))
    convs = {"shortcut": keras.layers.Conv2D(4, 1, name=names[0]),
             "branch": keras.layers.Conv2D(4, 3, padding="same", name=names[1]),
             "after": keras.layers.Conv2D(2, 3, name=names[2])}
    convs = {key: convs[key] for key in order}  # creation order differs, graph is the same
    shortcut = convs["shortcut"](inputs)
    branch = keras.layers.ReLU()(convs["branch"](inputs))
    operands = [shortcut, branch] if order[0] == "shortcut" else [branch, shortcut]
    return keras.Model(inputs, convs["after"](keras.layers.Add()(operands)))


def test_pairing_follows_the_graph_not_names_or_layer_order():
    theirs = _residual(("shortcut", "branch", "after"), ("conv2d_7", "conv2d_8", "conv2d_9"))
    ours = _residual(("branch", "shortcut", "after"), ("res_1x1", "res_3x3", "res_out"))
    images = random_images((6, 6, 3))
    structure.transfer(theirs, ours, "toy")
    np.testing.assert_allclose(np.asarray(ours(images)), np.asarray(theirs(images)), atol=1e-6)
    # Names differ and the Add's operands are swapped: the structure pairs conv2d_7 with
    # res_1x1.
    np.testing.assert_array_equal(np.asarray(ours.get_layer("res_1x1").kernel),
                                  np.asarray(theirs.get_layer("conv2d_7").kernel))


def _fake_download(monkeypatch, tmp_path, name, **kwargs):
    """keras.applications' download returns a file of calibrated random weights; returns the
    keras.applications model built through ``weights="imagenet"`` itself (the anchor)."""
    source = applications.constructor(name)(weights=None, **kwargs)
    shape = (224, 224, 3) if kwargs.get("include_top", True) else (32, 32, 3)
    calibrate(source, their_input(name, random_images(shape, n=8, seed=1)),
              floor=FLOOR.get(name, 0.1))
    path = str(tmp_path / f"{name}.weights.h5")
    source.save_weights(path)
    requested = []

    def get_file(fname=None, origin=None, *args, **options):
        requested.append(fname)
        return path

    monkeypatch.setattr(keras.src.utils.file_utils, "get_file", get_file)
    anchor = applications.constructor(name)(weights="imagenet", **kwargs)
    return anchor, requested


# ~10 s: three MobileNet builds (a random anchor to save, keras.applications' own ImageNet
# constructor twice); the one default-tier proof of the whole "imagenet" path.
def test_imagenet_path_from_the_name_to_equal_outputs(monkeypatch, tmp_path):
    anchor, requested = _fake_download(monkeypatch, tmp_path, "mobilenet", include_top=False,
                                       alpha=0.25)
    model = keras_zoo.models.get("mobilenet", weights="imagenet", include_top=False,
                                 input_shape=(32, 32, 3), alpha=0.25)
    assert requested == ["mobilenet_2_5_224_tf_no_top.h5"] * 2  # keras.applications' own file
    assert model.get_layer("preprocessing")
    images = random_images((32, 32, 3))
    assert_same_outputs(model, anchor, images, their_input("mobilenet", images))


@pytest.mark.slow  # three MobileNetV2 builds: ~20-40 s on the shared machine
def test_imagenet_with_other_classes_loads_the_backbone_and_a_new_head(monkeypatch, tmp_path):
    _fake_download(monkeypatch, tmp_path, "mobilenetv2", include_top=False, alpha=0.35)
    model = keras_zoo.models.get("mobilenetv2", weights="imagenet", classes=7, alpha=0.35,
                                 input_shape=(32, 32, 3))
    assert model.output_shape == (None, 7)
    theirs = applications.constructor("mobilenetv2")(weights="imagenet", include_top=False,
                                                     alpha=0.35)
    ours = {v.path: np.asarray(v) for v in model.weights}
    np.testing.assert_array_equal(ours["Conv1/kernel"], np.asarray(theirs.get_layer("Conv1").kernel))


@pytest.mark.slow
def test_efficientnet_imagenet_folds_the_extra_rescaling(monkeypatch, tmp_path):
    # keras.applications' ImageNet EfficientNet divides by sqrt(std) after its Normalization;
    # the conversion folds that into the variance: equal outputs through the whole path.
    anchor, _ = _fake_download(monkeypatch, tmp_path, "efficientnetb0", include_top=False)
    assert any(isinstance(layer, keras.layers.Rescaling) and np.ndim(layer.scale)
               for layer in anchor.layers)
    model = keras_zoo.models.get("efficientnetb0", weights="imagenet", include_top=False,
                                 input_shape=(32, 32, 3))
    images = random_images((32, 32, 3))
    assert_same_outputs(model, anchor, images, their_input("efficientnetb0", images))


@pytest.mark.slow
def test_resnet50_imagenet_with_top_at_224(monkeypatch, tmp_path):
    anchor, requested = _fake_download(monkeypatch, tmp_path, "resnet50",
                                       classifier_activation=None)
    model = keras_zoo.models.get("resnet50", weights="imagenet", classifier_activation=None)
    images = random_images((224, 224, 3))
    assert_same_outputs(model, anchor, images, their_input("resnet50", images))


def test_wrong_width_names_the_first_tensor_that_does_not_fit():
    theirs = applications.constructor("mobilenet")(weights=None, include_top=False, alpha=0.25,
                                                   input_shape=(32, 32, 3))
    ours = keras_zoo.models.get("mobilenet", include_top=False, alpha=0.5,
                                input_shape=(32, 32, 3))
    with pytest.raises(ValueError, match=r"mobilenet: .*their tensor 'conv1/kernel' "
                                         r"\(3, 3, 3, 8\) does not fit our 'conv1/kernel' "
                                         r"\(3, 3, 3, 16\)"):
        applications.convert(theirs, ours, "mobilenet", "mobilenet: weights='imagenet'")


def test_imagenet_for_a_model_keras_applications_lacks_is_an_error():
    with pytest.raises(ValueError, match="lenet5: weights='imagenet'.*keras.applications"):
        keras_zoo.models.get("lenet5", weights="imagenet")

"""The segmentation models: FCN's bilinear upsampling and VGG16 weight transfer, DeconvNet's
switches, Segmenter's decoders, DPT's readouts, size errors, the heat-map classifier and
shift-and-stitch."""

import keras
import numpy as np
import pytest

import keras_zoo
from keras_zoo.layers.bilinear_upsampling import bilinear_upsampling_kernel
from keras_zoo.models.segmentation.deconvnet import DeconvNet
from keras_zoo.models.segmentation.dpt import DPT, READOUTS
from keras_zoo.models.segmentation.dpt import TINY as DPT_TINY
from keras_zoo.models.segmentation.fcn import FCN, transfer_vgg16_weights
from keras_zoo.models.segmentation.fcn import TINY as FCN_TINY
from keras_zoo.models.segmentation.heat_map import convolutionalize
from keras_zoo.models.segmentation.segmenter import TINY as SEG_TINY
from keras_zoo.models.segmentation.segmenter import Segmenter
from keras_zoo.models.segmentation.shift_and_stitch import dense_evaluation, shift_and_stitch


def test_fcn_upsamplings_start_bilinear_and_the_last_is_fixed():
    model = FCN("8s", **FCN_TINY)
    for name, factor, trainable in (("upscore2", 2, True), ("upscore_pool4", 2, True),
                                    ("upscore8", 8, False)):
        layer = model.get_layer(name)
        np.testing.assert_array_equal(np.asarray(layer.kernel),
                                      bilinear_upsampling_kernel(2 * factor, 4, 4))
        assert layer.trainable == trainable, name
    # The skip scores start at zero (section 4.2): FCN-8s starts as FCN-32s's prediction path.
    for name in ("score_pool4", "score_pool3"):
        assert not np.any(np.asarray(model.get_layer(name).kernel))


def test_fcn_variants_add_their_skips():
    names = {v: {layer.name for layer in FCN(v, **FCN_TINY).layers} for v in ("32s", "16s", "8s")}
    assert "score_pool4" not in names["32s"] and "score_pool4" in names["16s"]
    assert "score_pool3" not in names["16s"] and "score_pool3" in names["8s"]


def test_fcn_refuses_sizes_that_are_not_multiples_of_32():
    with pytest.raises(ValueError, match="nearest valid sizes are 224 or 256"):
        FCN("8s", **{**FCN_TINY, "input_shape": (240, 256, 3)})


def test_vgg16_weights_transfer_from_keras_applications():
    keras.utils.set_random_seed(1)
    source = keras.applications.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
    # Small random weights keep the 13 ReLU layers' activations in a range where 1e-5 is tight.
    source.set_weights([w * 0.5 for w in source.get_weights()])
    model = FCN("8s", input_shape=(32, 32, 3), classes=3, fc_units=8)
    filled = transfer_vgg16_weights(source, model)
    assert len(filled) == 13
    x = np.random.default_rng(0).uniform(0, 1, (2, 32, 32, 3)).astype(np.float32)
    ours = keras.Model(model.input, model.get_layer("block5_pool").output)(x)
    np.testing.assert_allclose(np.asarray(ours), np.asarray(source(x)), atol=1e-5, rtol=1e-5)


def test_fc_layers_become_fc6_fc7():
    # A stand-in for VGG16's classifier head at a 32x32 input: fc1 sees a 1x1x512 map.
    keras.utils.set_random_seed(2)
    vgg = keras_zoo.models.get("vgg16", input_shape=(64, 64, 3), width=1.0, classes=5,
                               dense_units=(16, 16))
    model = FCN("32s", input_shape=(64, 64, 3), classes=3, fc_units=16, fc_kernel_size=2,
                dropout=0.0)
    assert "fc7" in transfer_vgg16_weights(vgg, model)
    x = np.random.default_rng(1).uniform(0, 1, (1, 64, 64, 3)).astype(np.float32)
    fc7 = keras.Model(model.input, model.get_layer("fc7").output)(x)
    # With "same" padding the 2x2 fc6 kernel sees the whole 2x2 pool5 map at position (0, 0).
    dense = keras.Model(vgg.input, vgg.get_layer("fc2").output)(x)
    np.testing.assert_allclose(np.asarray(fc7)[0, 0, 0], np.asarray(dense)[0], atol=1e-5)


def test_deconvnet_unpools_at_the_encoders_switches():
    model = DeconvNet(input_shape=(32, 32, 3), classes=3, width=0.0625, fc_units=8)
    for b in range(1, 6):
        unpool = model.get_layer(f"unpool{b}")
        pool = model.get_layer(f"block{b}_pool")
        # The switches come from the mirrored pooling layer.
        assert unpool.input[1] is pool.output[1]
    assert model.get_layer("fc6").kernel_size == (1, 1)  # covers the 1x1 pool5 map
    with pytest.raises(ValueError, match="nearest valid sizes are 32 or 64"):
        DeconvNet(input_shape=(48, 48, 3))


def test_segmenter_decoders_and_patch_errors():
    linear = Segmenter(decoder="linear", **SEG_TINY)
    mask = Segmenter(decoder="mask", decoder_layers=1, **SEG_TINY)
    x = np.random.default_rng(0).uniform(size=(2, 32, 32, 3)).astype(np.float32)
    for model in (linear, mask):
        assert model(x).shape == (2, 32, 32, 4)
    # The class embeddings: one learned token per class, joined to the patch tokens.
    assert mask.get_layer("class_embeddings").constant.shape == (4, 32)
    masks = keras.Model(mask.input, mask.get_layer("masks").output)(x)
    # Scalar products of unit vectors: in [-1, 1].
    assert masks.shape == (2, 64, 4) and np.all(np.abs(np.asarray(masks)) <= 1 + 1e-5)
    with pytest.raises(ValueError, match="nearest valid sizes are 28 or 32"):
        Segmenter(**{**SEG_TINY, "input_shape": (30, 32, 3)})


def test_dpt_readouts_and_reassembly():
    x = np.random.default_rng(0).uniform(size=(1, 32, 32, 3)).astype(np.float32)
    outputs = {}
    for readout in READOUTS:
        keras.utils.set_random_seed(0)
        model = DPT(**DPT_TINY, classes=3, readout=readout)
        outputs[readout] = np.asarray(model(x))
        # The four maps at 1/4, 1/8, 1/16, 1/32 of 32 pixels.
        sizes = [model.get_layer(f"reassemble{i}_features").output.shape[1] for i in (1, 2, 3, 4)]
        assert sizes == [8, 4, 2, 1]
    assert not np.allclose(outputs["ignore"], outputs["add"])
    with pytest.raises(ValueError, match="readout"):
        DPT(**DPT_TINY, readout="mean")
    with pytest.raises(ValueError, match="nearest valid sizes are 32 or 64"):
        DPT(**{**DPT_TINY, "input_shape": (48, 32, 3)})


@pytest.mark.parametrize("name", ["lenet5", "alexnet"])
def test_heat_map_classifier_equals_the_classifier_at_its_size(name):
    keras.utils.set_random_seed(0)
    classifier = keras_zoo.models.get(name, "tiny")
    heat = convolutionalize(classifier)
    h, w, c = classifier.input_shape[1:]
    x = np.random.default_rng(0).uniform(size=(3, h, w, c)).astype(np.float32)
    maps = np.asarray(heat(x, training=False))
    assert maps.shape[1:3] == (1, 1)
    np.testing.assert_allclose(maps[:, 0, 0], np.asarray(classifier(x, training=False)),
                               atol=1e-5)
    bigger = np.random.default_rng(1).uniform(size=(1, 2 * h, 2 * w, c)).astype(np.float32)
    assert np.asarray(heat(bigger)).shape[1] > 1  # a map of scores on a larger image


def test_heat_map_refuses_global_pooling_heads():
    with pytest.raises(ValueError, match="global-pooling"):
        convolutionalize(keras_zoo.models.get("example_cnn", "tiny"))


def test_shift_and_stitch_equals_dense_stride_one_evaluation():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((None, None, 2))
    x = keras.layers.Conv2D(4, 3, activation="relu")(inputs)
    x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Conv2D(4, 3, activation="relu")(x)
    x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Conv2D(3, 2)(x)
    model = keras.Model(inputs, x)
    images = np.random.default_rng(0).normal(size=(2, 24, 24, 2)).astype(np.float32)
    stitched = shift_and_stitch(model, images)
    dense = dense_evaluation(model, images)
    h, w = dense.shape[1:3]
    assert dense.shape[1] == 24 - 14 + 1  # receptive field 14
    np.testing.assert_allclose(stitched[:, :h, :w], dense, atol=1e-5)

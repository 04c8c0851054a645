"""VL-BERT and ViLBERT with ``region_encoder="faster_rcnn"``: each box's feature is the zoo's
Faster R-CNN's box-head ``fc7`` output (its backbone, RoIAlign and ``fc6``/``fc7``), optionally
loaded from a trained ``faster_rcnn`` file."""

import keras
import numpy as np
import pytest

import keras_zoo
from keras_zoo.data import captions
from keras_zoo.models.detection.faster_rcnn import FasterRCNN

DETECTOR = {"backbone": None, "filters": (8, 16), "pool_size": 2, "head_units": 32}


@pytest.fixture(scope="module")
def detector_file(tmp_path_factory):
    """A small Faster R-CNN on 32-px images, every weight (BN statistics too) random."""
    keras.utils.set_random_seed(1)
    detector = FasterRCNN(input_shape=(32, 32, 3), num_classes=3, anchor_sizes=(8, 16),
                          rpn_filters=16, num_proposals=8, rpn_batch=16, **DETECTOR)
    rng = np.random.default_rng(1)
    for variable in detector.weights:
        values = rng.normal(size=variable.shape)
        if "variance" in variable.path:
            values = np.abs(values) + 0.5
        variable.assign(values.astype(variable.dtype))
    path = tmp_path_factory.mktemp("detector") / "faster_rcnn.keras"
    detector.save(path)
    return path, detector


def _batch(n=4, size=32, seed=0):
    x, y = captions.pretraining(n, image_size=(size, size), caption_length=6, seed=seed)
    return x, y


@pytest.mark.parametrize("name", ["vl_bert", "vilbert"])
def test_region_features_are_the_faster_rcnn_box_head_features(name, detector_file):
    path, detector = detector_file
    model = keras_zoo.models.info(name).build(
        "tiny", input_shape=(32, 32, 3), region_encoder="faster_rcnn",
        region_encoder_weights=str(path))
    assert model.get_config()["region_encoder_config"] == DETECTOR
    rng = np.random.default_rng(2)
    images = rng.uniform(size=(2, 32, 32, 3)).astype("float32")
    corners = np.sort(rng.uniform(0, 32, size=(2, 3, 2, 2)), axis=2)  # x1 < x2, y1 < y2
    boxes = corners.transpose(0, 1, 3, 2).reshape(2, 3, 4)[..., [0, 2, 1, 3]]
    boxes = boxes.astype("float32")
    ours = np.asarray(model.get_layer("region_encoder")([images, boxes]))
    # The detector's own layers on the same boxes: backbone, its RoIAlign, fc6, fc7.
    features = keras.Model(detector.input, detector.get_layer("backbone_pool2").output)(images)
    pooled = detector.get_layer("roi_align")(features, boxes)
    x = detector.get_layer("roi_flatten")(pooled)
    theirs = np.asarray(detector.get_layer("fc7")(detector.get_layer("fc6")(x)))
    assert ours.shape == (2, 3, 32) and np.abs(theirs).max() > 0
    print(f"{name}: max abs diff {np.abs(ours - theirs).max()}")
    np.testing.assert_array_equal(ours, theirs)
    # A randomly initialised encoder gives other features: the file's weights were loaded.
    fresh = keras_zoo.models.info(name).build(
        "tiny", input_shape=(32, 32, 3), region_encoder="faster_rcnn",
        region_encoder_config=DETECTOR)
    other = np.asarray(fresh.get_layer("region_encoder")([images, boxes]))
    assert np.abs(other - theirs).max() > 1e-3


# The encoder code is shared; ViLBERT's fit (25 s under load) runs in the slow tier.
@pytest.mark.parametrize("name", ["vl_bert", pytest.param("vilbert", marks=pytest.mark.slow)])
def test_faster_rcnn_regions_train_by_fit_and_reload_safely(name, tmp_path, graph_optimizer_off):
    keras.utils.set_random_seed(0)
    entry = keras_zoo.models.info(name)
    model = entry.build("tiny", region_encoder="faster_rcnn")
    x, y = _batch(size=16)
    encoder = model.get_layer("region_encoder")
    fc6 = np.asarray(encoder.get_layer("fc6").kernel).copy()
    model.compile(optimizer=keras.optimizers.Adam(1e-2), jit_compile=False)
    history = model.fit(x, y, batch_size=4, epochs=1, steps_per_epoch=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    # The masked multimodal loss reaches the detector's box head.
    assert np.abs(np.asarray(encoder.get_layer("fc6").kernel) - fc6).max() > 0
    path = tmp_path / f"{name}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert loaded.get_config()["region_encoder"] == "faster_rcnn"
    assert "region_encoder_weights" not in loaded.get_config()
    ours, theirs = model(x), loaded(x)
    for key in ours:
        np.testing.assert_allclose(np.asarray(theirs[key]), np.asarray(ours[key]), atol=1e-6)


def test_the_default_region_encoder_is_unchanged():
    model = keras_zoo.models.info("vl_bert").build("tiny")
    assert model.get_config()["region_encoder"] == "cnn"
    assert model.get_config()["region_encoder_config"] is None
    assert "visual_roi_align" in [layer.name for layer in model.layers]


def test_bad_region_encoder_arguments_are_refused(detector_file, tmp_path):
    path, _ = detector_file
    entry = keras_zoo.models.info("vilbert")
    with pytest.raises(ValueError, match="region_encoder must be one of"):
        entry.build("tiny", region_encoder="detr")
    with pytest.raises(ValueError, match="need region_encoder='faster_rcnn'"):
        entry.build("tiny", region_encoder_weights=str(path))
    with pytest.raises(ValueError, match="keys must be among"):
        entry.build("tiny", region_encoder="faster_rcnn", region_encoder_config={"fc": 3})
    with pytest.raises(ValueError, match="head_units=16 disagrees"):
        entry.build("tiny", region_encoder="faster_rcnn", region_encoder_weights=str(path),
                    region_encoder_config={"head_units": 16})
    text = tmp_path / "notes.keras"
    text.write_text("not a model")
    with pytest.raises(ValueError, match="is not a faster_rcnn .keras checkpoint"):
        entry.build("tiny", region_encoder="faster_rcnn", region_encoder_weights=str(text))
    other = tmp_path / "vl_bert.keras"
    keras_zoo.models.info("vl_bert").build("tiny").save(other)
    with pytest.raises(ValueError, match="holds 'keras_zoo>VLBERT'"):
        entry.build("tiny", region_encoder="faster_rcnn", region_encoder_weights=str(other))

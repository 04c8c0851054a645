"""T3D: the temporal transition layer, the image-video correspondence pairs, and the transfer
from a frozen 2-D teacher through fit."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_zoo
from keras_zoo.data import clips as clip_data
from keras_zoo.models.video.t3d import T3D


def _tiny(**kwargs):
    keras.utils.set_random_seed(0)
    return keras_zoo.models.get("t3d", preset="tiny", **kwargs)


def test_ttl_has_one_convolution_per_temporal_depth_and_halves_time_and_space():
    model = _tiny(ttl_depths=((1, 3, 4),))
    kernels = [model.get_layer(f"ttl1_t{d}_conv").kernel_size for d in (1, 3, 4)]
    assert kernels == [(1, 1, 1), (3, 3, 3), (4, 3, 3)]
    before = model.get_layer("conv2_block1_concat").output.shape
    after = model.get_layer("ttl1_pool").output.shape
    assert after[1:4] == tuple(-(-n // 2) for n in before[1:4])
    assert after[-1] == 3 * model.get_layer("ttl1_t1_conv").filters


def test_default_ttls_have_the_papers_temporal_depths():
    # Diba et al. 2017, Table 1: TTL (1) convolves over 1, 3 and 6 frames, TTL (2) and (3) over
    # 1, 3 and 4 (the authors' released code uses 1, 3, 4 in all three). Four blocks of one
    # layer at a small width keep this quick; the depths are the builder's defaults.
    keras.utils.set_random_seed(0)
    model = T3D(blocks=(1, 1, 1, 1), growth_rate=2, stem_filters=4, ttl_filters=2,
                input_shape=(16, 32, 32, 3), classes=4)
    kernels = {layer.name: layer.kernel_size for layer in model.layers
               if layer.name.startswith("ttl") and layer.name.endswith("_conv")}
    assert kernels == {
        "ttl1_t1_conv": (1, 1, 1), "ttl1_t3_conv": (3, 3, 3), "ttl1_t6_conv": (6, 3, 3),
        "ttl2_t1_conv": (1, 1, 1), "ttl2_t3_conv": (3, 3, 3), "ttl2_t4_conv": (4, 3, 3),
        "ttl3_t1_conv": (1, 1, 1), "ttl3_t3_conv": (3, 3, 3), "ttl3_t4_conv": (4, 3, 3)}


def test_correspondence_pairs_take_a_frame_of_the_clip_then_of_another_clip():
    model = _tiny()
    clips = np.random.default_rng(0).random((3, 8, 16, 16, 3)).astype(np.float32)
    frames, labels = model.correspondence_pairs(tf.constant(clips), step=5)
    frames = np.asarray(frames)
    np.testing.assert_array_equal(np.asarray(labels)[:, 0], [1, 1, 1, 0, 0, 0])
    for i in range(3):
        # A positive is one of its clip's frames; the negative at i is clip i - 1's frame.
        assert any(np.array_equal(frames[i], f) for f in clips[i])
        np.testing.assert_array_equal(frames[3 + i], frames[(i - 1) % 3])
    again, _ = model.correspondence_pairs(tf.constant(clips), step=5)
    np.testing.assert_array_equal(again, frames)  # a step's draws are seeded


def test_fit_without_labels_trains_the_3d_network_and_leaves_the_teacher_frozen():
    model = _tiny()
    # Eager: tracing the step costs more than the two steps of this tiny model.
    model.compile(optimizer=keras.optimizers.Adam(1e-2),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                  run_eagerly=True)
    clips, _ = clip_data.load("train", frames=8, image_size=(16, 16), n=16)
    clips = clips.astype(np.float32) / 255.0
    teacher = [w.copy() for w in model.teacher.get_weights()]
    student = model.get_layer("conv1_conv").get_weights()[0].copy()
    history = model.fit(clips, batch_size=8, epochs=1, verbose=0)
    assert set(history.history) == {"loss", "correspondence_loss", "correspondence_accuracy"}
    assert all(np.array_equal(a, b) for a, b in zip(teacher, model.teacher.get_weights(),
                                                     strict=True))
    assert not np.allclose(student, model.get_layer("conv1_conv").get_weights()[0])
    assert not any(v.trainable for v in model.teacher.weights)


def test_serving_returns_class_probabilities_only():
    model = _tiny()
    out = model(np.zeros((2, 8, 16, 16, 3), np.float32))
    assert out.shape == (2, 4)
    np.testing.assert_allclose(np.sum(out, axis=-1), 1.0, rtol=1e-5)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="ttl_depths must hold 1"):
        _tiny(ttl_depths=((1, 3), (1, 3)))
    with pytest.raises(ValueError, match="teacher_weights needs a teacher"):
        _tiny(teacher=None, teacher_weights="x.weights.h5")
    with pytest.raises(ValueError, match="valid frame counts include"):
        _tiny(input_shape=(2, 16, 16, 3))
    plain = _tiny(teacher=None)
    plain.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="needs a teacher"):
        plain.fit(np.zeros((4, 8, 16, 16, 3), np.float32), epochs=1, verbose=0)


@pytest.mark.slow
def test_canonical_t3d_121_builds_with_its_teacher():
    model = T3D(input_shape=(32, 224, 224, 3), classes=400,
                teacher=dict(blocks=(6, 12, 24, 16), growth_rate=32))
    teacher = sum(int(np.prod(w.shape)) for w in model.teacher.weights)
    # The DenseNet-121 feature extractor: keras.applications' 8,062,504 less the classifier.
    assert teacher == 8_062_504 - (1024 * 1000 + 1000)
    assert model.get_layer("ttl1_t6_conv").kernel_size == (6, 3, 3)


def test_teacher_weights_load_into_the_frozen_teacher(tmp_path):
    # teacher_weights: the 2-D DenseNet's own .weights.h5 (ImageNet in the paper) is what the
    # teacher holds, frozen, not its initialisation.
    first = _tiny()
    path = str(tmp_path / "teacher.weights.h5")
    keras.utils.set_random_seed(7)  # other weights than the teacher _tiny() builds
    donor = type(first.teacher).from_config(first.teacher.get_config())
    donor.save_weights(path)
    model = _tiny(teacher_weights=path)
    for a, b in zip(donor.get_weights(), model.teacher.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert not all(np.array_equal(a, b) for a, b in
                   zip(first.teacher.get_weights(), model.teacher.get_weights(), strict=True))
    assert not any(v.trainable for v in model.teacher.weights)

"""DeiT: sizes and parameter counts, the distilled model's late fusion, hard-label distillation
through model.fit with a keras-zoo teacher, and saving / export of the distilled subclass."""

import gc
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_zoo
from keras_zoo.models.classification.deit import DistilledVisionTransformer
from tests.deferred import assert_deferred, deferred_weights

TINY = dict(keras_zoo.models.info("deit_ti_distilled").tiny)


def _digits(n=64, size=32):
    from keras_zoo.data import load_arrays

    x, y = load_arrays("digits", "train", (size, size), 1)
    return x[:n].astype(np.float32) / 255.0, y[:n]


#: The students trained through fit: one encoder block (the tiny preset has two) halves the
#: train step's tracing; the two tokens, the two heads and the distillation losses are the same.
ONE_BLOCK = {"num_layers": 1}

SLOW = pytest.mark.slow  # ~100M-parameter builds: counted in the slow tier


@pytest.mark.parametrize("name,paper_millions", [
    ("deit_ti", 5.72), pytest.param("deit_s", 22.05, marks=SLOW), ("deit_b", 86.57),
    ("deit_ti_distilled", 5.91), pytest.param("deit_s_distilled", 22.44, marks=SLOW),
    pytest.param("deit_b_distilled", 87.34, marks=SLOW)])
def test_parameter_counts(name, paper_millions):
    if name == "deit_b":
        # DeiT-B is ViT-B/16: counted in test_vit; here the registry figure only.
        count = keras_zoo.models.info(name).params
    else:
        # Built for real (the same layers and symbolic build, every variable created with its
        # shape) in a StatelessScope that defers the variables' initialization; cross-checked:
        # the tiny preset counts the same either way.
        tiny = keras_zoo.models.get(name, preset="tiny").count_params()
        with deferred_weights():
            assert keras_zoo.models.get(name, preset="tiny").count_params() == tiny
            model = keras_zoo.models.get(name, preset="canonical")
            assert_deferred(model.weights)
        count = model.count_params()
        assert count == keras_zoo.models.info(name).params
        del model
        gc.collect()
    # Table 1 rounds to 0.01M: within half a unit of the last digit (< 0.1 %).
    assert abs(count / 1e6 - paper_millions) <= 0.005 + 1e-9, count


def test_distilled_inference_averages_the_two_heads():
    model = keras_zoo.models.get("deit_ti_distilled", preset="tiny")
    x, _ = _digits(4)
    heads = keras.Model(model.inputs[0], [model.get_layer("head").output,
                                          model.get_layer("head_distillation").output])
    class_logits, distillation_logits = (np.asarray(t) for t in heads(x))
    fused = (class_logits + distillation_logits) / 2
    expected = np.exp(fused - fused.max(-1, keepdims=True))
    expected /= expected.sum(-1, keepdims=True)
    np.testing.assert_allclose(np.asarray(model(x)), expected, atol=1e-6)
    assert model.get_layer("patch_embedding").num_tokens == 2


def test_hard_label_distillation_through_fit(graph_optimizer_off):
    x, y = _digits(64)
    # A keras-zoo CNN at another input size as teacher: LeNet-5 on 40x40, briefly trained.
    x_teacher, _ = _digits(64, size=40)
    teacher = keras_zoo.models.get("lenet5", preset="tiny", input_shape=(40, 40, 1))
    # Eagerly (6 steps; what is under test is the student's step): 1.0 -> 0.5 CPU s, the same
    # teacher to the bit.
    teacher.compile("adam", "sparse_categorical_crossentropy", run_eagerly=True)
    teacher.fit(x_teacher, y, epochs=3, verbose=0)
    teacher.run_eagerly = False
    teacher_labels = np.argmax(np.asarray(teacher(tf.image.resize(x, (40, 40)))), -1)
    # Labels that disagree with the teacher on purpose: the distillation head must follow the
    # teacher, the class head the labels.
    wrong = (teacher_labels + 1) % 10

    student = keras_zoo.models.get("deit_ti_distilled", preset="tiny", **ONE_BLOCK)
    student.compile(keras.optimizers.Adam(3e-3), "sparse_categorical_crossentropy",
                    metrics=["accuracy"], teacher=teacher)
    teacher_weights = [np.asarray(w) for w in teacher.weights]
    # Both heads agree with their targets from epoch ~12 on (0.97 at epoch 9; the bar is 0.9).
    history = student.fit(x, wrong, batch_size=16, epochs=15, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    heads = keras.Model(student.inputs[0], [student.get_layer("head").output,
                                            student.get_layer("head_distillation").output])
    class_logits, distillation_logits = (np.asarray(t) for t in heads(x))
    assert np.mean(np.argmax(distillation_logits, -1) == teacher_labels) >= 0.9
    assert np.mean(np.argmax(class_logits, -1) == wrong) >= 0.9
    # The teacher is frozen and not part of the student.
    for before, after in zip(teacher_weights, teacher.weights, strict=True):
        np.testing.assert_array_equal(before, np.asarray(after))
    assert len(student.weights) == len(keras_zoo.models.get("deit_ti_distilled", preset="tiny",
                                                            **ONE_BLOCK).weights)


def test_without_a_teacher_both_heads_learn_the_labels():
    x, y = _digits(32)
    model = keras_zoo.models.get("deit_ti_distilled", preset="tiny")
    model.compile("adam", "sparse_categorical_crossentropy")
    # Eagerly: the same train step (its no-teacher branch) without tracing it for 6 steps.
    model.run_eagerly = True
    history = model.fit(x, y, batch_size=16, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_teacher_must_match():
    model = keras_zoo.models.get("deit_ti_distilled", preset="tiny")
    rgb = keras_zoo.models.get("lenet5", preset="tiny", input_shape=(32, 32, 3))
    with pytest.raises(ValueError, match=r"teacher's input shape \(32, 32, 3\)"):
        model.set_teacher(rgb)
    five = keras_zoo.models.get("lenet5", preset="tiny", classes=5)
    with pytest.raises(ValueError, match="the teacher predicts 5 classes, the student 10"):
        model.compile("adam", teacher=five)


def test_distilled_saves_with_safe_mode_and_exports(tmp_path):
    from keras_zoo.export import convert_savedmodel, export_savedmodel, flex_ops, run
    from keras_zoo.tasks import get_task

    model = keras_zoo.models.get("deit_ti_distilled", preset="tiny")
    model.compile("adam", "sparse_categorical_crossentropy",
                  teacher=keras_zoo.models.get("lenet5", preset="tiny"))
    x, _ = _digits(4)
    path = os.fspath(tmp_path / "deit.keras")
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert isinstance(loaded, DistilledVisionTransformer)
    assert loaded.teacher is None  # the teacher is not saved
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(model(x)), atol=1e-6)
    task = get_task("classification")
    fn = task.serving_fn(model)
    saved = export_savedmodel(model, os.fspath(tmp_path / "sm" / "1"), fn)
    converted = convert_savedmodel(saved, "float")
    assert flex_ops(converted) == []
    example = task.serving_example(model, n=2)
    np.testing.assert_allclose(run(converted, example)["probabilities"],
                               np.asarray(fn(**example)["probabilities"]), atol=1e-4)


def test_distilled_weights_load_at_another_resolution(tmp_path):
    small = keras_zoo.models.get("deit_ti_distilled", preset="tiny")
    path = os.fspath(tmp_path / "deit.weights.h5")
    small.save_weights(path)
    large = keras_zoo.models.get("deit_ti_distilled", preset="tiny", input_shape=(48, 48, 1),
                                 weights=path)
    old = np.asarray(small.get_layer("patch_embedding").position_embedding_weight)
    new = np.asarray(large.get_layer("patch_embedding").position_embedding_weight)
    assert new.shape == (2 + 144, 32)
    np.testing.assert_array_equal(new[:2], old[:2])  # class and distillation tokens kept


def test_include_top_false_keeps_both_tokens():
    model = keras_zoo.models.get("deit_ti_distilled", preset="tiny", include_top=False)
    assert model.output_shape == (None, 66, 32)


# --- soft distillation (section 5.2, eq. 2) -------------------------------------------------------

def test_soft_distillation_loss_is_tau_squared_kl_of_softened_outputs():
    model = keras_zoo.models.get("deit_ti_distilled", preset="tiny", distillation="soft",
                                 temperature=2.0, soft_weight=0.25)
    rng = np.random.default_rng(0)
    teacher, student = rng.normal(size=(2, 5, 10)) * 3

    def softmax(z):
        e = np.exp(z - z.max(-1, keepdims=True))
        return e / e.sum(-1, keepdims=True)

    p, q = softmax(teacher / 2.0), softmax(student / 2.0)
    expected = 4.0 * np.mean(np.sum(p * np.log(p / q), axis=-1))
    actual = model.soft_distillation_loss(tf.constant(teacher, tf.float32),
                                          tf.constant(student, tf.float32))
    np.testing.assert_allclose(float(actual), expected, rtol=1e-5)
    assert float(model.soft_distillation_loss(tf.constant(teacher, tf.float32),
                                              tf.constant(teacher, tf.float32))) < 1e-6


def test_soft_distillation_through_fit_matches_the_teachers_distribution(graph_optimizer_off):
    x, y = _digits(32)
    # A teacher with a softmax output (an untrained LeNet-5: soft, informative distributions);
    # soft_weight=1: only the KL term, so the distillation head must copy the softened outputs.
    keras.utils.set_random_seed(1)
    teacher = keras_zoo.models.get("lenet5", preset="tiny", input_shape=(32, 32, 1))
    student = keras_zoo.models.get("deit_ti_distilled", preset="tiny", distillation="soft",
                                   temperature=3.0, soft_weight=1.0, **ONE_BLOCK)
    student.compile(keras.optimizers.Adam(3e-3), "sparse_categorical_crossentropy",
                    teacher=teacher)
    heads = keras.Model(student.inputs[0], student.get_layer("head_distillation").output)
    teacher_logits = np.log(np.asarray(teacher(x)))

    def kl():
        return float(student.soft_distillation_loss(tf.constant(teacher_logits),
                                                    heads(x)))

    before = kl()
    # The KL falls under 0.07x its start by epoch 4 (the bars: 0.5x and 0.3x).
    history = student.fit(x, y, batch_size=16, epochs=5, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    np.testing.assert_allclose(history.history["loss"][0], before, rtol=0.5)
    assert kl() < 0.3 * before


def test_soft_distillation_options_are_checked():
    with pytest.raises(ValueError, match="distillation must be 'hard' or 'soft'"):
        keras_zoo.models.get("deit_ti_distilled", preset="tiny", distillation="kl")
    with pytest.raises(ValueError, match="temperature apply to distillation='soft' only"):
        keras_zoo.models.get("deit_ti_distilled", preset="tiny", temperature=3.0)
    with pytest.raises(ValueError, match="apply to the distilled model"):
        keras_zoo.models.get("deit_ti", preset="tiny", distillation="soft")
    model = keras_zoo.models.get("deit_ti_distilled", preset="tiny", distillation="soft")
    assert (model.temperature, model.soft_weight) == (3.0, 0.1)  # the paper's tau and lambda
    clone = DistilledVisionTransformer.from_config(model.get_config())
    assert clone.get_config() == model.get_config()
    model.compile("adam", "sparse_categorical_crossentropy")
    x, y = _digits(4)
    with pytest.raises(ValueError, match="soft distillation needs a teacher"):
        model.fit(x, y, verbose=0)

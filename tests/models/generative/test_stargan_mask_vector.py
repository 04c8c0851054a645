"""StarGAN over several labelled datasets with the mask vector (Choi et al. 2018, section 3.2)."""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_zoo
from keras_zoo.models.generative.stargan import label_vectors
from keras_zoo.tasks import get_task

SIZES = (2, 3)  # e.g. 2 labels of a first dataset, 3 of a second: global domains 0-1, 2-4


def _model(**overrides):
    keras.utils.set_random_seed(0)
    return keras_zoo.models.get("stargan", preset="tiny", num_domains=None,
                                dataset_domains=SIZES, **overrides)


def test_label_vector_is_the_labels_then_the_mask():
    rows = label_vectors(SIZES)
    # c~ = [c_CelebA-like block (2), c_RaFD-like block (3), m (2)]
    np.testing.assert_array_equal(rows[1], [0, 1, 0, 0, 0, 1, 0])
    np.testing.assert_array_equal(rows[3], [0, 0, 0, 1, 0, 0, 1])
    model = _model()
    embedding = model.generator.get_layer("generator_label_embedding")
    np.testing.assert_array_equal(embedding.get_weights()[0], rows)
    assert not embedding.trainable_weights
    # The condition planes that reach the translator are c~, replicated over the image.
    condition = keras.Model(model.generator.inputs,
                            model.generator.get_layer("generator_label_replicate").output)
    planes = np.asarray(condition([np.zeros((2, 16, 16, 3), np.float32), np.array([1, 3])]))
    np.testing.assert_array_equal(planes[:, 5, 7], rows[[1, 3]])


def test_targets_stay_in_the_images_dataset():
    model = _model()
    original = tf.constant([0, 1, 2, 3, 4] * 200)
    u = tf.random.stateless_uniform([1000], [1, 2])
    target = np.asarray(model.target_domains(original, u))
    first = np.asarray(original) < 2
    assert set(target[first]) == {0, 1} and set(target[~first]) == {2, 3, 4}


def test_classification_uses_the_labels_dataset_block_only():
    model = _model()
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(4, 5)).astype(np.float32)
    labels = np.array([0, 1, 2, 4])
    expected = []
    for row, label in zip(logits, labels, strict=True):
        block = slice(0, 2) if label < 2 else slice(2, 5)
        z = row[block]
        expected.append(np.log(np.sum(np.exp(z))) - row[label])
    np.testing.assert_allclose(float(model.classification_loss(labels, logits)),
                               np.mean(expected), rtol=1e-5)
    # The other dataset's logits do not matter.
    moved = logits.copy()
    moved[:2, 2:] += 50.0
    moved[2:, :2] -= 50.0
    np.testing.assert_allclose(float(model.classification_loss(labels, moved)),
                               np.mean(expected), rtol=1e-5)


def test_fit_over_two_datasets_and_reload(tmp_path, graph_optimizer_off):
    model = _model()
    entry = keras_zoo.models.info("stargan")
    task = get_task(entry.task)
    task.compile(model, entry, learning_rate=1e-3)
    rng = np.random.default_rng(1)
    images = rng.uniform(size=(16, 16, 16, 3)).astype(np.float32)
    labels = np.array([0, 1, 2, 3, 4, 0, 1, 2] * 2, np.int32)
    history = model.fit({"images": images, "labels": labels}, batch_size=8, epochs=2, verbose=0)
    assert all(np.isfinite(v).all() for v in history.history.values())
    path = os.fspath(tmp_path / "stargan.keras")
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert loaded.dataset_domains == SIZES
    x = {"images": images[:3], "labels": np.array([1, 4, 2], np.int32)}
    np.testing.assert_allclose(np.asarray(loaded(x)["images"]), np.asarray(model(x)["images"]),
                               atol=1e-5)


def test_dataset_domains_are_checked():
    with pytest.raises(ValueError, match="must be sum"):
        keras_zoo.models.get("stargan", preset="tiny", num_domains=4, dataset_domains=SIZES)
    with pytest.raises(ValueError, match="two or more datasets"):
        keras_zoo.models.get("stargan", preset="tiny", num_domains=None, dataset_domains=(3,))

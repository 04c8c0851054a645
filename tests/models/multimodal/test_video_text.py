"""VideoBERT and CBT: the visual-word vocabulary (hierarchical k-means, nearest centroid in the
graph), the video-text data, masking, CBT's visual NCE against NumPy, and bad input."""

import keras
import numpy as np
import pytest

import keras_zoo
from keras_zoo.data import captions
from keras_zoo.layers.visual_words import VisualWords, hierarchical_kmeans
from keras_zoo.models.multimodal.cbt import visual_nce
from keras_zoo.models.multimodal.videobert import videobert_parameters
from keras_zoo.tasks import get_task


def _blobs(centres, per=20, spread=0.01, seed=0):
    rng = np.random.default_rng(seed)
    return np.concatenate([c + spread * rng.normal(size=(per, len(c))) for c in centres])


def test_hierarchical_kmeans_finds_separated_clusters_in_tree_order():
    # Two far groups, each of two near clusters: level 1 splits the groups, level 2 the pairs,
    # so leaves 2i and 2i + 1 share a parent.
    centres = np.array([[0, 0], [0, 1], [10, 10], [10, 11]], np.float64)
    leaves = hierarchical_kmeans(_blobs(centres), branching=2, levels=2)
    assert leaves.shape == (4, 2)
    found = {tuple(np.round(c).astype(int)) for c in leaves}
    assert found == {tuple(c) for c in centres.astype(int)}
    for i in (0, 2):
        assert np.abs(leaves[i] - leaves[i + 1]).max() < 2.0  # siblings: the same group


def test_hierarchical_kmeans_small_nodes_and_bad_input():
    leaves = hierarchical_kmeans(np.array([[1.0, 2.0]]), branching=3, levels=2)
    assert leaves.shape == (9, 2) and np.all(leaves == [1.0, 2.0])
    with pytest.raises(ValueError, match="branching"):
        hierarchical_kmeans(np.zeros((4, 2)), branching=0, levels=1)
    with pytest.raises(ValueError, match="non-empty"):
        hierarchical_kmeans(np.zeros((0, 2)), branching=2, levels=1)


def test_visual_words_are_the_nearest_centroids_and_round_trip():
    layer = VisualWords(branching=2, levels=2, name="words")
    features = _blobs(np.array([[0, 0], [0, 1], [10, 10], [10, 11]]), per=5).astype("float32")
    layer.adapt(features)
    ids = np.asarray(layer(features))
    centroids = np.asarray(layer.centroids)
    expected = np.argmin(((features[:, None] - centroids[None]) ** 2).sum(-1), axis=1)
    np.testing.assert_array_equal(ids, expected)
    assert len(set(ids.tolist())) == 4
    clone = VisualWords.from_config(layer.get_config())
    assert clone.vocabulary_size == 4 and clone.branching == 2 and clone.levels == 2
    with pytest.raises(ValueError, match="levels"):
        VisualWords(branching=2, levels=0)


def test_video_text_data_masks_aligned_examples():
    x, y = captions.video_text(16, segments=3, segment_frames=4, seed=1)
    assert x["clips"].shape == (16, 3, 4, 16, 16, 3) and x["clips"].dtype == np.uint8
    aligned = y["alignment"] > 0.5
    assert 0 < aligned.sum() < 16
    masked_words = y["word_targets"] > 0
    assert np.all(x["tokens"][masked_words] == captions.MASK)
    assert np.all(masked_words[aligned].any(axis=1))
    assert np.all(x["segment_masked"][aligned].sum(axis=1) >= 1)
    again, _ = captions.video_text(16, segments=3, segment_frames=4, seed=1)
    np.testing.assert_array_equal(again["tokens"], x["tokens"])
    with pytest.raises(ValueError, match="mask_rate"):
        captions.video_text(4, mask_rate=0.0)


def _tiny(name):
    entry = keras_zoo.models.info(name)
    keras.utils.set_random_seed(0)
    model = entry.build("tiny")
    x, y = get_task(entry.task).battery_data(model, entry, n=8)
    return model, x, y


def test_videobert_masked_segment_is_read_as_mask_and_count_by_formula():
    model, x, _ = _tiny("videobert")
    masked = x["segment_masked"] > 0.5
    assert masked.any()
    changed = {**x, "features": np.where(masked[..., None], 5.0 * x["features"] + 1.0,
                                         x["features"]).astype("float32")}
    before, after = model(x), model(changed)
    # The masked segments' features reach nothing but their own (target) visual words.
    np.testing.assert_allclose(after["word_logits"], before["word_logits"], atol=1e-6)
    np.testing.assert_allclose(after["alignment_logit"], before["alignment_logit"], atol=1e-6)
    # An unmasked segment's feature does reach the words.
    other = {**x, "features": np.where(masked[..., None], x["features"],
                                       -x["features"][:, ::-1]).astype("float32")}
    assert np.any(np.asarray(model(other)["visual_words"]) != np.asarray(before["visual_words"]))
    config = {k: v for k, v in keras_zoo.models.info("videobert").tiny.items()
              if k not in ("num_heads", "dropout")}
    assert model.count_params() == videobert_parameters(**config)


def test_videobert_visual_words_come_from_the_fitted_vocabulary():
    model, x, _ = _tiny("videobert")  # battery_data fits the vocabulary to its features
    centroids = np.asarray(model.visual_vocabulary.centroids)
    features = x["features"].reshape(-1, x["features"].shape[-1])
    expected = np.argmin(((features[:, None] - centroids[None]) ** 2).sum(-1), axis=1)
    np.testing.assert_array_equal(np.asarray(model(x)["visual_words"]).reshape(-1), expected)
    assert len(set(expected.tolist())) > 1


def test_cbt_visual_nce_matches_numpy_and_masked_features_are_hidden():
    rng = np.random.default_rng(0)
    context, targets = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 3, 4))
    masked = np.array([[1, 0, 0], [0, 1, 1]], np.float32)
    e, f = context.reshape(6, 4), targets.reshape(6, 4)
    logits = e @ f.T
    log_p = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    expected = -(np.diag(log_p) * masked.reshape(-1)).sum() / masked.sum()
    actual = float(visual_nce(context.astype("float32"), targets.astype("float32"), masked))
    assert abs(actual - expected) < 1e-5

    model, x, _ = _tiny("cbt")
    masked = x["segment_masked"] > 0.5
    changed = {**x, "features": np.where(masked[..., None], 3.0 - x["features"],
                                         x["features"]).astype("float32")}
    before, after = model(x), model(changed)
    np.testing.assert_allclose(after["visual_context"], before["visual_context"], atol=1e-5)
    assert np.abs(np.asarray(after["visual_targets"]) - before["visual_targets"]).max() > 1e-3


def test_video_text_bad_input():
    with pytest.raises(ValueError, match="divisible"):
        keras_zoo.models.get("videobert", "tiny", hidden_dim=15)
    with pytest.raises(ValueError, match="max_sequence_length"):
        keras_zoo.models.get("videobert", "tiny", max_sequence_length=4)
    with pytest.raises(ValueError, match="visual_weight"):
        keras_zoo.models.get("cbt", "tiny", visual_weight=-1.0)
    model = keras_zoo.models.get("cbt", "tiny", feature_dim=8)
    entry = keras_zoo.models.info("cbt")
    with pytest.raises(ValueError, match="feature_dim=8"):
        get_task(entry.task).battery_data(model, entry, n=4)

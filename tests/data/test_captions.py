"""The captioned shapes, clips and moments of keras_zoo.data.captions."""

import numpy as np
import pytest

from keras_zoo.data import captions, shapes


def test_captions_are_deterministic_and_describe_the_drawn_objects():
    a, b = captions.generate(40, seed=3), captions.generate(40, seed=3)
    np.testing.assert_array_equal(a["images"], b["images"])
    assert a["captions"] == b["captions"]
    colours = list(captions.COLOURS)
    for i, caption in enumerate(a["captions"]):
        for j in range(a["num_objects"][i]):
            named = f"{colours[a['colours'][i, j]]} {shapes.CLASSES[a['classes'][i, j]]}"
            assert named in caption
            x0, y0, x1, y1 = a["boxes"][i, j].astype(int)
            patch = a["images"][i, y0:y1, x0:x1].reshape(-1, 3)
            colour = np.array(captions.COLOURS[colours[a["colours"][i, j]]])
            assert (np.abs(patch.astype(int) - colour).sum(-1) == 0).any()
        if a["num_objects"][i] == 2:
            assert captions.relation(a["boxes"][i, 0], a["boxes"][i, 1]) in caption


def test_held_out_pairs_are_excluded_or_forced():
    train = captions.load("train", n=200)
    assert not any("green triangle" in c for c in train["captions"])
    novel = captions.load("novel", n=50)
    assert all("green triangle" in c for c in novel["captions"])
    with pytest.raises(ValueError, match="held_out"):
        captions.generate(2, held_out=(("purple", "circle"),), held_out_mode="exclude")


def test_encode_decode_and_the_vectorizer_agree():
    texts = ["a small red circle left of a large blue square", "a large yellow triangle"]
    tokens = captions.encode(texts)
    assert captions.decode(tokens) == texts
    ids = np.asarray(captions.vectorizer()(texts))
    for row, vectorised in zip(tokens, ids, strict=True):
        words = row[(row > captions.END)]
        np.testing.assert_array_equal(vectorised[:len(words)], words)
    with pytest.raises(ValueError, match="empty"):
        captions.encode([""])
    with pytest.raises(ValueError, match="at most"):
        captions.encode(["a " * 20])


def test_moments_mark_begin_and_end_of_the_queried_event():
    m = captions.moments(5, events=3, event_frames=4, seed=1)
    assert m["videos"].shape == (5, 12, 16, 16, 3)
    for i in range(5):
        begin, end = m["spans"][i]
        assert m["event_captions"][i][begin // 4] == m["queries"][i]
        assert m["frame_labels"][i, begin] == 1 and m["frame_labels"][i, end - 1] == 2
        assert (m["frame_labels"][i] > 0).sum() == 2
    np.testing.assert_allclose(captions.span_iou([[0, 4], [2, 6]], [[0, 4], [4, 8]]), [1, 1 / 3])


def test_pretraining_masks_aligned_pairs():
    x, y = captions.pretraining(64, (16, 16), caption_length=6, seed=2)
    aligned = y["alignment"] > 0.5
    assert 0.2 < aligned.mean() < 0.8
    masked = x["tokens"] == captions.MASK
    np.testing.assert_array_equal(masked, y["word_targets"] > 0)
    assert masked[aligned].any(axis=1).all()
    assert ((y["region_targets"] >= 0) == (x["region_masked"] > 0)).all()
    assert (x["boxes"][:, 0] == [0, 0, 16, 16]).all()

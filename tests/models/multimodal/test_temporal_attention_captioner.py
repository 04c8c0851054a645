"""The temporal-attention video captioner: attention over frames, serving a caption string."""

import numpy as np
import pytest

import keras_zoo
from keras_zoo.data import captions
from keras_zoo.models.multimodal.temporal_attention_captioner import greedy_decode
from keras_zoo.tasks import get_task


def test_attention_is_over_the_frames_and_serving_captions_videos():
    entry = keras_zoo.models.info("temporal_attention_captioner")
    model = entry.build("tiny")
    task = get_task("video_captioning")
    example = task.serving_example(model, n=2)
    assert example["videos"].shape == (2, 4, 16, 16, 3)
    out = task.serving_fn(model)(**example)
    assert tuple(out["attention"].shape) == (2, model.caption_length - 1, 4)
    np.testing.assert_allclose(np.asarray(out["attention"]).sum(-1), 1.0, atol=1e-5)
    assert [c.decode() for c in out["caption"].numpy()] == captions.decode(
        np.asarray(out["tokens"]))
    tokens, _, _ = greedy_decode(model, example["videos"].astype(np.float32) / 255.0)
    np.testing.assert_array_equal(np.asarray(tokens), np.asarray(out["tokens"]))
    with pytest.raises(ValueError, match="predict takes an image"):
        task.draw_prediction(example["videos"][0], out)


def test_clip_captions_fit_the_default_length():
    data = captions.clips(6, frames=4, caption_length=7, seed=0)
    assert all(len(c.split()) == 5 for c in data["captions"])
    assert (data["tokens"][:, -1] == captions.END).all()

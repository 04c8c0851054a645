"""Recoloured shapes captions for CLIP's compositional zero-shot test: the added copies name no
colour and show none of the named ones, so no held-out (colour, shape) pair is drawn or named."""

import colorsys

import numpy as np
import pytest

from keras_zoo.data import captions, unnamed_colours


@pytest.fixture(scope="module")
def shapes_captions():
    d = captions.load("train", (32, 32), n=40, max_objects=1, caption_length=6)
    return d["images"], d["captions"]


def test_copies_drop_the_colour_word_and_keep_the_originals(shapes_captions):
    images, texts = shapes_captions
    new_images, new_texts = unnamed_colours.recolour(images, texts, 0.5, seed=0)
    assert new_images.shape == (60, 32, 32, 3) and len(new_texts) == 60
    np.testing.assert_array_equal(new_images[:40], images)
    assert list(new_texts[:40]) == list(texts)
    for text in new_texts[40:]:
        words = text.split()
        assert len(words) == 3 and not set(words) & set(captions.COLOURS)
        assert words[2] in ("circle", "square", "triangle")


def test_recoloured_objects_are_far_from_every_named_colour(shapes_captions):
    images, texts = shapes_captions
    new_images, _ = unnamed_colours.recolour(images, texts, 1.0, seed=3)
    named_hues = [colorsys.rgb_to_hsv(*(np.array(c) / 255))[0] * 360
                  for c in captions.COLOURS.values()]
    for original, copy in zip(images, new_images[40:], strict=True):
        inside = original.max(-1) >= 100
        # The background is untouched; the object is one colour.
        np.testing.assert_array_equal(copy[~inside], original[~inside])
        colours = np.unique(copy[inside], axis=0)
        assert len(colours) == 1
        h, s, _ = colorsys.rgb_to_hsv(*(colours[0] / 255))
        if s > 0:  # grey has no hue
            assert min(min(abs(h * 360 - n), 360 - abs(h * 360 - n)) for n in named_hues) > 25


@pytest.mark.parametrize("fraction", [-0.1, 1.5, True, "half"])
def test_bad_fraction_is_refused(shapes_captions, fraction):
    images, texts = shapes_captions
    with pytest.raises(ValueError, match="fraction"):
        unnamed_colours.recolour(images, texts, fraction)


def test_task_refuses_unnamed_colours_outside_the_training_split():
    import keras_zoo
    from keras_zoo.tasks import get_task

    entry = keras_zoo.models.info("clip_vit_b32")
    with pytest.raises(ValueError, match="unnamed_colours"):
        get_task(entry.task).dataset(None, entry, "validation", unnamed_colours=0.5)

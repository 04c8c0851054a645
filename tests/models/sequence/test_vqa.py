"""The synthetic VQA set answers from the pixels; the VQA model beats the answer prior (slow)."""

import time

import keras
import numpy as np
import pytest

import keras_zoo
from keras_zoo.data import shapes, vqa
from keras_zoo.tasks import get_task


def test_answers_are_computed_from_the_pixels():
    d = vqa.generate(60, seed=3)
    raw = shapes.generate(60, image_size=(32, 32), min_objects=1, max_objects=3,
                          max_overlap=0.0, seed=3)
    np.testing.assert_array_equal(d["images"], raw["images"])
    for text, answer, classes in zip(d["question_text"], d["answers"], raw["classes"], strict=True):
        words = text.split()
        if words[0] == "how":
            kind = shapes.CLASSES.index(words[2][:-1])
            assert answer == int(np.sum(classes == kind))
        else:
            assert vqa.ANSWERS[answer] in ("cyan", "magenta", "yellow")
            assert np.sum(classes == shapes.CLASSES.index(words[4])) == 1


def test_question_encoding_bad_input():
    ids = vqa.encode_question("how many hexagons ?")
    assert ids.tolist() == [2, 3, 1, 14, 0, 0]  # OOV -> [UNK]
    with pytest.raises(ValueError, match="at most"):
        vqa.encode_question("what colour is the big red square ?")  # refused, not truncated
    assert vqa.encode_question("").tolist() == [0] * vqa.QUESTION_LENGTH


@pytest.mark.slow
def test_vqa_beats_the_answer_prior():
    keras.utils.set_random_seed(0)
    entry = keras_zoo.models.info("vqa_lstm_cnn")
    model = entry.build("canonical")
    task = get_task("vqa")
    task.compile(model, entry, learning_rate=2e-3)
    start = time.time()
    model.fit(task.dataset(model, entry, "train", batch_size=32, n=4000), epochs=30, verbose=0)
    x, y = task._arrays(model, entry, "test")
    accuracy = float(np.mean(np.argmax(model.predict(x, verbose=0), -1) == y))
    prior = np.bincount(y).max() / len(y)
    print(f"VQA: test accuracy {accuracy:.3f} vs majority answer {prior:.3f}, "
          f"trained {time.time() - start:.0f}s")
    assert accuracy >= prior + 0.2

"""The attentive reader on key-value retrieval: the data's answers, and (slow) it learns to
read: accuracy far above chance, with its attention on the queried key's value."""

import time

import keras
import numpy as np
import pytest

import keras_zoo
from keras_zoo.data import sequences
from keras_zoo.tasks import get_task


def test_key_value_retrieval_answers():
    docs, queries, answers = sequences.key_value_retrieval(50, num_pairs=4, num_keys=8,
                                                           num_values=8, seed=1)
    for doc, q, a in zip(docs, queries, answers, strict=True):
        keys = list(doc[0::2])
        assert len(set(keys)) == 4
        value = doc[2 * keys.index(q[0]) + 1]
        assert value - sequences.FIRST_SYMBOL - 8 == a
    with pytest.raises(ValueError, match="num_pairs"):
        sequences.key_value_retrieval(2, num_pairs=5, num_keys=4)


@pytest.mark.slow
def test_attentive_reader_learns_to_read():
    keras.utils.set_random_seed(0)
    entry = keras_zoo.models.info("attentive_reader")
    model = entry.build("canonical")
    task = get_task("reading_comprehension")
    task.compile(model, entry, learning_rate=5e-3)
    start = time.time()
    model.fit(task.dataset(model, entry, "train", batch_size=64, n=8000), epochs=30, verbose=0)
    x, y = task._arrays(model, entry, "test")
    accuracy = float(np.mean(np.argmax(model.predict(x, verbose=0), -1) == y))
    print(f"attentive reader: test accuracy {accuracy:.3f} (chance 0.125), "
          f"trained {time.time() - start:.0f}s")
    assert accuracy >= 0.9

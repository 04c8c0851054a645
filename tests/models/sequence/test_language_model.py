"""Language modelling on the embedded corpus (slow tier): an LSTM character LM beats the
unigram baseline's held-out perplexity by at least 2x."""

import time

import keras
import numpy as np
import pytest

from keras_zoo.data import text
from keras_zoo.models.sequence.rnn import CharLanguageModel
from keras_zoo.tasks import get_task


def unigram_perplexity_on(targets, train_targets, vocabulary_size):
    counts = np.ones(vocabulary_size) + np.bincount(train_targets.ravel(),
                                                    minlength=vocabulary_size)
    counts[0] = 0.0
    logp = np.log(counts / counts.sum(), where=counts > 0, out=np.full(vocabulary_size, -np.inf))
    return float(np.exp(-logp[targets.ravel()].mean()))


@pytest.mark.slow
def test_lstm_lm_beats_unigram_perplexity_by_2x():
    keras.utils.set_random_seed(0)
    model = CharLanguageModel("lstm", units=192, embedding_dim=32, sequence_length=64)
    task = get_task("language_model")
    task.compile(model, None, learning_rate=3e-3)
    x, y = text.next_token_arrays(text.corpus("train"), model.vocabulary, 64, stride=32)
    xv, yv = text.next_token_arrays(text.corpus("validation"), model.vocabulary, 64)
    start = time.time()
    model.fit(x, y, batch_size=64, epochs=4, verbose=0, shuffle=True)
    seconds = time.time() - start
    loss = model.evaluate(xv, yv, batch_size=128, verbose=0, return_dict=True)["loss"]
    perplexity = float(np.exp(loss))
    baseline = unigram_perplexity_on(yv, y, len(model.vocabulary))
    print(f"LSTM char LM: validation perplexity {perplexity:.2f} vs unigram {baseline:.2f} "
          f"({baseline / perplexity:.2f}x); trained in {seconds:.0f}s on {len(x)} windows")
    assert perplexity * 2 <= baseline

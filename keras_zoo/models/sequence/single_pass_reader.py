"""The Single-pass Reader for cloze-style reading comprehension (74.3% test accuracy on CNN
against the Multi-pass Reader's 70.0%).

The document is split into sentences of ``sentence_length`` tokens; a preprocessing LSTM reads
each sentence (states h^d_{m,n}) and one the question (H^q). For each sentence m, an answer
LSTM steps over the question words attending over that sentence only (the multi-pass reader's
answer LSTM, ``multi_pass_reader.answer_lstm``, shared by all sentences); its final state
summarises "what this sentence says about the question". A top-layer LSTM reads these
summaries in document order, remembering the sentences close to the question and forgetting
the others (its input gates pick the sentences), and the answer is a softmax on its last state.
Each sentence is read once: a single pass over the document.
"""

from __future__ import annotations

import keras

from keras_zoo.data import sequences
from keras_zoo.models.registry import register
from keras_zoo.models.sequence.multi_pass_reader import _PAPER, answer_lstm, reader_layers


@keras.saving.register_keras_serializable(package="keras_zoo")
class SinglePassReader(keras.Model):
    """Inputs ``{"document": int32 [B, Td], "query": int32 [B, Tq]}`` (0 = padding; the document
    is ``Td / sentence_length`` sentences); output answer probabilities ``[B, answers]``.

    Args:
        vocabulary_size: token ids shared by document and query.
        document_length: Td, a multiple of ``sentence_length``.
        query_length: Tq.
        answers: the answer classes.
        sentence_length: tokens per sentence (sentences are padded to it).
        units: the width of every LSTM (the preprocessing LSTMs are bidirectional,
            ``units / 2`` per direction).
        embedding_dim: the token embedding width (shared).
    """

    def __init__(self, vocabulary_size, document_length, query_length, answers,
                 sentence_length=2, units=64, embedding_dim=32, name=None, **kwargs):
        # === Layers ===
        embedding, sentence_lstm, question_lstm, attention, cell = reader_layers(
            "SinglePassReader", vocabulary_size, answers, units, embedding_dim, "sentence_lstm",
            document_length=document_length, query_length=query_length,
            sentence_length=sentence_length)
        if document_length % sentence_length:
            raise ValueError(f"SinglePassReader: document_length={document_length} must be a "
                             f"multiple of sentence_length={sentence_length}.")
        sentences = document_length // sentence_length
        top_lstm = keras.layers.LSTM(units, unroll=True, name="top_lstm")
        # === Functional Model ===
        document = keras.Input((document_length,), dtype="int32", name="document")
        query = keras.Input((query_length,), dtype="int32", name="query")
        # Every sentence is an example of its own: [B * M, N].
        by_sentence = keras.ops.reshape(document, (-1, sentence_length))
        h_d = sentence_lstm(embedding(by_sentence))
        h_q = question_lstm(embedding(query))
        h_q = keras.ops.repeat(h_q, sentences, axis=0)  # the question beside each sentence
        # A sentence of padding only (the document's tail) would attend over masked positions
        # alone, whose scores Keras and TFLite round differently near the mask's -1e9 (float
        # TFLite off by 8e-4, measured); it attends over its padding states instead, defined
        # the same in both, and the top LSTM learns to pass over it.
        mask = keras.ops.not_equal(by_sentence, sequences.PAD)
        empty = keras.ops.logical_not(keras.ops.any(mask, axis=-1, keepdims=True))
        summaries = answer_lstm(h_q, h_d, keras.ops.logical_or(mask, empty), attention, cell,
                                units)
        summaries = keras.ops.reshape(summaries, (-1, sentences, units))
        probabilities = keras.layers.Dense(answers, activation="softmax",
                                           name="predictions")(top_lstm(summaries))
        super().__init__({"document": document, "query": query}, probabilities,
                         name=name or "single_pass_reader", **kwargs)
        # === Config ===
        self._config = {"vocabulary_size": vocabulary_size, "document_length": document_length,
                        "query_length": query_length, "answers": answers,
                        "sentence_length": sentence_length, "units": units,
                        "embedding_dim": embedding_dim}

    def get_config(self):
        return {**self._config, "name": self.name}


register("single_pass_reader", task="reading_comprehension", family="attentive_reader",
         tiny={"vocabulary_size": sequences.FIRST_SYMBOL + 16, "document_length": 4,
               "query_length": 1, "answers": 4, "sentence_length": 2, "units": 8,
               "embedding_dim": 8},
         canonical={"vocabulary_size": sequences.FIRST_SYMBOL + 16, "document_length": 8,
                    "query_length": 1, "answers": 8, "sentence_length": 2, "units": 64,
                    "embedding_dim": 32},
         data="key_value_retrieval", recipe="sequence", paper=_PAPER,
         notes="On key_value_retrieval each (key, value) pair is a sentence.")(SinglePassReader)

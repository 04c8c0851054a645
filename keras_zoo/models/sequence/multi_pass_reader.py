"""The Multi-pass Reader for cloze-style reading comprehension (the LSTM readers compared on
CNN/Daily Mail against the Attentive and Impatient Readers: multi-pass 70.0%, single-pass 74.3%
test accuracy on CNN).

An LSTM reads the document (states h^d_j) and one the question (h^q_i); an answer LSTM then
steps over the question words, and at word i attends over the whole document with a score that
also sees its own previous state::

    m_ij = tanh(W^q h^q_i + W^d h^d_j + W^a h^a_{i-1}),   s_ij = exp(w^s m_ij)
    hbar_i = sum_j (s_ij / sum_j' s_ij') h^d_j                 (document attention)
    h^a_i = LSTM(h^a_{i-1}, [hbar_i; h^q_i])

and the answer is a softmax on its last state. The document is read once per question word:
one pass each. Where the lecture text writes the "total score" as ``sum_j s_ij`` (a scalar),
the model's figure concatenates a *document attention representation* with the question state:
that is ``hbar_i``, the normalised scores weighting the document states. The score is
``BahdanauAttention`` with the query ``[h^q_i; h^a_{i-1}]`` (its query projection is then
``W^q h^q_i + W^a h^a_{i-1}``).
"""

from __future__ import annotations

import keras

from keras_zoo.data import sequences
from keras_zoo.layers.bahdanau_attention import BahdanauAttention
from keras_zoo.models.registry import register
from keras_zoo.models.sequence._common import check_int

_PAPER = ("Cloze-style comprehension with LSTM readers (multi-pass and single-pass), "
          "on CNN/Daily Mail (Hermann et al., NeurIPS 2015, data)")


def reader_layers(owner, vocabulary_size, answers, units, embedding_dim, document_name,
                  **lengths):
    """Checks a cloze reader's arguments and makes the layers both readers share:
    ``(embedding, document LSTM named document_name, question LSTM, attention, answer cell)``.
    The two preprocessing LSTMs are bidirectional, ``units / 2`` per direction, unrolled (short
    fixed lengths; TFLite needs no TensorList ops)."""
    for arg, value in (*lengths.items(), ("embedding_dim", embedding_dim)):
        check_int(owner, arg, value)
    check_int(owner, "units", units, minimum=2)
    check_int(owner, "vocabulary_size", vocabulary_size, minimum=2)
    check_int(owner, "answers", answers, minimum=2)
    if units % 2:
        raise ValueError(f"{owner}: units must be even (two directions), got {units}.")

    def bidirectional(name):
        return keras.layers.Bidirectional(
            keras.layers.LSTM(units // 2, return_sequences=True, unroll=True), name=name)

    return (keras.layers.Embedding(vocabulary_size, embedding_dim, name="embedding"),
            bidirectional(document_name), bidirectional("question_lstm"),
            BahdanauAttention(units, name="attention"),
            keras.layers.LSTMCell(units, name="answer_lstm"))


def answer_lstm(question_states, document_states, document_mask, attention, cell, units):
    """The answer LSTM's final state ``[B, units]``: steps over the question words, attending
    over ``document_states`` ``[B, Td, D]`` (``document_mask`` ``[B, Td]``: padding gets no
    weight) with the query ``[h^q_i; h^a_{i-1}]``, and reads ``[hbar_i; h^q_i]``."""
    batch_zeros = keras.ops.zeros_like(question_states[:, 0, :1])
    h = c = keras.ops.tile(batch_zeros, [1, units])
    for i in range(question_states.shape[1]):
        h_q = question_states[:, i]
        query = keras.ops.expand_dims(keras.ops.concatenate([h_q, h], axis=-1), axis=1)
        hbar = keras.ops.squeeze(
            attention([query, document_states], mask=[None, document_mask]), axis=1)
        h, (h, c) = cell(keras.ops.concatenate([hbar, h_q], axis=-1), [h, c])
    return h


@keras.saving.register_keras_serializable(package="keras_zoo")
class MultiPassReader(keras.Model):
    """Inputs ``{"document": int32 [B, Td], "query": int32 [B, Tq]}`` (0 = padding); output
    answer probabilities ``[B, answers]``.

    Args:
        vocabulary_size: token ids shared by document and query.
        document_length: Td; query_length: Tq.
        answers: the answer classes.
        units: the width of every LSTM (the document and question LSTMs are bidirectional,
            ``units / 2`` per direction, so their states are ``units`` wide).
        embedding_dim: the token embedding width (shared).
    """

    def __init__(self, vocabulary_size, document_length, query_length, answers, units=64,
                 embedding_dim=32, name=None, **kwargs):
        # === Layers ===
        embedding, document_lstm, question_lstm, attention, cell = reader_layers(
            "MultiPassReader", vocabulary_size, answers, units, embedding_dim, "document_lstm",
            document_length=document_length, query_length=query_length)
        # === Functional Model ===
        document = keras.Input((document_length,), dtype="int32", name="document")
        query = keras.Input((query_length,), dtype="int32", name="query")
        document_mask = keras.ops.not_equal(document, sequences.PAD)
        h_d = document_lstm(embedding(document))
        h_q = question_lstm(embedding(query))
        h_a = answer_lstm(h_q, h_d, document_mask, attention, cell, units)
        probabilities = keras.layers.Dense(answers, activation="softmax",
                                           name="predictions")(h_a)
        super().__init__({"document": document, "query": query}, probabilities,
                         name=name or "multi_pass_reader", **kwargs)
        # === Config ===
        self._config = {"vocabulary_size": vocabulary_size, "document_length": document_length,
                        "query_length": query_length, "answers": answers, "units": units,
                        "embedding_dim": embedding_dim}

    def get_config(self):
        return {**self._config, "name": self.name}


register("multi_pass_reader", task="reading_comprehension", family="attentive_reader",
         tiny={"vocabulary_size": sequences.FIRST_SYMBOL + 16, "document_length": 4,
               "query_length": 1, "answers": 4, "units": 8, "embedding_dim": 8},
         canonical={"vocabulary_size": sequences.FIRST_SYMBOL + 16, "document_length": 8,
                    "query_length": 1, "answers": 8, "units": 64, "embedding_dim": 32},
         data="key_value_retrieval", recipe="sequence", paper=_PAPER)(MultiPassReader)

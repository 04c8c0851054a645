"""The Attentive Reader (Hermann et al., Teaching Machines to Read and Comprehend, NeurIPS 2015,
section 4): a bidirectional LSTM reads the document and another the query; the query vector u
attends over the document states y_d(t) with an additive score,

    m(t) = tanh(W_ym y_d(t) + W_um u),  s(t) = softmax_t(w_ms^T m(t)),  r = sum_t s(t) y_d(t),

(``keras_zoo.layers.BahdanauAttention``), and the answer is ``softmax(W_a tanh(W_rg r + W_ug u))``.
A small teaching model, trained on ``keras_zoo.data.sequences.key_value_retrieval``.
"""

from __future__ import annotations

import keras

from keras_zoo.data import sequences
from keras_zoo.layers.bahdanau_attention import BahdanauAttention
from keras_zoo.models.registry import register
from keras_zoo.models.sequence._common import check_int


@keras.saving.register_keras_serializable(package="keras_zoo")
class AttentiveReader(keras.Model):
    """Inputs ``{"document": int32 [B, Td], "query": int32 [B, Tq]}`` (0 = padding); output
    answer probabilities ``[B, answers]``.

    Args:
        vocabulary_size: token ids shared by document and query.
        document_length: Td; query_length: Tq.
        answers: the answer classes.
        units: LSTM width per direction (the states are 2 units wide).
        embedding_dim: token embedding width (shared by document and query).
    """

    def __init__(self, vocabulary_size, document_length, query_length, answers, units=64,
                 embedding_dim=32, name=None, **kwargs):
        owner = "AttentiveReader"
        for arg, value in (("document_length", document_length),
                           ("query_length", query_length), ("units", units),
                           ("embedding_dim", embedding_dim)):
            check_int(owner, arg, value)
        check_int(owner, "vocabulary_size", vocabulary_size, minimum=2)
        check_int(owner, "answers", answers, minimum=2)
        embedding = keras.layers.Embedding(vocabulary_size, embedding_dim, name="embedding")
        document = keras.Input((document_length,), dtype="int32", name="document")
        query = keras.Input((query_length,), dtype="int32", name="query")
        # Unrolled: short fixed lengths, and TFLite needs no TensorList ops.
        y_d = keras.layers.Bidirectional(
            keras.layers.LSTM(units, return_sequences=True, unroll=True),
            name="document_bilstm")(embedding(document))
        u = keras.layers.Bidirectional(keras.layers.LSTM(units, unroll=True),
                                       name="query_bilstm")(embedding(query))
        u_step = keras.layers.Reshape((1, 2 * units), name="query_as_step")(u)
        r = BahdanauAttention(units, name="attention")([u_step, y_d])
        r = keras.layers.Reshape((2 * units,), name="read")(r)
        g = keras.layers.Add(name="combine")([
            keras.layers.Dense(units, use_bias=False, name="W_rg")(r),
            keras.layers.Dense(units, name="W_ug")(u)])
        g = keras.layers.Activation("tanh", name="g")(g)
        probabilities = keras.layers.Dense(answers, activation="softmax", name="predictions")(g)
        super().__init__({"document": document, "query": query}, probabilities,
                         name=name or "attentive_reader", **kwargs)
        self._config = {"vocabulary_size": vocabulary_size, "document_length": document_length,
                        "query_length": query_length, "answers": answers, "units": units,
                        "embedding_dim": embedding_dim}

    def get_config(self):
        return {**self._config, "name": self.name}


_KV = {"num_pairs": 4, "num_keys": 8, "num_values": 8}
register("attentive_reader", task="reading_comprehension", family="attentive_reader",
         tiny={"vocabulary_size": sequences.FIRST_SYMBOL + 16, "document_length": 8,
               "query_length": 1, "answers": 8, "units": 8, "embedding_dim": 8},
         canonical={"vocabulary_size": sequences.FIRST_SYMBOL + 16, "document_length": 8,
                    "query_length": 1, "answers": 8, "units": 64, "embedding_dim": 32},
         data="key_value_retrieval", recipe="sequence",
         paper="Hermann et al., Teaching Machines to Read and Comprehend, NeurIPS 2015")(
             AttentiveReader)

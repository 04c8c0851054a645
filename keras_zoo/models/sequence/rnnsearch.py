"""RNNsearch (Bahdanau, Cho & Bengio, Neural Machine Translation by Jointly Learning to Align
and Translate, ICLR 2015, section 3 and appendix A): the attention decoder as in the paper.

- Encoder: a bidirectional GRU; the annotation of word j is ``h_j = [fwd h_j; bwd h_j]``.
- Initial decoder state ``s_0 = tanh(W_s bwd h_1)`` (appendix A.2.2).
- At step i the context comes from the **previous** state: ``e_ij = v^T tanh(W s_{i-1} + U h_j)``,
  ``a_ij = softmax_j(e_ij)``, ``c_i = sum_j a_ij h_j`` (``BahdanauAttention``; padded source
  tokens get weight 0), and it is **fed into the recurrence**:
  ``s_i = GRU(s_{i-1}, [E y_{i-1}; c_i])``.
- Output (eq. 4 and A.2.2): a deep output with one maxout layer (pools of 2) over
  ``U_o s_i + V_o E y_{i-1} + C_o c_i``, then a softmax layer.

(The appendix writes ``s_{i-1}`` in the deep output where eq. 4 has ``s_i``; we follow eq. 4.)
``seq2seq_luong`` (and ``seq2seq_bahdanau``, the additive score in Luong's placement: context
from the current state h_t, combined after the recurrence) are kept beside it.
The decoder is unrolled over its T + 1 steps in the functional graph (fixed lengths, TFLite
builtins only).
"""

from __future__ import annotations

import keras

from keras_zoo.data import sequences
from keras_zoo.layers.bahdanau_attention import BahdanauAttention
from keras_zoo.layers.maxout import Maxout
from keras_zoo.models.registry import register
from keras_zoo.models.sequence._common import check_int


@keras.saving.register_keras_serializable(package="keras_zoo")
class RNNsearch(keras.Model):
    """Bahdanau et al.'s RNNsearch with the seq2seq interface of ``Seq2Seq``.

    Inputs ``{"encoder_tokens": [B, S], "decoder_tokens": [B, T + 1]}`` (int32, 0 = padding;
    the decoder input starts with ``<start>``); output next-token logits ``[B, T + 1, V]``.

    Args:
        vocabulary_size: token ids shared by source and target (separate embedding tables).
        source_length: S.
        target_length: T (the decoder runs T + 1 steps).
        units: n, the GRU width (1000 in the paper; the annotations are 2n wide).
        embedding_dim: m (620 in the paper).
        alignment_units: n', the alignment MLP's width (1000).
        maxout_units: l, the deep output's maxout units (500).
    """

    def __init__(self, vocabulary_size, source_length, target_length, units=1000,
                 embedding_dim=620, alignment_units=1000, maxout_units=500, name=None,
                 **kwargs):
        owner = "RNNsearch"
        check_int(owner, "vocabulary_size", vocabulary_size, minimum=sequences.FIRST_SYMBOL + 1)
        for arg, value in (("source_length", source_length), ("target_length", target_length),
                           ("units", units), ("embedding_dim", embedding_dim),
                           ("alignment_units", alignment_units),
                           ("maxout_units", maxout_units)):
            check_int(owner, arg, value)
        # === Layers ===
        source_embedding = keras.layers.Embedding(vocabulary_size, embedding_dim,
                                                  name="source_embedding")
        target_embedding = keras.layers.Embedding(vocabulary_size, embedding_dim,
                                                  name="target_embedding")
        encoder = keras.layers.Bidirectional(
            keras.layers.GRU(units, return_sequences=True, return_state=True, unroll=True),
            name="encoder")
        initial = keras.layers.Dense(units, activation="tanh", name="W_s")
        attention = BahdanauAttention(alignment_units, name="attention")
        cell = keras.layers.GRUCell(units, name="decoder_cell")
        # Maxout's affine map on [s_i; E y_{i-1}; c_i] is U_o s_i + V_o E y_{i-1} + C_o c_i.
        maxout = Maxout(maxout_units, num_pieces=2, name="deep_output")
        output = keras.layers.Dense(vocabulary_size, name="W_o")
        # === Functional Model ===
        source = keras.Input((source_length,), dtype="int32", name="encoder_tokens")
        target = keras.Input((target_length + 1,), dtype="int32", name="decoder_tokens")
        source_mask = keras.ops.not_equal(source, sequences.PAD)
        annotations, _, backward_last = encoder(source_embedding(source), mask=source_mask)
        # The backward GRU's final state is its state at the first word: bwd h_1.
        s = initial(backward_last)
        words = target_embedding(target)
        logits = []
        for i in range(target_length + 1):
            y_prev = words[:, i]
            query = keras.ops.expand_dims(s, axis=1)
            context = keras.ops.squeeze(
                attention([query, annotations], mask=[None, source_mask]), axis=1)
            s, _ = cell(keras.ops.concatenate([y_prev, context], axis=-1), [s])
            logits.append(output(maxout(keras.ops.concatenate([s, y_prev, context], axis=-1))))
        logits = keras.ops.stack(logits, axis=1)
        super().__init__({"encoder_tokens": source, "decoder_tokens": target}, logits,
                         name=name or "rnnsearch", **kwargs)
        # === Config ===
        self.vocabulary_size, self.source_length = vocabulary_size, source_length
        self.target_length, self.units, self.embedding_dim = target_length, units, embedding_dim
        self.alignment_units, self.maxout_units = alignment_units, maxout_units

    def get_config(self):
        return {"vocabulary_size": self.vocabulary_size, "source_length": self.source_length,
                "target_length": self.target_length, "units": self.units,
                "embedding_dim": self.embedding_dim, "alignment_units": self.alignment_units,
                "maxout_units": self.maxout_units, "name": self.name}


_REVERSAL_VOCAB = sequences.vocabulary_size("reversal", 10)
register("rnnsearch", task="seq2seq", family="seq2seq",
         # Length 2: greedy serving runs the unrolled 3-step decoder 3 times (the graph's size
         # grows with the square of the length: the battery's cost).
         tiny={"vocabulary_size": _REVERSAL_VOCAB, "source_length": 2, "target_length": 2,
               "units": 8, "embedding_dim": 8, "alignment_units": 8, "maxout_units": 4},
         canonical={"vocabulary_size": 30000, "source_length": 50, "target_length": 50},
         data="reversal", recipe="sequence",
         paper="Bahdanau, Cho & Bengio, Neural Machine Translation by Jointly Learning to Align "
               "and Translate, ICLR 2015",
         notes="The paper's decoder: context from s_{i-1}, fed into the GRU; bidirectional "
               "encoder; s_0 = tanh(W_s bwd h_1); maxout deep output.")(RNNsearch)

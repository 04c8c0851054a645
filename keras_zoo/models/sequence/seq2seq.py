"""Sequence-to-sequence encoder-decoder RNNs with and without attention.

Papers: Sutskever, Vinyals & Le, Sequence to Sequence Learning with Neural Networks (NeurIPS
2014); Bahdanau, Cho & Bengio (ICLR 2015, additive attention); Luong, Pham & Manning (EMNLP 2015,
dot/general/concat attention and the attentional hidden state ``tanh(W_c [c_t; h_t])``).

The decoder reads ``<start> y_1 .. y_T`` and learns ``y_1 .. y_T <end>`` (teacher forcing,
``keras_zoo.data.sequences.seq2seq_arrays``); at inference it decodes greedily (in the serving
graph) or with beam search (``beam_search``, keras-hub's ``BeamSampler``).

Both attention kinds use Luong's architecture: the context is computed from the current decoder
state h_t and combined with it after the recurrence. Bahdanau et al. compute it from the
previous state s_{i-1} and feed it into the recurrence; only the score function (additive vs
multiplicative) differs between our two variants. The paper's own decoder is ``rnnsearch``
(``keras_zoo.models.sequence.rnnsearch``).
"""

from __future__ import annotations

import keras
import numpy as np

from keras_zoo.data import sequences
from keras_zoo.layers.bahdanau_attention import BahdanauAttention
from keras_zoo.layers.luong_attention import LuongAttention
from keras_zoo.models.registry import register
from keras_zoo.models.sequence._common import check_choice, check_int, check_rate
from keras_zoo.models.sequence.rnn import CELLS, recurrent_layer, resolve_unroll

ATTENTIONS = (None, "bahdanau", "luong_dot", "luong_general", "luong_concat")


def _attention_layer(attention, units):
    if attention == "bahdanau":
        return BahdanauAttention(units, name="attention")
    return LuongAttention(score=attention.split("_", 1)[1], name="attention")


@keras.saving.register_keras_serializable(package="keras_zoo")
class Seq2Seq(keras.Model):
    """An RNN encoder-decoder, optionally with attention.

    Inputs: ``{"encoder_tokens": [B, S], "decoder_tokens": [B, T + 1]}`` (int32; the decoder
    input starts with ``<start>``); output: next-token logits ``[B, T + 1, V]``.

    Args:
        vocabulary_size: token ids shared by source and target (specials included).
        source_length: S, the fixed source length.
        target_length: T, the longest target (the decoder runs T + 1 steps, the last for
            ``<end>``).
        cell: ``"lstm"``, ``"gru"`` or ``"elman"`` (encoder and decoder).
        units: recurrent width.
        embedding_dim: token embedding width (separate source and target tables).
        attention: ``None``, ``"bahdanau"``, ``"luong_dot"``, ``"luong_general"`` or
            ``"luong_concat"``.
        dropout: input dropout of the recurrent layers.
        unroll: unroll the recurrences (default: yes for fixed lengths up to 256; TFLite needs
            it with a dynamic batch).
    """

    def __init__(self, vocabulary_size, source_length, target_length, cell="lstm", units=128,
                 embedding_dim=64, attention="luong_general", dropout=0.0, unroll=None,
                 name=None, **kwargs):
        owner = "Seq2Seq"
        check_int(owner, "vocabulary_size", vocabulary_size, minimum=sequences.FIRST_SYMBOL + 1)
        check_int(owner, "source_length", source_length)
        check_int(owner, "target_length", target_length)
        check_choice(owner, "cell", cell, tuple(c for c in CELLS if c != "jordan"))
        check_int(owner, "units", units)
        check_int(owner, "embedding_dim", embedding_dim)
        check_choice(owner, "attention", attention, ATTENTIONS)
        check_rate(owner, "dropout", dropout)
        unroll = resolve_unroll(unroll, max(source_length, target_length + 1))
        # === Layers ===
        source_embedding = keras.layers.Embedding(vocabulary_size, embedding_dim,
                                                  name="source_embedding")
        target_embedding = keras.layers.Embedding(vocabulary_size, embedding_dim,
                                                  name="target_embedding")
        encoder = recurrent_layer(cell, units, True, dropout, unroll, name="encoder")
        encoder.return_state = True
        decoder = recurrent_layer(cell, units, True, dropout, unroll, name="decoder")
        # === Functional Model ===
        source = keras.Input((source_length,), dtype="int32", name="encoder_tokens")
        target = keras.Input((target_length + 1,), dtype="int32", name="decoder_tokens")
        encoded = encoder(source_embedding(source))
        annotations, states = encoded[0], list(encoded[1:])
        h = decoder(target_embedding(target), initial_state=states)
        if attention is not None:
            context = _attention_layer(attention, units)([h, annotations])
            h = keras.layers.Concatenate(name="context_and_state")([context, h])
            h = keras.layers.Dense(units, activation="tanh", name="attentional_hidden")(h)
        logits = keras.layers.Dense(vocabulary_size, name="logits")(h)
        super().__init__({"encoder_tokens": source, "decoder_tokens": target}, logits,
                         name=name or f"seq2seq_{attention or 'plain'}", **kwargs)
        # === Config ===
        self.vocabulary_size, self.source_length = vocabulary_size, source_length
        self.target_length, self.cell, self.units = target_length, cell, units
        self.embedding_dim, self.attention, self.dropout = embedding_dim, attention, dropout
        self.unroll = unroll

    def get_config(self):
        return {"vocabulary_size": self.vocabulary_size, "source_length": self.source_length,
                "target_length": self.target_length, "cell": self.cell, "units": self.units,
                "embedding_dim": self.embedding_dim, "attention": self.attention,
                "dropout": self.dropout, "unroll": self.unroll, "name": self.name}

    def attention_weights(self, encoder_tokens, decoder_tokens):
        """The attention weights ``[B, T + 1, S]`` of each decoder step over the source."""
        if self.attention is None:
            raise ValueError(f"{self.name} has no attention (attention=None).")
        encoded = self.get_layer("encoder")(
            self.get_layer("source_embedding")(encoder_tokens))
        h = self.get_layer("decoder")(self.get_layer("target_embedding")(decoder_tokens),
                                      initial_state=list(encoded[1:]))
        _, weights = self.get_layer("attention")([h, encoded[0]], return_attention_scores=True)
        return np.asarray(weights)


def greedy_decode(model, encoder_tokens):
    """Greedy decoding with static shapes (unrolled over the T + 1 steps, TFLite-friendly).

    Returns ``(tokens [B, T + 1] int32, scores [B, T + 1])``: the argmax token of each step and
    its probability. Steps after ``<end>`` are still computed (fixed shapes); callers cut at END.
    """
    if type(model) is Seq2Seq:  # its graph exactly (a subclass may change it)
        return _stepwise_greedy_decode(model, encoder_tokens)
    return whole_model_greedy_decode(model, encoder_tokens)


def whole_model_greedy_decode(model, encoder_tokens):
    """``greedy_decode`` by calling the whole model once per output step (T + 1 encoder runs
    and (T + 1)^2 decoder steps): any model that maps ``{"encoder_tokens", "decoder_tokens"}``
    to next-token logits and decodes causally (``rnnsearch``, ``transformer``). A ``Seq2Seq``
    is served by the stepwise decoder, which gives the same tokens and scores."""
    import tensorflow as tf

    steps = model.target_length + 1
    encoder_tokens = tf.convert_to_tensor(encoder_tokens, tf.int32)
    batch = tf.shape(encoder_tokens)[0]
    decoder_tokens = tf.concat([tf.fill([batch, 1], sequences.START),
                                tf.zeros([batch, steps - 1], tf.int32)], axis=1)
    for t in range(steps - 1):
        logits = model({"encoder_tokens": encoder_tokens, "decoder_tokens": decoder_tokens},
                       training=False)
        next_token = tf.argmax(logits[:, t], axis=-1, output_type=tf.int32)
        # Write position t + 1 without scatter ops: a one-hot mask of the step.
        position = tf.one_hot(t + 1, steps, dtype=tf.int32)
        decoder_tokens = decoder_tokens + next_token[:, None] * position[None, :]
    logits = model({"encoder_tokens": encoder_tokens, "decoder_tokens": decoder_tokens},
                   training=False)
    probabilities = tf.nn.softmax(logits, axis=-1)
    return (tf.argmax(probabilities, axis=-1, output_type=tf.int32),
            tf.reduce_max(probabilities, axis=-1))


def _stepwise_greedy_decode(model, encoder_tokens):
    """``greedy_decode`` of a ``Seq2Seq``: the encoder runs once and the decoder one step at a
    time (its cell, the attention and the output layers of the forward pass), T + 1 decoder
    steps where calling the whole model once per step runs (T + 1) encoders and (T + 1)^2
    decoder steps. The same tokens and scores: the decoder is causal, so step t's logits are
    those of position t in the whole model's output (tested)."""
    import tensorflow as tf

    steps = model.target_length + 1
    encoder_tokens = tf.convert_to_tensor(encoder_tokens, tf.int32)
    batch = tf.shape(encoder_tokens)[0]
    encoded = model.get_layer("encoder")(
        model.get_layer("source_embedding")(encoder_tokens), training=False)
    annotations, states = encoded[0], list(encoded[1:])
    cell = model.get_layer("decoder").cell
    embedding, output = model.get_layer("target_embedding"), model.get_layer("logits")
    token = tf.fill([batch], sequences.START)
    tokens, scores = [], []
    for _ in range(steps):
        h, states = cell(embedding(token), states, training=False)
        states = list(states) if isinstance(states, (list, tuple)) else [states]
        if model.attention is not None:
            h = h[:, None, :]
            context = model.get_layer("attention")([h, annotations])
            h = model.get_layer("context_and_state")([context, h])
            h = model.get_layer("attentional_hidden")(h)[:, 0]
        probabilities = tf.nn.softmax(output(h), axis=-1)
        token = tf.argmax(probabilities, axis=-1, output_type=tf.int32)
        tokens.append(token)
        scores.append(tf.reduce_max(probabilities, axis=-1))
    return tf.stack(tokens, 1), tf.stack(scores, 1)


def beam_search(model, encoder_tokens, num_beams=4):
    """Beam-search decoding with keras-hub's ``BeamSampler``; returns int32 ``[B, T + 1]``
    target tokens (without ``<start>``; padding after ``<end>``)."""
    import keras_hub
    import tensorflow as tf

    check_int("beam_search", "num_beams", num_beams)
    steps = model.target_length + 1
    encoder_tokens = tf.convert_to_tensor(encoder_tokens, tf.int32)
    batch = tf.shape(encoder_tokens)[0]
    prompt = tf.concat([tf.fill([batch, 1], sequences.START),
                        tf.zeros([batch, steps], tf.int32)], axis=1)
    mask = tf.concat([tf.ones([batch, 1], tf.bool), tf.zeros([batch, steps], tf.bool)], axis=1)

    def next_fn(prompt, cache, index):
        # The source rides in the sampler's cache, which it repeats and reorders per beam.
        logits = model({"encoder_tokens": cache, "decoder_tokens": prompt[:, :steps]},
                       training=False)
        return tf.gather(logits, index - 1, axis=1), None, cache

    sampler = keras_hub.samplers.BeamSampler(num_beams=num_beams)
    out = sampler(next_fn, prompt, cache=encoder_tokens, index=1, mask=mask,
                  stop_token_ids=(sequences.END,))
    out = np.array(out)[:, 1:]
    for row in out:  # the sampler pads finished beams with the prompt's zeros or END repeats
        ends = np.flatnonzero(row == sequences.END)
        if ends.size:
            row[ends[0] + 1:] = sequences.PAD
    return out


def plot_attention(weights, source_labels, target_labels, path, title=None):
    """Saves an attention matrix ``[T, S]`` as a PNG heat map (rows: output steps)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    weights = np.asarray(weights)
    if weights.ndim != 2:
        raise ValueError(f"weights must be [target, source], got shape {weights.shape}.")
    fig, ax = plt.subplots(figsize=(0.5 * weights.shape[1] + 2, 0.5 * weights.shape[0] + 1.5))
    ax.imshow(weights, cmap="viridis", vmin=0.0, vmax=1.0)
    ax.set_xticks(range(weights.shape[1]), [str(s) for s in source_labels])
    ax.set_yticks(range(weights.shape[0]), [str(t) for t in target_labels])
    ax.set_xlabel("source")
    ax.set_ylabel("output step")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=80)
    plt.close(fig)
    return path


_REVERSAL_VOCAB = sequences.vocabulary_size("reversal", 10)
#: Three tokens each way: the recurrences and the greedy decoder are unrolled, so the graph (and
#: the battery's cost) grows with the lengths; three steps run every path as six did. The
#: recipe sequence_seq2seq trains at six (training/recipes/sequence.py).
_TINY = {"vocabulary_size": _REVERSAL_VOCAB, "source_length": 3, "target_length": 3,
         "units": 16, "embedding_dim": 8}
_CANONICAL = {"vocabulary_size": _REVERSAL_VOCAB, "source_length": 10, "target_length": 10,
              "units": 128, "embedding_dim": 32}
_SUTSKEVER = "Sutskever, Vinyals & Le, Sequence to Sequence Learning with Neural Networks, 2014"

register("seq2seq", task="seq2seq", family="seq2seq", tiny={**_TINY, "attention": None},
         canonical={**_CANONICAL, "attention": None}, data="reversal", recipe="sequence_seq2seq",
         paper=_SUTSKEVER)(Seq2Seq)
register("seq2seq_bahdanau", task="seq2seq", family="seq2seq",
         tiny={**_TINY, "attention": "bahdanau"},
         canonical={**_CANONICAL, "attention": "bahdanau"}, data="reversal", recipe="sequence_seq2seq",
         paper="Bahdanau, Cho & Bengio, Neural Machine Translation by Jointly Learning to Align "
               "and Translate, ICLR 2015")(Seq2Seq)
register("seq2seq_luong", task="seq2seq", family="seq2seq",
         tiny={**_TINY, "attention": "luong_general"},
         canonical={**_CANONICAL, "attention": "luong_general"}, data="reversal",
         recipe="sequence_seq2seq",
         paper="Luong, Pham & Manning, Effective Approaches to Attention-based Neural Machine "
               "Translation, EMNLP 2015")(Seq2Seq)

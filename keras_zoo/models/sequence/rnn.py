"""Recurrent networks: Elman, Jordan, LSTM, GRU, bidirectional and stacked (deep) RNNs, each as a
sequence classifier and as a character language model.

Papers: Elman, Finding Structure in Time (1990); Jordan, Serial Order (1986); Hochreiter &
Schmidhuber, Long Short-Term Memory (1997, with the forget gate of Gers et al. 2000); Cho et al.,
Learning Phrase Representations using RNN Encoder-Decoder (2014, GRU); Schuster & Paliwal,
Bidirectional Recurrent Neural Networks (1997); Graves, Generating Sequences With Recurrent Neural
Networks (2013, the deep RNN with skip connections, eq. 1-3).

Parameter counts for input width m and n units (checked against Keras in
tests/models/sequence/test_rnn.py): SimpleRNN n(m + n + 1); LSTM 4n(m + n + 1) (the notes'
"about 4x"); GRU 3n(m + n + 2) with Keras' default ``reset_after=True``, which keeps two bias
vectors (input and recurrent, as cuDNN does), and 3n(m + n + 1) with ``reset_after=False``
(Cho et al.'s original single bias).
"""

from __future__ import annotations

import keras

from keras_zoo.models.registry import register
from keras_zoo.models.sequence._common import (
    STRING_TFLITE_DEBT,
    check_choice,
    check_int,
    check_rate,
    resolve_vocabulary,
)

CELLS = ("elman", "jordan", "lstm", "gru")


def text_tokenizer(vocabulary, level, sequence_length):
    """The in-graph tokeniser (``keras_zoo.data.text.vectorizer``): inputs longer than
    ``sequence_length`` tokens are truncated (the first ones are kept), OOV tokens map to
    ``[UNK]`` (1), empty strings to all padding."""
    from keras_zoo.data import text

    return text.vectorizer(vocabulary, level, sequence_length)


@keras.saving.register_keras_serializable(package="keras_zoo")
class JordanCell(keras.layers.Layer):
    """Jordan's recurrent cell: the *output* (not the hidden state) is fed back.

    ``h_t = tanh(W x_t + U y_{t-1} + b)``, ``y_t = tanh(V h_t + c)``; the state is ``y_{t-1}``
    (Jordan 1986's "state units" hold the previous output). Elman's network feeds back
    ``h_{t-1}`` instead (``keras.layers.SimpleRNN``).

    Args:
        units: hidden width.
        output_units: the width of y (and of the recurrent state); default ``units``.
    """

    def __init__(self, units, output_units=None, **kwargs):
        super().__init__(**kwargs)
        check_int("JordanCell", "units", units)
        check_int("JordanCell", "output_units", output_units, optional=True)
        self.units = units
        self.output_units = output_units or units
        self.state_size = self.output_units
        self.output_size = self.output_units
        self.hidden = keras.layers.Dense(units, name="W")
        self.recurrent = keras.layers.Dense(units, use_bias=False, name="U")
        self.readout = keras.layers.Dense(self.output_units, activation="tanh", name="V")

    def build(self, input_shape):
        self.hidden.build(input_shape)
        self.recurrent.build((None, self.output_units))
        self.readout.build((None, self.units))

    def call(self, inputs, states, training=False):
        previous = states[0] if isinstance(states, (list, tuple)) else states
        h = keras.ops.tanh(self.hidden(inputs) + self.recurrent(previous))
        y = self.readout(h)
        return y, [y]

    def get_config(self):
        return {**super().get_config(), "units": self.units, "output_units": self.output_units}


#: Longest fixed sequence that is unrolled by default (see ``resolve_unroll``).
MAX_UNROLL = 256


def resolve_unroll(unroll, sequence_length):
    """Unroll fixed-length recurrences by default: the TFLite converter cannot lower the
    TensorList ops of a symbolic loop with a dynamic batch (``tf.TensorListReserve`` needs a
    static element shape), while the unrolled graph is plain builtin ops, and on CPU it is not
    slower for short sequences."""
    if unroll is None:
        return sequence_length is not None and sequence_length <= MAX_UNROLL
    if unroll and sequence_length is None:
        raise ValueError("unroll=True needs a fixed sequence_length.")
    return bool(unroll)


def recurrent_layer(cell, units, return_sequences=True, dropout=0.0, unroll=False, name=None):
    """One recurrent layer of the given cell type (Keras core where it exists)."""
    check_choice("recurrent_layer", "cell", cell, CELLS)
    kwargs = {"return_sequences": return_sequences, "name": name, "unroll": unroll}
    if cell == "elman":
        return keras.layers.SimpleRNN(units, dropout=dropout, **kwargs)
    if cell == "lstm":
        return keras.layers.LSTM(units, dropout=dropout, **kwargs)
    if cell == "gru":
        return keras.layers.GRU(units, dropout=dropout, **kwargs)
    return keras.layers.RNN(JordanCell(units), **kwargs)


def rnn_stack(x, cell, units, num_layers, bidirectional=False, skip_connections=False,
              return_sequences=True, dropout=0.0, unroll=False, name="rnn"):
    """``num_layers`` recurrent layers on ``x`` ``[B, T, D]``.

    With ``skip_connections`` (Graves 2013, eq. 1-3): every layer above the first also reads
    the input (``h^n_t = H(W x_t + W h^{n-1}_t + U h^n_{t-1})``), and, when the stack returns
    sequences, the output is the concatenation of all layers' outputs (every hidden layer
    connects to the output layer). A classifier (``return_sequences=False``) reads the top
    layer's final state.
    """
    layer_outputs = []
    h = x
    for i in range(num_layers):
        last = i == num_layers - 1
        inputs = h
        if skip_connections and i > 0:
            inputs = keras.layers.Concatenate(name=f"{name}{i + 1}_skip_in")([x, h])
        layer = recurrent_layer(cell, units, return_sequences=return_sequences or not last,
                                dropout=dropout, unroll=unroll, name=f"{name}{i + 1}")
        if bidirectional:
            layer = keras.layers.Bidirectional(layer, name=f"{name}{i + 1}_bidirectional")
        h = layer(inputs)
        layer_outputs.append(h)
    if skip_connections and return_sequences and num_layers > 1:
        return keras.layers.Concatenate(name=f"{name}_skip_out")(layer_outputs)
    return h


def _common_checks(owner, cell, units, embedding_dim, num_layers, sequence_length, dropout):
    check_choice(owner, "cell", cell, CELLS)
    check_int(owner, "units", units)
    check_int(owner, "embedding_dim", embedding_dim)
    check_int(owner, "num_layers", num_layers)
    check_int(owner, "sequence_length", sequence_length, optional=True)
    check_rate(owner, "dropout", dropout)


@keras.saving.register_keras_serializable(package="keras_zoo")
class RNNClassifier(keras.Model):
    """A recurrent sequence classifier: embedding, recurrent stack, softmax.

    Input ``tokens`` int32 ``[B, T]`` (0 is padding and is masked); output class probabilities.
    Give ``vocabulary`` (a word list from ``keras_zoo.data.text``) to classify raw text: it is
    saved with the model and the serving signature tokenises strings inside the graph.

    Args:
        cell: ``"elman"``, ``"jordan"``, ``"lstm"`` or ``"gru"``.
        units: recurrent width.
        vocabulary_size: number of token ids (with padding); implied by ``vocabulary``.
        embedding_dim: token embedding width.
        sequence_length: fixed input length (``None``: any; serving and TFLite need it fixed).
        num_layers: stacked recurrent layers (a deep RNN when > 1).
        bidirectional: wrap each layer in ``keras.layers.Bidirectional`` (Schuster & Paliwal).
        skip_connections: Graves-style input skips into every layer above the first.
        classes: number of classes.
        dropout: input dropout of each recurrent layer (Jordan's cell has none).
        unroll: unroll the recurrence; ``None``: when ``sequence_length`` is fixed and at most
            ``MAX_UNROLL`` (needed for TFLite with a dynamic batch, see ``resolve_unroll``).
        vocabulary: optional token list starting ``["", "[UNK]"]``.
        level: ``"word"`` or ``"char"`` tokenisation of ``vocabulary``.
    """

    def __init__(self, cell="lstm", units=128, vocabulary_size=None, embedding_dim=64,
                 sequence_length=None, num_layers=1, bidirectional=False,
                 skip_connections=False, classes=2, dropout=0.0, vocabulary=None, level="word",
                 unroll=None, name=None, **kwargs):
        owner = "RNNClassifier"
        _common_checks(owner, cell, units, embedding_dim, num_layers, sequence_length, dropout)
        check_int(owner, "classes", classes, minimum=2)
        check_choice(owner, "level", level, ("word", "char"))
        vocabulary, vocabulary_size = resolve_vocabulary(owner, vocabulary, vocabulary_size)
        # === Functional Model ===
        tokens = keras.Input((sequence_length,), dtype="int32", name="tokens")
        x = keras.layers.Embedding(vocabulary_size, embedding_dim, mask_zero=True,
                                   name="embedding")(tokens)
        unroll = resolve_unroll(unroll, sequence_length)
        x = rnn_stack(x, cell, units, num_layers, bidirectional, skip_connections,
                      return_sequences=False, dropout=dropout, unroll=unroll)
        probabilities = keras.layers.Dense(classes, activation="softmax", name="predictions")(x)
        super().__init__(tokens, probabilities, name=name or f"{cell}_classifier", **kwargs)
        # === Config ===
        self.cell, self.units, self.vocabulary_size = cell, units, vocabulary_size
        self.embedding_dim, self.sequence_length = embedding_dim, sequence_length
        self.num_layers, self.bidirectional = num_layers, bidirectional
        self.skip_connections, self.classes, self.dropout = skip_connections, classes, dropout
        self.vocabulary, self.level, self.unroll = vocabulary, level, unroll
        # Saved with the model (.keras assets, SavedModel table): strings are tokenised in-graph.
        self.tokenizer = (text_tokenizer(vocabulary, level, sequence_length)
                          if vocabulary is not None else None)

    def get_config(self):
        return {"cell": self.cell, "units": self.units, "vocabulary_size": self.vocabulary_size,
                "embedding_dim": self.embedding_dim, "sequence_length": self.sequence_length,
                "num_layers": self.num_layers, "bidirectional": self.bidirectional,
                "skip_connections": self.skip_connections, "classes": self.classes,
                "dropout": self.dropout, "vocabulary": self.vocabulary, "level": self.level,
                "unroll": self.unroll, "name": self.name}


@keras.saving.register_keras_serializable(package="keras_zoo")
class RNNLanguageModel(keras.Model):
    """A recurrent (character) language model: ``p(x_{t+1} | x_1..x_t)`` at every step.

    Input ``tokens`` int32 ``[B, T]``; output next-token logits ``[B, T, V]``. The vocabulary is
    saved with the model; the serving signature takes raw strings.

    Args:
        vocabulary: token list starting ``["", "[UNK]"]`` (``keras_zoo.data.text``).
        cell: ``"elman"``, ``"jordan"``, ``"lstm"`` or ``"gru"``.
        units: recurrent width.
        embedding_dim: token embedding width.
        sequence_length: fixed input length (``None``: any).
        num_layers: stacked layers; with ``skip_connections`` the deep RNN of Graves 2013
            (input to every layer, every layer to the output).
        skip_connections: see ``num_layers``.
        dropout: input dropout of each recurrent layer.
        level: ``"char"`` or ``"word"``.
        vocabulary_size: implied by ``vocabulary`` (kept for the config).
        unroll: as in ``RNNClassifier``.
    """

    def __init__(self, vocabulary=None, cell="lstm", units=256, embedding_dim=64,
                 sequence_length=None, num_layers=1, skip_connections=False, dropout=0.0,
                 level="char", vocabulary_size=None, unroll=None, name=None, **kwargs):
        owner = "RNNLanguageModel"
        _common_checks(owner, cell, units, embedding_dim, num_layers, sequence_length, dropout)
        check_choice(owner, "level", level, ("word", "char"))
        if vocabulary is None:
            raise ValueError(f"{owner}: vocabulary is required (it is served with the model), "
                             "e.g. keras_zoo.data.text.char_vocabulary(corpus('train')).")
        vocabulary, vocabulary_size = resolve_vocabulary(owner, vocabulary, vocabulary_size)
        # === Functional Model ===
        tokens = keras.Input((sequence_length,), dtype="int32", name="tokens")
        # No mask: a causal model's outputs before the padding do not depend on it.
        x = keras.layers.Embedding(vocabulary_size, embedding_dim, name="embedding")(tokens)
        unroll = resolve_unroll(unroll, sequence_length)
        x = rnn_stack(x, cell, units, num_layers, False, skip_connections, True, dropout, unroll)
        logits = keras.layers.Dense(vocabulary_size, name="logits")(x)
        super().__init__(tokens, logits, name=name or f"{cell}_lm", **kwargs)
        # === Config ===
        self.vocabulary, self.cell, self.units = vocabulary, cell, units
        self.embedding_dim, self.sequence_length = embedding_dim, sequence_length
        self.num_layers, self.skip_connections = num_layers, skip_connections
        self.dropout, self.level, self.vocabulary_size = dropout, level, vocabulary_size
        self.unroll = unroll
        self.tokenizer = text_tokenizer(vocabulary, level, sequence_length)

    def get_config(self):
        return {"vocabulary": self.vocabulary, "cell": self.cell, "units": self.units,
                "embedding_dim": self.embedding_dim, "sequence_length": self.sequence_length,
                "num_layers": self.num_layers, "skip_connections": self.skip_connections,
                "dropout": self.dropout, "level": self.level,
                "vocabulary_size": self.vocabulary_size, "unroll": self.unroll,
                "name": self.name}


def default_char_vocabulary(max_tokens=None):
    """The character vocabulary of the embedded corpus's training split."""
    from keras_zoo.data import text

    return text.char_vocabulary(text.corpus("train"), max_tokens=max_tokens)


def CharLanguageModel(cell="lstm", vocabulary=None, max_tokens=None, **kwargs):
    """``RNNLanguageModel`` over the embedded corpus's characters unless ``vocabulary`` is given.

    Args:
        cell: the recurrent cell.
        vocabulary: a token list; default: ``default_char_vocabulary(max_tokens)``.
        max_tokens: vocabulary size cap for the default vocabulary.
        **kwargs: ``RNNLanguageModel`` arguments.
    """
    if vocabulary is None:
        vocabulary = default_char_vocabulary(max_tokens)
    return RNNLanguageModel(vocabulary=vocabulary, cell=cell, level="char", **kwargs)


def default_word_vocabulary(max_tokens=2000):
    from keras_zoo.data import text

    return text.word_vocabulary(text.labelled_corpus("train")[0], max_tokens=max_tokens)


def TextClassifier(cell="lstm", vocabulary=None, max_tokens=2000, classes=3, **kwargs):
    """``RNNClassifier`` over words of the embedded docstring corpus (3 kinds: module, class,
    function docstrings) unless ``vocabulary`` is given; serves raw strings."""
    if vocabulary is None:
        vocabulary = default_word_vocabulary(max_tokens)
    return RNNClassifier(cell=cell, vocabulary=vocabulary, level="word", classes=classes,
                         **kwargs)


# === Registry ===
_PAPERS = {
    "elman": "Elman, Finding Structure in Time, Cognitive Science 1990",
    "jordan": "Jordan, Serial Order: A Parallel Distributed Processing Approach, 1986",
    "lstm": "Hochreiter & Schmidhuber, Long Short-Term Memory, Neural Computation 1997",
    "gru": "Cho et al., Learning Phrase Representations using RNN Encoder-Decoder, EMNLP 2014",
}
_TINY = {"units": 16, "embedding_dim": 8, "sequence_length": 12}
_PARENS = {"vocabulary_size": 5, "classes": 2}

#: Why the Elman and Jordan classifiers do not quantise (LSTM and GRU do).
_SELECT_INT8_DEBT = (
    "int8 conversion fails: the masked recurrence step selects between the new and the carried "
    "tanh state (tfl.select_v2), which requires both to share one quantisation scale, and the "
    "converter gives them different ones; LSTM and GRU classifiers quantise")



def _classifier_configs(cell):
    return dict(tiny={"cell": cell, **_TINY, **_PARENS},
                canonical={"cell": cell, "units": 128, "embedding_dim": 64,
                           "sequence_length": 64, **_PARENS},
                paper=_PAPERS[cell])


_CLASSIFIER = dict(task="sequence_classification", family="rnn", data="balanced_parentheses",
                   recipe="sequence")
register("elman_classifier", debts={"int8": _SELECT_INT8_DEBT}, **_classifier_configs("elman"),
         **_CLASSIFIER)(RNNClassifier)
register("jordan_classifier", debts={"int8": _SELECT_INT8_DEBT}, **_classifier_configs("jordan"),
         **_CLASSIFIER)(RNNClassifier)
register("lstm_classifier", **_classifier_configs("lstm"), **_CLASSIFIER)(RNNClassifier)
register("gru_classifier", **_classifier_configs("gru"), **_CLASSIFIER)(RNNClassifier)

register("bilstm_classifier", task="sequence_classification", family="rnn",
         tiny={"cell": "lstm", "bidirectional": True, **_TINY, **_PARENS},
         canonical={"cell": "lstm", "bidirectional": True, "units": 128, "sequence_length": 64,
                    **_PARENS},
         data="balanced_parentheses", recipe="sequence",
         paper="Schuster & Paliwal, Bidirectional Recurrent Neural Networks, 1997")(RNNClassifier)

register("deep_lstm_classifier", task="sequence_classification", family="rnn",
         # tiny: two layers, the second reading the input skip (a third repeated the second).
         tiny={"cell": "lstm", "num_layers": 2, "skip_connections": True, **_TINY, **_PARENS},
         canonical={"cell": "lstm", "num_layers": 3, "skip_connections": True, "units": 128,
                    "sequence_length": 64, **_PARENS},
         data="balanced_parentheses", recipe="sequence",
         paper="Graves, Generating Sequences With Recurrent Neural Networks, 2013")(RNNClassifier)

register("lstm_text_classifier", task="text_classification", family="rnn",
         tiny={"cell": "lstm", "units": 16, "embedding_dim": 8, "sequence_length": 32,
               "max_tokens": 500},
         canonical={"cell": "lstm", "units": 128, "embedding_dim": 64, "sequence_length": 128,
                    "max_tokens": 2000},
         data="stdlib_docstrings", recipe="sequence", paper=_PAPERS["lstm"],
         debts={"tflite": STRING_TFLITE_DEBT, "int8": STRING_TFLITE_DEBT},
         notes="Serves raw strings; words over sequence_length are truncated.")(TextClassifier)

_LM_TINY = {"units": 16, "embedding_dim": 8, "sequence_length": 16, "max_tokens": 40}


def _lm_configs(cell):
    return dict(tiny={"cell": cell, **_LM_TINY},
                canonical={"cell": cell, "units": 512, "embedding_dim": 64,
                           "sequence_length": 128},
                paper=_PAPERS[cell])


_LM = dict(task="language_model", family="rnn", data="stdlib_docstrings", recipe="sequence",
           debts={"tflite": STRING_TFLITE_DEBT, "int8": STRING_TFLITE_DEBT},
           notes="Serves raw strings; characters over sequence_length are truncated.")
register("elman_char_lm", **_lm_configs("elman"), **_LM)(CharLanguageModel)
register("lstm_char_lm", **_lm_configs("lstm"), **_LM)(CharLanguageModel)
register("gru_char_lm", **_lm_configs("gru"), **_LM)(CharLanguageModel)

register("deep_lstm_char_lm", task="language_model", family="rnn",
         tiny={"cell": "lstm", "num_layers": 2, "skip_connections": True, **_LM_TINY},
         canonical={"cell": "lstm", "num_layers": 3, "skip_connections": True, "units": 400,
                    "sequence_length": 100},
         data="stdlib_docstrings", recipe="sequence",
         paper="Graves, Generating Sequences With Recurrent Neural Networks, 2013",
         debts={"tflite": STRING_TFLITE_DEBT, "int8": STRING_TFLITE_DEBT})(CharLanguageModel)

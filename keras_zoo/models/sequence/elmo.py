"""ELMo (Peters et al., Deep Contextualized Word Representations, NAACL 2018): a character CNN
token encoder (Kim et al. 2016: char embeddings, convolutions of several widths, max-over-time,
highway layers, projection), a bidirectional LSTM language model (L forward and L backward
layers with a residual connection between layers; the forward LM predicts the next word, the
backward LM the previous word), and the task-specific learned layer mix

    ELMo_k = gamma * sum_{j=0..L} s_j h_{k,j},   s = softmax(w)   (eq. 1),

where h_{k,0} is the token encoding (duplicated for both directions) and h_{k,j} = [f_j; b_j].

The paper's model (section 3.4 and its released "original" weights): 2048 character filters
(widths 1-7: 32, 32, 64, 128, 256, 512, 1024), 2 highway layers, a 512 projection, and 2 layers
per direction of LSTMs with 4096 cells projected to 512 (Sak et al. 2014's LSTMP, ``LSTMPCell``,
with cell and projection clipping at 3), 93.6M parameters without the word softmax (its softmax
over the 793,471 words of the 1B Word Benchmark was discarded after pre-training).
"""

from __future__ import annotations

import keras
import numpy as np

from keras_zoo.models.registry import register
from keras_zoo.models.sequence._common import check_int

#: Character ids: 0 padding, 1 beginning of word, 2 end of word, 3 + (byte value).
BOW, EOW, CHAR_OFFSET = 1, 2, 3
CHAR_VOCABULARY_SIZE = CHAR_OFFSET + 256


def char_ids(sentences, max_chars=12, sequence_length=None):
    """Words -> int32 ``[N, T, max_chars]``: ``<bow> utf-8 bytes <eow>`` padded with 0, each word
    truncated to ``max_chars - 2`` bytes; sentences padded/truncated to ``sequence_length``."""
    check_int("char_ids", "max_chars", max_chars, minimum=3)
    sequence_length = sequence_length or max(len(s) for s in sentences)
    out = np.zeros((len(sentences), sequence_length, max_chars), np.int32)
    for i, words in enumerate(sentences):
        for t, word in enumerate(words[:sequence_length]):
            data = [CHAR_OFFSET + b for b in word.encode("utf-8")[:max_chars - 2]]
            ids = [BOW] + data + [EOW]
            out[i, t, :len(ids)] = ids
    return out


@keras.saving.register_keras_serializable(package="keras_zoo")
class ScalarMix(keras.layers.Layer):
    """ELMo's layer mix: ``gamma * sum_j softmax(w)_j h_j`` over a list of equal-shape tensors.

    Args:
        num_layers: how many representations are mixed (L + 1).
    """

    def __init__(self, num_layers, **kwargs):
        super().__init__(**kwargs)
        check_int("ScalarMix", "num_layers", num_layers)
        self.num_layers = num_layers

    def build(self, input_shape):
        self.w = self.add_weight(name="w", shape=(self.num_layers,), initializer="zeros")
        self.gamma = self.add_weight(name="gamma", shape=(), initializer="ones")

    def call(self, inputs):
        if len(inputs) != self.num_layers:
            raise ValueError(f"ScalarMix: expected {self.num_layers} inputs, got {len(inputs)}.")
        s = keras.ops.softmax(self.w)
        return self.gamma * sum(s[j] * inputs[j] for j in range(self.num_layers))

    def get_config(self):
        return {**super().get_config(), "num_layers": self.num_layers}


@keras.saving.register_keras_serializable(package="keras_zoo")
class LSTMPCell(keras.layers.Layer):
    """An LSTM cell with a recurrent projection (Sak, Senior & Beaufays, Long Short-Term Memory
    Recurrent Neural Network Architectures for Large Scale Acoustic Modeling, 2014), as in
    ELMo's biLM: ``c_t = f * c_{t-1} + i * g`` (clipped to ``[-cell_clip, cell_clip]``),
    ``r_t = W_p (o * tanh(c_t))`` (clipped to ``[-projection_clip, projection_clip]``); the gates
    read ``[x_t, r_{t-1}]``. Use inside ``keras.layers.RNN``.

    Parameters: ``4 n (m + p) + 4 n`` gates (one bias) plus ``n p`` projection (no bias), for
    input width m, n cells and projection p.

    Args:
        units: n, the memory cells.
        projection_dim: p, the output and recurrent state width.
        cell_clip: clip of the cell state (``None``: no clip; 3 in ELMo).
        projection_clip: clip of the projected output (``None``: no clip; 3 in ELMo).
    """

    def __init__(self, units, projection_dim, cell_clip=None, projection_clip=None, **kwargs):
        super().__init__(**kwargs)
        check_int("LSTMPCell", "units", units)
        check_int("LSTMPCell", "projection_dim", projection_dim)
        for arg, value in (("cell_clip", cell_clip), ("projection_clip", projection_clip)):
            if value is not None and (not isinstance(value, (int, float)) or value <= 0):
                raise ValueError(f"LSTMPCell: {arg} must be a positive number or None, "
                                 f"got {value!r}.")
        self.units, self.projection_dim = units, projection_dim
        self.cell_clip, self.projection_clip = cell_clip, projection_clip
        self.state_size = [projection_dim, units]
        self.output_size = projection_dim

    def build(self, input_shape):
        n = self.units
        self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], 4 * n),
                                      initializer="glorot_uniform")
        self.recurrent_kernel = self.add_weight(name="recurrent_kernel",
                                                shape=(self.projection_dim, 4 * n),
                                                initializer="orthogonal")
        # The forget gate starts open (Jozefowicz et al. 2015), as Keras' unit_forget_bias.
        bias = np.zeros(4 * n, np.float32)
        bias[n:2 * n] = 1.0
        self.bias = self.add_weight(name="bias", shape=(4 * n,),
                                    initializer=keras.initializers.Constant(bias))
        self.projection = self.add_weight(name="projection", shape=(n, self.projection_dim),
                                          initializer="glorot_uniform")

    def call(self, inputs, states, training=False):
        ops = keras.ops
        r, c = states[0], states[1]
        z = ops.matmul(inputs, self.kernel) + ops.matmul(r, self.recurrent_kernel) + self.bias
        i, f, g, o = ops.split(z, 4, axis=-1)  # Keras' gate order
        c = ops.sigmoid(f) * c + ops.sigmoid(i) * ops.tanh(g)
        if self.cell_clip is not None:
            c = ops.clip(c, -self.cell_clip, self.cell_clip)
        r = ops.matmul(ops.sigmoid(o) * ops.tanh(c), self.projection)
        if self.projection_clip is not None:
            r = ops.clip(r, -self.projection_clip, self.projection_clip)
        return r, [r, c]

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "projection_dim": self.projection_dim, "cell_clip": self.cell_clip,
                "projection_clip": self.projection_clip}


def _recurrent_layer(lstm_units, projection_dim, cell_clip, projection_clip, name):
    """A plain LSTM of ``projection_dim`` units, or an LSTMP of ``lstm_units`` cells."""
    if lstm_units is None:
        return keras.layers.LSTM(projection_dim, return_sequences=True, unroll=True, name=name)
    cell = LSTMPCell(lstm_units, projection_dim, cell_clip, projection_clip, name=f"{name}_cell")
    return keras.layers.RNN(cell, return_sequences=True, unroll=True, name=name)


def char_cnn(chars, max_chars, char_dim, filters, highway_layers, projection_dim):
    """Kim et al. (2016)'s token encoder on ``[B, T, max_chars]`` ids -> ``[B, T, D]``."""
    t = chars.shape[1]
    x = keras.layers.Embedding(CHAR_VOCABULARY_SIZE, char_dim, name="char_embedding")(chars)
    pooled = []
    for width, n in filters:
        c = keras.layers.Conv2D(n, (1, width), activation="relu", name=f"char_conv{width}")(x)
        pooled.append(keras.layers.MaxPooling2D((1, max_chars - width + 1),
                                                name=f"char_pool{width}")(c))
    h = keras.layers.Concatenate(name="char_features")(pooled)
    h = keras.layers.Reshape((t, sum(n for _, n in filters)), name="word_features")(h)
    width = h.shape[-1]
    for i in range(highway_layers):  # y = g * relu(W_h x) + (1 - g) * x, g = sigmoid(W_g x)
        transform = keras.layers.Dense(width, activation="relu", name=f"highway{i}_h")(h)
        gate = keras.layers.Dense(width, activation="sigmoid", name=f"highway{i}_gate",
                                  bias_initializer=keras.initializers.Constant(-1.0))(h)
        carry = keras.layers.Multiply(name=f"highway{i}_carry")([keras.ops.subtract(1.0, gate),
                                                                 h])
        h = keras.layers.Add(name=f"highway{i}")([
            keras.layers.Multiply(name=f"highway{i}_transform")([gate, transform]), carry])
    return keras.layers.Dense(projection_dim, name="token_projection")(h)


@keras.saving.register_keras_serializable(package="keras_zoo")
class ELMoBiLM(keras.Model):
    """The ELMo bidirectional language model.

    Input ``chars`` int32 ``[B, T, max_chars]`` (``char_ids``); outputs ``{"forward": [B, T, V]
    logits of word t+1, "backward": [B, T, V] logits of word t-1}``. ``embedder()`` returns a
    model from ``chars`` to the learned mix ``[B, T, 2 units]`` (its ``ScalarMix`` is trained
    with the downstream task).

    Args:
        word_vocabulary_size: V, the softmax's words.
        sequence_length: T.
        max_chars: characters per word (with <bow>, <eow>).
        char_dim: character embedding width.
        filters: ``((width, count), ...)`` of the character convolutions.
        highway_layers: highway layers after the convolutions.
        projection_dim: token encoding width, and every LSTM layer's output width (the
            residual connections and the mix need them equal).
        num_layers: L, LSTM layers per direction.
        lstm_units: ``None``: plain LSTMs of ``projection_dim`` units; an int: LSTMP layers
            with that many cells projected to ``projection_dim`` (4096 in the paper).
        cell_clip, projection_clip: the LSTMP clips (3 in the paper; ignored without
            ``lstm_units``).
    """

    def __init__(self, word_vocabulary_size, sequence_length, max_chars=12, char_dim=16,
                 filters=((1, 32), (2, 32), (3, 64)), highway_layers=1, projection_dim=128,
                 num_layers=2, lstm_units=None, cell_clip=None, projection_clip=None,
                 name=None, **kwargs):
        owner = "ELMoBiLM"
        for arg, value in (("sequence_length", sequence_length), ("max_chars", max_chars),
                           ("char_dim", char_dim), ("projection_dim", projection_dim),
                           ("num_layers", num_layers)):
            check_int(owner, arg, value)
        check_int(owner, "highway_layers", highway_layers, minimum=0)
        check_int(owner, "word_vocabulary_size", word_vocabulary_size, minimum=2)
        check_int(owner, "lstm_units", lstm_units, optional=True)
        filters = tuple(tuple(f) for f in filters)
        if any(w > max_chars for w, _ in filters):
            raise ValueError(f"{owner}: filter widths {filters} exceed max_chars={max_chars}.")
        chars = keras.Input((sequence_length, max_chars), dtype="int32", name="chars")
        x = char_cnn(chars, max_chars, char_dim, filters, highway_layers, projection_dim)
        # The backward LM reads the reversed sentence; its states are flipped back to align.
        forward, backward = x, keras.ops.flip(x, axis=1)
        state_layers = []
        for j in range(num_layers):
            f = _recurrent_layer(lstm_units, projection_dim, cell_clip, projection_clip,
                                 f"forward_lstm{j + 1}")(forward)
            b = _recurrent_layer(lstm_units, projection_dim, cell_clip, projection_clip,
                                 f"backward_lstm{j + 1}")(backward)
            if j > 0:  # residual connection between LSTM layers (section 3.4)
                f = keras.layers.Add(name=f"forward_residual{j + 1}")([forward, f])
                b = keras.layers.Add(name=f"backward_residual{j + 1}")([backward, b])
            forward, backward = f, b
            state_layers.append((f._keras_history[0].name, b._keras_history[0].name))
        softmax = keras.layers.Dense(word_vocabulary_size, name="word_softmax")  # shared
        outputs = {"forward": softmax(forward),
                   "backward": keras.ops.flip(softmax(backward), axis=1)}
        super().__init__(chars, outputs, name=name or "elmo_bilm", **kwargs)
        self._state_layers = state_layers
        self._config = {"word_vocabulary_size": word_vocabulary_size,
                        "sequence_length": sequence_length, "max_chars": max_chars,
                        "char_dim": char_dim, "filters": filters,
                        "highway_layers": highway_layers, "projection_dim": projection_dim,
                        "num_layers": num_layers, "lstm_units": lstm_units,
                        "cell_clip": cell_clip, "projection_clip": projection_clip}

    def get_config(self):
        return {**self._config, "name": self.name}

    def layer_outputs(self):
        """The biLM's representations ``[h_0, ..., h_L]`` (symbolic, each ``[B, T, 2 p]``):
        the token encoding duplicated, then ``[f_j; b_j]`` with the backward states aligned."""
        x = self.get_layer("token_projection").output
        layers = [keras.layers.Concatenate(name="layer0")([x, x])]
        for j, (f, b) in enumerate(self._state_layers):
            layers.append(keras.layers.Concatenate(name=f"layer{j + 1}")(
                [self.get_layer(f).output, keras.ops.flip(self.get_layer(b).output, axis=1)]))
        return layers

    def embedder(self, name="elmo"):
        """``chars -> gamma * sum_j s_j h_j``: the ELMo representation with a fresh mix."""
        mix = ScalarMix(self._config["num_layers"] + 1, name="scalar_mix")(self.layer_outputs())
        return keras.Model(self.input, mix, name=name)


#: The paper's biLM (section 3.4; AllenNLP's "original" options file).
ELMO_ORIGINAL = {"word_vocabulary_size": 793471, "sequence_length": 20, "max_chars": 50,
                 "char_dim": 16,
                 "filters": ((1, 32), (2, 32), (3, 64), (4, 128), (5, 256), (6, 512), (7, 1024)),
                 "highway_layers": 2, "projection_dim": 512, "num_layers": 2, "lstm_units": 4096,
                 "cell_clip": 3.0, "projection_clip": 3.0}


def bilm_parameters_without_softmax(max_chars=50, char_dim=16, filters=ELMO_ORIGINAL["filters"],
                                    highway_layers=2, projection_dim=512, num_layers=2,
                                    lstm_units=4096, **unused):
    """The paper's count by formula (char CNN, highway, projection, 2 L LSTMP layers): 93.6M
    for the original model. Pinned against the built model in tests/models/sequence/test_elmo.py.
    """
    width = sum(n for _, n in filters)
    cnn = CHAR_VOCABULARY_SIZE * char_dim + sum(w * char_dim * n + n for w, n in filters)
    highway = highway_layers * 2 * (width * width + width)
    projection = width * projection_dim + projection_dim
    n, p = lstm_units, projection_dim
    lstmp = 4 * n * (p + p) + 4 * n + n * p
    return cnn + highway + projection + 2 * num_layers * lstmp


def _softmax_parameters(config):
    return (config["projection_dim"] + 1) * config["word_vocabulary_size"]


register("elmo", task="bidirectional_language_model", family="elmo",
         tiny={"word_vocabulary_size": 64, "sequence_length": 6, "max_chars": 8, "char_dim": 4,
               # One LSTMP layer per direction keeps the battery's fit fast (the residual
               # between layers is tested in tests/models/sequence/test_elmo.py).
               "filters": ((1, 4), (2, 4)), "highway_layers": 1, "projection_dim": 8,
               "num_layers": 1, "lstm_units": 16, "cell_clip": 3.0, "projection_clip": 3.0},
         canonical=ELMO_ORIGINAL,
         # Counted by formula: building the 793,471-word softmax takes 1.6 GB.
         params=bilm_parameters_without_softmax(**ELMO_ORIGINAL)
         + _softmax_parameters(ELMO_ORIGINAL),
         data="stdlib_docstrings", recipe="elmo",
         debts={"int8": "int8 TFLite distorts the biLM's LSTM states, which are small in the "
                        "barely trained tiny model (mean |h| 0.012): converted alone, the forward "
                        "and backward LSTM outputs are off by 15% and 10% of their mean "
                        "magnitude, their concatenation [f; flip(b)] by 40%, and in the served "
                        "stack of layers by 1.8x (the token layer by 1.4%); plain keras LSTMs "
                        "instead of LSTMP do no better (0.9x). Float TFLite passes."},
         paper="Peters et al., Deep Contextualized Word Representations, NAACL 2018",
         notes="93,600,816 parameters without the word softmax (the paper's 93.6M; AllenNLP "
               "counts 48 more: 262 character ids, ours 259); the softmax over the 1B Word "
               "Benchmark's 793,471 words adds 407,050,623.")(ELMoBiLM)

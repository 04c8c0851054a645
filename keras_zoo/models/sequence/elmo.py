"""ELMo (Peters et al., Deep Contextualized Word Representations, NAACL 2018): a character CNN
token encoder (Kim et al. 2016: char embeddings, convolutions of several widths, max-over-time,
highway layers, projection), a bidirectional LSTM language model (L forward and L backward
layers with a residual connection between layers; the forward LM predicts the next word, the
backward LM the previous word), and the task-specific learned layer mix

    ELMo_k = gamma * sum_{j=0..L} s_j h_{k,j},   s = softmax(w)   (eq. 1),

where h_{k,0} is the token encoding (duplicated for both directions) and h_{k,j} = [f_j; b_j].
"""

from __future__ import annotations

import keras
import numpy as np

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
        projection_dim: token encoding width (= units, for the residual and the mix).
        num_layers: L, LSTM layers per direction.
    """

    def __init__(self, word_vocabulary_size, sequence_length, max_chars=12, char_dim=16,
                 filters=((1, 32), (2, 32), (3, 64)), highway_layers=1, projection_dim=128,
                 num_layers=2, name=None, **kwargs):
        owner = "ELMoBiLM"
        for arg, value in (("sequence_length", sequence_length), ("max_chars", max_chars),
                           ("char_dim", char_dim), ("projection_dim", projection_dim),
                           ("num_layers", num_layers)):
            check_int(owner, arg, value)
        check_int(owner, "highway_layers", highway_layers, minimum=0)
        check_int(owner, "word_vocabulary_size", word_vocabulary_size, minimum=2)
        filters = tuple(tuple(f) for f in filters)
        if any(w > max_chars for w, _ in filters):
            raise ValueError(f"{owner}: filter widths {filters} exceed max_chars={max_chars}.")
        chars = keras.Input((sequence_length, max_chars), dtype="int32", name="chars")
        x = char_cnn(chars, max_chars, char_dim, filters, highway_layers, projection_dim)
        units = projection_dim
        # The backward LM reads the reversed sentence; its states are flipped back to align.
        forward, backward = x, keras.ops.flip(x, axis=1)
        state_layers = []
        for j in range(num_layers):
            f = keras.layers.LSTM(units, return_sequences=True, unroll=True,
                                  name=f"forward_lstm{j + 1}")(forward)
            b = keras.layers.LSTM(units, return_sequences=True, unroll=True,
                                  name=f"backward_lstm{j + 1}")(backward)
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
                        "num_layers": num_layers}

    def get_config(self):
        return {**self._config, "name": self.name}

    def embedder(self, name="elmo"):
        """``chars -> gamma * sum_j s_j h_j``: the ELMo representation with a fresh mix."""
        x = self.get_layer("token_projection").output
        layers = [keras.layers.Concatenate(name="layer0")([x, x])]
        for j, (f, b) in enumerate(self._state_layers):
            layers.append(keras.layers.Concatenate(name=f"layer{j + 1}")(
                [self.get_layer(f).output, keras.ops.flip(self.get_layer(b).output, axis=1)]))
        mix = ScalarMix(len(layers), name="scalar_mix")(layers)
        return keras.Model(self.input, mix, name=name)

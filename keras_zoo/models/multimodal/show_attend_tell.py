"""Show, Attend and Tell (Xu et al., Show, Attend and Tell: Neural Image Caption Generation with
Visual Attention, ICML 2015): a CNN's feature map is the set of annotation vectors; an LSTM
whose previous state queries them by soft attention emits the caption word by word.

Trained by plain ``fit`` on ``keras_zoo.data.captions`` (teacher forcing); the loss is the
caption's cross-entropy plus the doubly stochastic regularisation
``lambda sum_i (1 - sum_t alpha_ti)^2`` (section 4.2.1, eq. 14). ``greedy_decode`` decodes in the
graph with static shapes.
"""

from __future__ import annotations

import keras
from keras import ops

from keras_zoo.data import captions as captions_data
from keras_zoo.layers.attention_lstm_decoder import AttentionLSTMDecoder
from keras_zoo.models.multimodal.image_text import conv_stages
from keras_zoo.models.registry import register


def _check_positive(owner, name, value):
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{owner}: {name} must be a positive int, got {value!r}.")


def deep_output(words, hidden, context, vocabulary_size, dropout=0.0):
    """The deep output layer (eq. 7): logits ``L_o(E y_{t-1} + L_h h_t + L_z z_t)``, with
    dropout on L_o's input; layers ``L_h``, ``L_z``, ``L_o`` (greedy decoding calls them)."""
    width = words.shape[-1]
    deep = keras.layers.Add(name="deep_output")([
        words, keras.layers.Dense(width, name="L_h")(hidden),
        keras.layers.Dense(width, name="L_z")(context)])
    deep = keras.layers.Dropout(dropout, name="deep_dropout")(deep)
    return keras.layers.Dense(vocabulary_size, name="L_o")(deep)


@keras.saving.register_keras_serializable(package="keras_zoo")
class ShowAttendTell(keras.Model):
    """Inputs ``{"image": float32 [B, H, W, 3] in [0, 1], "tokens": int32 [B, T]}`` (the caption
    from ``[START]``, without its last token); outputs ``{"logits": [B, T, V], "attention":
    [B, T, L]}`` (next-word logits; the attention of each step over the L = h x w locations of
    the feature map).

    Args:
        input_shape: the image's ``(H, W, 3)``.
        filters: the encoder's conv widths (two 3x3 convs, then 2x2 max-pool, per stage; the
            paper uses VGG's conv5_4, 14 x 14 x 512, of a 224 image).
        units: LSTM width (paper: 1800 on Flickr30k, 1000 otherwise in the authors' code).
        embedding_dim: word embedding width m.
        attention_units: the attention MLP's width.
        caption_length: tokens per caption including ``[START]`` and ``[END]``; T is one less.
        vocabulary_size: V.
        doubly_stochastic: lambda of eq. 14 (0 turns it off).
        gate: the gating scalar beta of section 4.2.1.
        dropout: dropout on the deep-output layer's input.
    """

    def __init__(self, input_shape=(32, 32, 3), filters=(32, 64), units=128, embedding_dim=64,
                 attention_units=64, caption_length=captions_data.CAPTION_LENGTH,
                 vocabulary_size=captions_data.VOCABULARY_SIZE, doubly_stochastic=1.0,
                 gate=True, dropout=0.0, name=None, **kwargs):
        owner = "ShowAttendTell"
        input_shape = tuple(input_shape)
        if len(input_shape) != 3 or input_shape[-1] != 3:
            raise ValueError(f"{owner}: input_shape must be (H, W, 3), got {input_shape}.")
        filters = tuple(filters)
        for value in filters:
            _check_positive(owner, "filters", value)
        for arg, value in (("units", units), ("embedding_dim", embedding_dim),
                           ("attention_units", attention_units)):
            _check_positive(owner, arg, value)
        if not isinstance(caption_length, int) or caption_length < 3:
            raise ValueError(f"{owner}: caption_length must be an int >= 3, got "
                             f"{caption_length!r}.")
        _check_positive(owner, "vocabulary_size", vocabulary_size)
        if float(doubly_stochastic) < 0:
            raise ValueError(f"{owner}: doubly_stochastic must be >= 0, got {doubly_stochastic}.")
        if not 0.0 <= float(dropout) < 1.0:
            raise ValueError(f"{owner}: dropout must be in [0, 1), got {dropout!r}.")
        steps = caption_length - 1
        image = keras.Input(input_shape, name="image")
        tokens = keras.Input((steps,), dtype="int32", name="tokens")
        x = conv_stages(image, filters, "encoder")
        h, w = x.shape[1], x.shape[2]
        annotations = keras.layers.Reshape((h * w, filters[-1]), name="annotations")(x)
        words = keras.layers.Embedding(vocabulary_size, embedding_dim,
                                       name="word_embedding")(tokens)
        hidden, context, alpha = AttentionLSTMDecoder(units, attention_units, gate=gate,
                                                      name="decoder")([words, annotations])
        logits = deep_output(words, hidden, context, vocabulary_size, dropout)
        attention = keras.layers.Identity(name="attention")(alpha)
        super().__init__({"image": image, "tokens": tokens},
                         {"logits": logits, "attention": attention},
                         name=name or "show_attend_tell", **kwargs)
        self.caption_length, self.vocabulary_size = caption_length, vocabulary_size
        self.feature_size = (h, w)
        self.doubly_stochastic = float(doubly_stochastic)
        self._config = {"input_shape": input_shape, "filters": filters, "units": units,
                        "embedding_dim": embedding_dim, "attention_units": attention_units,
                        "caption_length": caption_length, "vocabulary_size": vocabulary_size,
                        "doubly_stochastic": float(doubly_stochastic), "gate": bool(gate),
                        "dropout": float(dropout)}

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """Masked next-word cross-entropy + lambda sum_i (1 - sum_t alpha_ti)^2 (eq. 14)."""
        mask = ops.cast(ops.not_equal(y, captions_data.PAD), "float32")
        nll = keras.losses.sparse_categorical_crossentropy(y, y_pred["logits"],
                                                           from_logits=True)
        loss = ops.sum(nll * mask) / ops.maximum(ops.sum(mask), 1.0)
        if self.doubly_stochastic:
            # Sum over the words of the caption only: padding steps attend nowhere.
            coverage = ops.sum(y_pred["attention"] * mask[:, :, None], axis=1)
            loss = loss + self.doubly_stochastic * ops.mean(
                ops.sum(ops.square(1.0 - coverage), axis=-1))
        return loss

    def get_config(self):
        return {**self._config, "name": self.name}

    def greedy_decode(self, images):
        """Greedy captions of ``images`` in the graph: ``(tokens, scores, attention)``."""
        return greedy_decode(self, images)


def greedy_decode(model, images):
    """Greedy captions in the graph: the image is encoded once, then T decoder steps, each fed
    the previous step's argmax word (static shapes, unrolled: TFLite builtins only).

    Args:
        model: a ``ShowAttendTell``.
        images: float32 ``[B, H, W, 3]`` in [0, 1].

    Returns:
        ``(tokens [B, T] int32, scores [B, T], attention [B, T, L])``: the chosen word of each
        step (``[END]`` and what follows it are to be cut by the caller), its probability, and
        the attention that produced it.
    """
    return decode_annotations(model, annotation_encoder(model, "image")(images))


def annotation_encoder(model, input_name):
    """The model's encoder, ``input_name`` -> its ``annotations`` layer's output."""
    inputs = [t for t in model.inputs if t.name == input_name]
    if not inputs:
        raise ValueError(f"{model.name}: no input named {input_name!r}.")
    return keras.Model(inputs[0], model.get_layer("annotations").output)


def decode_annotations(model, annotations):
    """Greedy words from the annotation vectors ``[B, L, D]``: T decoder steps, each fed the
    previous argmax word; returns ``(tokens, scores, attention)`` as ``greedy_decode``."""
    import tensorflow as tf

    embed, decoder = model.get_layer("word_embedding"), model.get_layer("decoder")
    l_h, l_z, l_o = model.get_layer("L_h"), model.get_layer("L_z"), model.get_layer("L_o")
    state = decoder.initial_state(annotations)
    word = tf.fill([tf.shape(annotations)[0]], captions_data.START)
    tokens, scores, alphas = [], [], []
    for _ in range(model.caption_length - 1):
        e = embed(word)
        h, state, context, alpha = decoder.step(e, state, annotations)
        probabilities = tf.nn.softmax(l_o(e + l_h(h) + l_z(context)), axis=-1)
        word = tf.argmax(probabilities, axis=-1, output_type=tf.int32)
        tokens.append(word)
        scores.append(tf.reduce_max(probabilities, axis=-1))
        alphas.append(alpha)
    return tf.stack(tokens, 1), tf.stack(scores, 1), tf.stack(alphas, 1)


register("show_attend_tell", task="captioning", family="multimodal",
         tiny={"input_shape": (16, 16, 3), "filters": (8,), "units": 16, "embedding_dim": 8,
               "attention_units": 8, "caption_length": 6},
         canonical={"input_shape": (32, 32, 3), "filters": (32, 64), "units": 128,
                    "embedding_dim": 64, "attention_units": 64},
         data="shape_captions", recipe="show_attend_tell",
         debts={"tflite": "the serving signature returns the caption string, joined in the "
                          "graph: ReduceJoin, StringStrip, StaticRegexReplace and SelectV2 on "
                          "strings are TF Select ops for the converter (measured); the greedy "
                          "token decoder alone converts with builtin ops only (slow test in "
                          "tests/models/multimodal/test_show_attend_tell.py)",
                "int8": "the same string ops as tflite: the serving signature does not "
                        "convert with builtin ops"},
         paper="Xu et al., Show, Attend and Tell: Neural Image Caption Generation with Visual "
               "Attention, ICML 2015",
         notes="Soft (deterministic) attention with the gating scalar and the doubly stochastic "
               "regularisation; the encoder is a small CNN trained from scratch on shapes "
               "captions instead of the paper's pretrained VGG-19 (no pretrained weights are "
               "shipped).")(ShowAttendTell)

"""BERT (Devlin et al., BERT: Pre-training of Deep Bidirectional Transformers for Language
Understanding, NAACL 2019): a post-norm Transformer encoder over token + learned position +
segment embeddings, pre-trained with masked language modelling (MLM) and next-sentence
prediction (NSP), fine-tuned with a classifier on the pooled [CLS] output.

BERT-base (L = 12, H = 768, A = 12, 30,522 WordPiece tokens, 512 positions, 2 segments) has
exactly the parameters of ``keras_hub.models.BertBackbone`` with the same sizes (pinned in
tests/models/sequence/test_bert.py).
"""

from __future__ import annotations

import keras
import keras_hub

from keras_zoo.blocks.transformer import transformer_encoder_block
from keras_zoo.data.sentence_pairs import mask_tokens  # noqa: F401 - BERT's 80/10/10 masking
from keras_zoo.layers.position_encoding import LearnedPositionEmbedding
from keras_zoo.models.composite import DeclaresBackbone
from keras_zoo.models.registry import register
from keras_zoo.models.sequence._common import check_int, check_rate

BERT_BASE = {"vocabulary_size": 30522, "num_layers": 12, "hidden_dim": 768, "num_heads": 12,
             "intermediate_dim": 3072, "max_sequence_length": 512, "num_segments": 2}
def _init():
    # A new initializer per weight: an unseeded Keras initializer draws its seed from Python's
    # `random` when it is constructed, so one made at import time gave weights that differed
    # between processes whatever `keras.utils.set_random_seed` said afterwards.
    return keras.initializers.TruncatedNormal(stddev=0.02)


#: What ``BertClassifier`` reads: the pooled [CLS] token or the mean of the tokens.
POOLINGS = ("cls", "mean")


@keras.saving.register_keras_serializable(package="keras_zoo")
def gelu_approximate(x):
    """GELU's tanh approximation (Hendrycks & Gimpel 2016, section 2), the one the released
    BERT checkpoints (Google's code, keras-hub's ``BertBackbone``) were trained with."""
    return keras.activations.gelu(x, approximate=True)


#: ``activation`` values of the BERT builders: the exact GELU or the released tanh form.
ACTIVATIONS = {"gelu": "gelu", "gelu_approximate": gelu_approximate}


def bert_encoder(token_ids, segment_ids, padding_mask, vocabulary_size, num_layers, hidden_dim,
                 num_heads, intermediate_dim, max_sequence_length, num_segments, dropout,
                 activation="gelu"):
    """The BERT backbone on symbolic inputs: ``(sequence_output [B,T,H], pooled [B,H],
    token_embedding layer)``; the pooled output is ``tanh(W h_[CLS] + b)``. ``activation``:
    a key of ``ACTIVATIONS`` (the feed-forward's)."""
    token_embedding = keras_hub.layers.ReversibleEmbedding(
        vocabulary_size, hidden_dim, tie_weights=True, embeddings_initializer=_init(),
        name="token_embedding")
    x = token_embedding(token_ids)
    position = LearnedPositionEmbedding(max_sequence_length, name="position_embedding")(x)
    segment = keras.layers.Embedding(num_segments, hidden_dim, embeddings_initializer=_init(),
                                     name="segment_embedding")(segment_ids)
    x = keras.layers.Add(name="embeddings_add")([x, position, segment])
    x = keras.layers.LayerNormalization(epsilon=1e-12, name="embeddings_layer_norm")(x)
    x = keras.layers.Dropout(dropout, name="embeddings_dropout")(x)
    # Padded keys get no attention: [B, 1, T] broadcasts over queries and heads.
    attention_mask = keras.ops.expand_dims(keras.ops.cast(padding_mask, "bool"), axis=1)
    for i in range(num_layers):
        x = transformer_encoder_block(x, num_heads, hidden_dim // num_heads, intermediate_dim,
                                      dropout=dropout, norm_first=False,
                                      activation=ACTIVATIONS[activation],
                                      attention_mask=attention_mask, epsilon=1e-12,
                                      name=f"transformer_layer_{i}")
    cls = keras.ops.take(x, 0, axis=1)
    pooled = keras.layers.Dense(hidden_dim, activation="tanh", kernel_initializer=_init(),
                                name="pooled_dense")(cls)
    return x, pooled, token_embedding


def _checks(owner, vocabulary_size, num_layers, hidden_dim, num_heads, intermediate_dim,
            max_sequence_length, num_segments, dropout, sequence_length):
    for arg, value in (("vocabulary_size", vocabulary_size), ("num_layers", num_layers),
                       ("hidden_dim", hidden_dim), ("num_heads", num_heads),
                       ("intermediate_dim", intermediate_dim),
                       ("max_sequence_length", max_sequence_length),
                       ("num_segments", num_segments)):
        check_int(owner, arg, value)
    check_int(owner, "sequence_length", sequence_length, optional=True)
    check_rate(owner, "dropout", dropout)
    if hidden_dim % num_heads:
        raise ValueError(f"{owner}: hidden_dim={hidden_dim} must be divisible by "
                         f"num_heads={num_heads}.")
    if sequence_length is not None and sequence_length > max_sequence_length:
        raise ValueError(f"{owner}: sequence_length={sequence_length} exceeds "
                         f"max_sequence_length={max_sequence_length}.")


@keras.saving.register_keras_serializable(package="keras_zoo")
class BertBackbone(keras.Model):
    """The BERT encoder. Inputs ``token_ids``, ``segment_ids``, ``padding_mask`` (``[B, T]``);
    outputs ``{"sequence_output": [B, T, H], "pooled_output": [B, H]}``.

    Args:
        vocabulary_size: WordPiece vocabulary (30,522 for BERT-base uncased).
        num_layers: L.
        hidden_dim: H.
        num_heads: A.
        intermediate_dim: the feed-forward width (4H).
        max_sequence_length: rows of the position table (512).
        num_segments: segment (sentence A/B) embeddings.
        dropout: dropout of embeddings, attention weights and sub-layer outputs (0.1).
        sequence_length: the fixed input length (``None``: any up to max_sequence_length).
    """

    def __init__(self, vocabulary_size=30522, num_layers=12, hidden_dim=768, num_heads=12,
                 intermediate_dim=3072, max_sequence_length=512, num_segments=2, dropout=0.1,
                 sequence_length=None, name=None, **kwargs):
        _checks("BertBackbone", vocabulary_size, num_layers, hidden_dim, num_heads,
                intermediate_dim, max_sequence_length, num_segments, dropout, sequence_length)
        inputs = {k: keras.Input((sequence_length,), dtype="int32", name=k)
                  for k in ("token_ids", "segment_ids", "padding_mask")}
        seq, pooled, _ = bert_encoder(inputs["token_ids"], inputs["segment_ids"],
                                      inputs["padding_mask"], vocabulary_size, num_layers,
                                      hidden_dim, num_heads, intermediate_dim,
                                      max_sequence_length, num_segments, dropout)
        super().__init__(inputs, {"sequence_output": seq, "pooled_output": pooled},
                         name=name or "bert_backbone", **kwargs)
        self._config = {"vocabulary_size": vocabulary_size, "num_layers": num_layers,
                        "hidden_dim": hidden_dim, "num_heads": num_heads,
                        "intermediate_dim": intermediate_dim,
                        "max_sequence_length": max_sequence_length,
                        "num_segments": num_segments, "dropout": dropout,
                        "sequence_length": sequence_length}

    def get_config(self):
        return {**self._config, "name": self.name}


@keras.saving.register_keras_serializable(package="keras_zoo")
class BertPretrainer(keras.Model):
    """BERT with its two pre-training heads (Devlin et al. 2019, section 3.1).

    Inputs ``token_ids``, ``segment_ids``, ``padding_mask`` ``[B, T]`` and ``mask_positions``
    ``[B, P]``; outputs ``{"mlm": [B, P, V] logits at the masked positions (keras-hub's
    ``MaskedLMHead``: GELU dense, layer norm, the tied token embedding and an output bias),
    "nsp": [B, 2] logits (is sentence B the next sentence)}``. Train with ``mask_tokens`` data.

    Args:
        As ``BertBackbone``, plus ``num_predictions`` P (masked positions per sequence) and
        ``vocabulary``: an optional WordPiece token list (``subword.SPECIAL_TOKENS`` first),
        saved with the model; it fixes ``vocabulary_size``.
    """

    def __init__(self, vocabulary_size=30522, num_layers=12, hidden_dim=768, num_heads=12,
                 intermediate_dim=3072, max_sequence_length=512, num_segments=2, dropout=0.1,
                 sequence_length=None, num_predictions=20, vocabulary=None, name=None, **kwargs):
        if vocabulary is not None:
            from keras_zoo.data import subword

            vocabulary = subword.check_vocabulary("BertPretrainer", vocabulary)
            vocabulary_size = len(vocabulary)
        _checks("BertPretrainer", vocabulary_size, num_layers, hidden_dim, num_heads,
                intermediate_dim, max_sequence_length, num_segments, dropout, sequence_length)
        check_int("BertPretrainer", "num_predictions", num_predictions)
        inputs = {k: keras.Input((sequence_length,), dtype="int32", name=k)
                  for k in ("token_ids", "segment_ids", "padding_mask")}
        inputs["mask_positions"] = keras.Input((num_predictions,), dtype="int32",
                                               name="mask_positions")
        seq, pooled, token_embedding = bert_encoder(
            inputs["token_ids"], inputs["segment_ids"], inputs["padding_mask"], vocabulary_size,
            num_layers, hidden_dim, num_heads, intermediate_dim, max_sequence_length,
            num_segments, dropout)
        # keras-hub's head: GELU dense, layer norm, the tied token embedding and an output bias.
        mlm_logits = keras_hub.layers.MaskedLMHead(
            vocabulary_size=vocabulary_size, token_embedding=token_embedding,
            intermediate_activation="gelu", layer_norm_epsilon=1e-12,
            kernel_initializer=_init(), name="mlm_head")(seq, mask_positions=inputs["mask_positions"])
        nsp = keras.layers.Dense(2, kernel_initializer=_init(), name="nsp")(pooled)
        super().__init__(inputs, {"mlm": mlm_logits, "nsp": nsp},
                         name=name or "bert_pretrainer", **kwargs)
        self._config = {"vocabulary_size": vocabulary_size, "num_layers": num_layers,
                        "hidden_dim": hidden_dim, "num_heads": num_heads,
                        "intermediate_dim": intermediate_dim,
                        "max_sequence_length": max_sequence_length,
                        "num_segments": num_segments, "dropout": dropout,
                        "sequence_length": sequence_length, "num_predictions": num_predictions}
        self.vocabulary_size, self.vocabulary = vocabulary_size, vocabulary
        if vocabulary is not None:
            self._config["vocabulary"] = vocabulary

    def get_config(self):
        return {**self._config, "name": self.name}


@keras.saving.register_keras_serializable(package="keras_zoo")
class BertClassifier(DeclaresBackbone, keras.Model):
    """BERT fine-tuned for single-sequence classification: softmax on the pooled [CLS] output.

    Input ``tokens`` int32 ``[B, T]`` (0 = padding; the padding mask and the all-zero segment
    ids are derived in the graph), output class probabilities. Put the [CLS] token first.

    Give ``vocabulary`` (a WordPiece vocabulary, ``keras_zoo.data.subword``) to classify raw
    text: it is saved with the model (its config) and ``model.tokenizer`` (a
    ``subword.WordPieceTokenizer`` of plain TF ops) tokenises strings inside the serving graph.

    Args:
        classes: number of classes.
        sequence_length: the fixed input length (TFLite needs it fixed).
        vocabulary: optional WordPiece token list starting ``subword.SPECIAL_TOKENS``; it
            fixes ``vocabulary_size``.
        activation: the feed-forward's, "gelu" (exact, the paper's definition) or
            "gelu_approximate" (tanh form; the released checkpoints and keras-hub's presets,
            whose weights ``keras_zoo.weights`` loads with it).
        pooling: what the classifier reads: ``"cls"`` (the paper's: the [CLS] token through
            the pooler, ``pooled_dense``, that next-sentence prediction trained) or ``"mean"``
            (the last layer's outputs averaged over the non-padding tokens; no pooler). With
            100 labelled docstrings the pre-trained pooler carried no label information
            (frozen probe 0.58, majority 0.578) while the pre-trained tokens' mean did (0.664,
            random init 0.570), so ``"mean"`` is what fine-tuning from a small pre-training
            gains from (tests/models/sequence/test_bert_pretraining.py).
        Others as ``BertBackbone``.
    """

    def __init__(self, vocabulary_size=30522, num_layers=12, hidden_dim=768, num_heads=12,
                 intermediate_dim=3072, max_sequence_length=512, num_segments=2, dropout=0.1,
                 sequence_length=128, classes=2, vocabulary=None, activation="gelu",
                 pooling="cls", name=None, **kwargs):
        if vocabulary is not None:
            from keras_zoo.data import subword

            vocabulary = subword.check_vocabulary("BertClassifier", vocabulary)
            vocabulary_size = len(vocabulary)
        _checks("BertClassifier", vocabulary_size, num_layers, hidden_dim, num_heads,
                intermediate_dim, max_sequence_length, num_segments, dropout, sequence_length)
        check_int("BertClassifier", "classes", classes, minimum=2)
        if activation not in ACTIVATIONS:
            raise ValueError(f"BertClassifier: activation must be one of {list(ACTIVATIONS)}, "
                             f"got {activation!r}.")
        if pooling not in POOLINGS:
            raise ValueError(f"BertClassifier: pooling must be one of {list(POOLINGS)}, got "
                             f"{pooling!r}.")
        tokens = keras.Input((sequence_length,), dtype="int32", name="tokens")
        padding_mask = keras.ops.not_equal(tokens, 0)
        sequence, pooled, _ = bert_encoder(tokens, keras.ops.zeros_like(tokens), padding_mask,
                                           vocabulary_size, num_layers, hidden_dim, num_heads,
                                           intermediate_dim, max_sequence_length, num_segments,
                                           dropout, activation)
        if pooling == "mean":
            weights = keras.ops.expand_dims(keras.ops.cast(padding_mask, sequence.dtype), -1)
            pooled = keras.ops.sum(sequence * weights, axis=1) / keras.ops.maximum(
                keras.ops.sum(weights, axis=1), 1.0)
        x = keras.layers.Dropout(dropout, name="classifier_dropout")(pooled)
        probabilities = keras.layers.Dense(classes, activation="softmax",
                                           kernel_initializer=_init(), name="predictions")(x)
        super().__init__(tokens, probabilities, name=name or "bert_classifier", **kwargs)
        self.vocabulary_size = vocabulary_size
        self._config = {"vocabulary_size": vocabulary_size, "num_layers": num_layers,
                        "hidden_dim": hidden_dim, "num_heads": num_heads,
                        "intermediate_dim": intermediate_dim,
                        "max_sequence_length": max_sequence_length,
                        "num_segments": num_segments, "dropout": dropout,
                        "sequence_length": sequence_length, "classes": classes,
                        "activation": activation, "pooling": pooling}
        if vocabulary is not None:
            from keras_zoo.data import subword

            self._config["vocabulary"] = vocabulary
            self.vocabulary = vocabulary
            self.tokenizer = subword.WordPieceTokenizer(vocabulary, sequence_length,
                                                        name="wordpiece_tokenizer")

    def get_config(self):
        return {**self._config, "name": self.name}

    def backbone_layer_names(self):
        """The encoder's layers (all but the classifier head): what a pre-trained BERT
        checkpoint (``BertPretrainer``, same sizes) gives ``keras_zoo.transfer.prepare``."""
        return [layer.name for layer in self.layers
                if layer.name not in ("classifier_dropout", "predictions")]


register("bert_classifier", task="sequence_classification", family="bert",
         tiny={"vocabulary_size": 5, "num_layers": 1, "hidden_dim": 16, "num_heads": 2,
               "intermediate_dim": 32, "max_sequence_length": 16, "sequence_length": 12,
               "dropout": 0.0},
         canonical={**BERT_BASE, "sequence_length": 128},
         data="balanced_parentheses", recipe="sequence",
         paper="Devlin et al., BERT: Pre-training of Deep Bidirectional Transformers for "
               "Language Understanding, NAACL 2019",
         notes="BERT-base backbone parameters equal keras_hub.models.BertBackbone's.")(
             BertClassifier)

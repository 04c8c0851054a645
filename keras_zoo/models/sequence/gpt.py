"""GPT (Radford et al., Improving Language Understanding by Generative Pre-Training, 2018): a
decoder-only Transformer language model: token + learned position embeddings, N post-norm
decoder blocks with causal self-attention and GELU feed-forward layers, and an output projection
tied to the token embedding.

GPT-1: 12 layers, 768 wide, 12 heads, feed-forward 3072, 512 positions, 40,478 BPE tokens:
116.5M parameters (the paper's "117M"; pinned in tests/models/sequence/test_gpt.py).
Generation: ``generate`` with keras-hub's greedy, top-k and top-p (nucleus) samplers.
"""

from __future__ import annotations

import keras
import keras_hub
import numpy as np

from keras_zoo.blocks.transformer_decoder import transformer_decoder_block
from keras_zoo.layers.position_encoding import LearnedPositionEmbedding
from keras_zoo.models.registry import register
from keras_zoo.models.sequence._common import (
    STRING_TFLITE_DEBT,
    check_choice,
    check_int,
    check_rate,
)
from keras_zoo.models.sequence.bert import ACTIVATIONS
from keras_zoo.models.sequence.rnn import text_tokenizer

GPT1 = {"vocabulary_size": 40478, "num_layers": 12, "hidden_dim": 768, "num_heads": 12,
        "intermediate_dim": 3072, "sequence_length": 512}

#: GPT-2 (Radford et al., Language Models are Unsupervised Multitask Learners, 2019, Table 2 and
#: section 2.3): 50,257 byte-level BPE tokens, 1,024 positions, pre-norm blocks with a final
#: layer norm, d_ff = 4 d. The table's 117M/345M/762M/1542M are the paper's; counted exactly
#: from these definitions they are 124,439,808 / 354,823,168 / 774,030,080 / 1,557,611,200
#: (the released checkpoints; the paper's numbers were computed before a recount).
GPT2 = {
    "124M": {"num_layers": 12, "hidden_dim": 768, "num_heads": 12},
    "355M": {"num_layers": 24, "hidden_dim": 1024, "num_heads": 16},
    "774M": {"num_layers": 36, "hidden_dim": 1280, "num_heads": 20},
    "1.5B": {"num_layers": 48, "hidden_dim": 1600, "num_heads": 25},
}
GPT2_VOCABULARY_SIZE, GPT2_CONTEXT = 50257, 1024
#: GPT-3 175B (Brown et al., Language Models are Few-Shot Learners, NeurIPS 2020, Table 2.1):
#: n_layers 96, d_model 12,288, 96 heads of 128, n_ctx 2,048, GPT-2's tokenizer; its
#: alternating dense and locally banded sparse attention adds no parameters.
GPT3_175B = {"num_layers": 96, "hidden_dim": 12288, "num_heads": 96,
             "vocabulary_size": GPT2_VOCABULARY_SIZE, "sequence_length": 2048}


def gpt_parameters(vocabulary_size, num_layers, hidden_dim, sequence_length,
                   intermediate_dim=None, final_norm=True):
    """A GPT's parameter count from its definition (no model is built): token and position
    embeddings (the output projection is tied), per block two layer norms (2 d each), the
    attention's Q, K, V and output projections (4 (d^2 + d)) and the MLP (2 d d_ff + d_ff + d),
    and GPT-2/3's final layer norm."""
    d = hidden_dim
    d_ff = intermediate_dim or 4 * d
    block = 4 * d + 4 * (d * d + d) + 2 * d * d_ff + d_ff + d
    return (vocabulary_size + sequence_length) * d + num_layers * block + (2 * d if final_norm
                                                                         else 0)
def _init():
    # A new initializer per weight: an unseeded Keras initializer draws its seed from Python's
    # `random` when it is constructed, so one made at import time gave weights that differed
    # between processes whatever `keras.utils.set_random_seed` said afterwards.
    return keras.initializers.TruncatedNormal(stddev=0.02)


@keras.saving.register_keras_serializable(package="keras_zoo")
class GPT(keras.Model):
    """A GPT causal language model. Input ``tokens`` int32 ``[B, T]``; output next-token logits
    ``[B, T, V]``. With ``vocabulary`` it serves raw strings (the ``language_model`` task).

    Args:
        vocabulary: token list starting ``["", "[UNK]"]`` (saved with the model), or ``None``
            with ``vocabulary_size`` (integer tokens only).
        vocabulary_size: implied by ``vocabulary``.
        num_layers: decoder blocks.
        hidden_dim: model width.
        num_heads: attention heads.
        intermediate_dim: feed-forward width.
        sequence_length: the context (rows of the position table; the fixed input length).
        dropout: residual and embedding dropout (0.1 in the paper).
        level: ``"char"`` or ``"word"`` tokenisation of ``vocabulary``.
        norm_first: GPT-2's pre-norm blocks and final layer norm (section 2.3) instead of
            GPT-1's post-norm blocks.
        activation: the feed-forward GELU: ``"gelu"`` (exact) or ``"gelu_approximate"`` (the
            tanh form OpenAI's released GPT-2 code and keras-hub's ``GPT2Backbone`` use).
    """

    def __init__(self, vocabulary=None, vocabulary_size=None, num_layers=12, hidden_dim=768,
                 num_heads=12, intermediate_dim=3072, sequence_length=512, dropout=0.1,
                 level="char", norm_first=False, activation="gelu", name=None, **kwargs):
        owner = "GPT"
        if vocabulary is not None:
            vocabulary = [str(t) for t in vocabulary]
            if vocabulary[:2] != ["", "[UNK]"]:
                raise ValueError(f"{owner}: vocabulary must start with ['', '[UNK]'].")
            vocabulary_size = len(vocabulary)
        check_int(owner, "vocabulary_size", vocabulary_size, minimum=2)
        for arg, value in (("num_layers", num_layers), ("hidden_dim", hidden_dim),
                           ("num_heads", num_heads), ("intermediate_dim", intermediate_dim),
                           ("sequence_length", sequence_length)):
            check_int(owner, arg, value)
        check_rate(owner, "dropout", dropout)
        check_choice(owner, "level", level, ("char", "word"))
        check_choice(owner, "activation", activation, tuple(ACTIVATIONS))
        if hidden_dim % num_heads:
            raise ValueError(f"{owner}: hidden_dim={hidden_dim} must be divisible by "
                             f"num_heads={num_heads}.")
        # === Layers ===
        embedding = keras_hub.layers.ReversibleEmbedding(
            vocabulary_size, hidden_dim, tie_weights=True, embeddings_initializer=_init(),
            name="token_embedding")
        # === Functional Model ===
        tokens = keras.Input((sequence_length,), dtype="int32", name="tokens")
        x = embedding(tokens)
        x = keras.layers.Add(name="embeddings_add")(
            [x, LearnedPositionEmbedding(sequence_length, name="position_embedding")(x)])
        x = keras.layers.Dropout(dropout, name="embeddings_dropout")(x)
        for i in range(num_layers):
            x = transformer_decoder_block(x, None, num_heads, hidden_dim // num_heads,
                                          intermediate_dim, dropout=dropout,
                                          activation=ACTIVATIONS[activation],
                                          epsilon=1e-5, cross_attention=False,
                                          norm_first=bool(norm_first),
                                          name=f"decoder_layer_{i}")
        if norm_first:
            x = keras.layers.LayerNormalization(epsilon=1e-5, name="final_norm")(x)
        logits = embedding(x, reverse=True)
        super().__init__(tokens, logits, name=name or "gpt", **kwargs)
        # === Config ===
        self.vocabulary, self.vocabulary_size, self.level = vocabulary, vocabulary_size, level
        self.num_layers, self.hidden_dim, self.num_heads = num_layers, hidden_dim, num_heads
        self.intermediate_dim, self.sequence_length = intermediate_dim, sequence_length
        self.dropout, self.norm_first = dropout, bool(norm_first)
        self.activation = activation
        self.tokenizer = (text_tokenizer(vocabulary, level, sequence_length)
                          if vocabulary is not None else None)

    def get_config(self):
        return {"vocabulary": self.vocabulary, "vocabulary_size": self.vocabulary_size,
                "num_layers": self.num_layers, "hidden_dim": self.hidden_dim,
                "num_heads": self.num_heads, "intermediate_dim": self.intermediate_dim,
                "sequence_length": self.sequence_length, "dropout": self.dropout,
                "level": self.level, "norm_first": self.norm_first,
                "activation": self.activation, "name": self.name}


SAMPLERS = ("greedy", "top_k", "top_p")


def generate(model, prompt_ids, max_new_tokens, sampler="greedy", k=5, p=0.9, temperature=1.0,
             seed=0, stop_token_ids=None):
    """Continues int32 prompts ``[B, L]`` (all of length L >= 1, no padding) by
    ``max_new_tokens`` tokens with a keras-hub sampler; returns ``[B, L + max_new_tokens]``.

    Args:
        model: a causal LM whose input is ``[B, sequence_length]`` token ids.
        prompt_ids: the prompts.
        max_new_tokens: tokens to add; ``L + max_new_tokens <= sequence_length``.
        sampler: ``"greedy"`` (argmax), ``"top_k"`` (sample among the k most likely) or
            ``"top_p"`` (nucleus: sample from the smallest set with probability >= p).
        k, p, temperature, seed: sampler parameters.
        stop_token_ids: stop a sequence once it produces one of these.
    """
    import tensorflow as tf

    check_choice("generate", "sampler", sampler, SAMPLERS)
    prompt_ids = np.asarray(prompt_ids, np.int32)
    batch, length = prompt_ids.shape
    total = int(model.inputs[0].shape[1])
    if length < 1 or length + max_new_tokens > total:
        raise ValueError(f"generate: prompt length {length} + max_new_tokens {max_new_tokens} "
                         f"must be in [1, sequence_length={total}].")
    prompt = np.zeros((batch, total), np.int32)
    prompt[:, :length] = prompt_ids
    mask = np.zeros((batch, total), bool)
    mask[:, :length] = True
    if sampler == "greedy":
        chooser = keras_hub.samplers.GreedySampler(temperature=temperature)
    elif sampler == "top_k":
        chooser = keras_hub.samplers.TopKSampler(k=k, seed=seed, temperature=temperature)
    else:
        chooser = keras_hub.samplers.TopPSampler(p=p, seed=seed, temperature=temperature)

    def next_fn(prompt, cache, index):
        # No key/value cache: the whole (fixed-length) context is recomputed each step.
        logits = model(prompt, training=False)
        return tf.gather(logits, index - 1, axis=1), None, cache

    out = chooser(next_fn, tf.constant(prompt), index=length, mask=tf.constant(mask),
                  stop_token_ids=stop_token_ids)
    return np.asarray(out)[:, :length + max_new_tokens]


def gpt_char_lm(vocabulary=None, max_tokens=None, **kwargs):
    """``GPT`` over the embedded corpus's characters unless ``vocabulary`` is given."""
    if vocabulary is None:
        from keras_zoo.models.sequence.rnn import default_char_vocabulary

        vocabulary = default_char_vocabulary(max_tokens)
    return GPT(vocabulary=vocabulary, level="char", **kwargs)


register("gpt_char_lm", task="language_model", family="gpt",
         tiny={"max_tokens": 40, "num_layers": 1, "hidden_dim": 16, "num_heads": 2,
               "intermediate_dim": 32, "sequence_length": 16, "dropout": 0.0},
         canonical={"num_layers": 12, "hidden_dim": 768, "num_heads": 12,
                    "intermediate_dim": 3072, "sequence_length": 512},
         data="stdlib_docstrings", recipe="sequence",
         paper="Radford et al., Improving Language Understanding by Generative Pre-Training, "
               "2018",
         debts={"tflite": STRING_TFLITE_DEBT, "int8": STRING_TFLITE_DEBT},
         notes="GPT-1 size (40,478 tokens): 116.5M parameters; here over characters.")(
             gpt_char_lm)


def gpt2(vocabulary=None, max_tokens=None, vocabulary_size=None, num_layers=12, hidden_dim=768,
         num_heads=12, intermediate_dim=None, sequence_length=GPT2_CONTEXT, dropout=0.1,
         activation="gelu_approximate", **kwargs):
    """GPT-2 (Radford et al., Language Models are Unsupervised Multitask Learners, 2019,
    section 2.3): ``GPT`` with pre-norm blocks, a final layer norm, d_ff = 4 d, 1,024 positions
    and the released code's tanh-approximate GELU, over GPT-2's 50,257 token ids.

    The ids come from GPT-2's byte-level BPE (keras-hub's ``GPT2Tokenizer``, whose vocabulary
    and merges are a download): without them the model takes and returns integer ids. Its
    weights (``weights="keras_hub:gpt2_base_en"``, ...) need no vocabulary.

    Args:
        vocabulary: a token list starting ``["", "[UNK]"]`` (serves raw text, character level).
        max_tokens: instead of ``vocabulary``: the embedded corpus's characters, at most this
            many tokens.
        vocabulary_size: integer ids when there is no vocabulary (50,257: GPT-2's BPE).
        num_layers, hidden_dim, num_heads, sequence_length, dropout, activation: as in ``GPT``.
        intermediate_dim: the feed-forward width; ``None``: 4 * hidden_dim.
        **kwargs: any other ``GPT`` argument.
    """
    if vocabulary is None and max_tokens is not None:
        from keras_zoo.models.sequence.rnn import default_char_vocabulary

        vocabulary = default_char_vocabulary(max_tokens)
    elif max_tokens is not None:
        raise ValueError("gpt2: give vocabulary or max_tokens, not both.")
    if vocabulary is not None and vocabulary_size not in (None, len(vocabulary)):
        raise ValueError(f"gpt2: vocabulary_size={vocabulary_size} contradicts the vocabulary's "
                         f"{len(vocabulary)} tokens.")
    if vocabulary is None and vocabulary_size is None:
        vocabulary_size = GPT2_VOCABULARY_SIZE
    if not kwargs.pop("norm_first", True):
        raise ValueError("gpt2: norm_first=False is GPT-1's post-norm block (gpt_char_lm); "
                         "GPT-2 is pre-norm.")
    return GPT(vocabulary=vocabulary, vocabulary_size=vocabulary_size, num_layers=num_layers,
               hidden_dim=hidden_dim, num_heads=num_heads,
               intermediate_dim=intermediate_dim or 4 * hidden_dim,
               sequence_length=sequence_length, dropout=dropout, norm_first=True,
               activation=activation, **{"name": "gpt2", "level": "char", **kwargs})


register("gpt2", task="language_model", family="gpt",
         tiny={"max_tokens": 40, "num_layers": 1, "hidden_dim": 16, "num_heads": 2,
               "intermediate_dim": 32, "sequence_length": 16, "dropout": 0.0},
         canonical={"vocabulary_size": GPT2_VOCABULARY_SIZE, **GPT2["124M"],
                    "sequence_length": GPT2_CONTEXT},
         data="stdlib_docstrings", recipe="sequence",
         paper="Radford et al., Language Models are Unsupervised Multitask Learners, 2019",
         params=124_439_808,
         debts={"tflite": STRING_TFLITE_DEBT, "int8": STRING_TFLITE_DEBT},
         notes="GPT-2 124M over 50,257 token ids (keras-hub's gpt2_* weights); the tiny config "
               "is character level.")(gpt2)

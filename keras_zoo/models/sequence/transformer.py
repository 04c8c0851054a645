"""The Transformer encoder-decoder (Vaswani et al., Attention Is All You Need, NeurIPS 2017).

"base": N = 6 layers, d_model = 512, d_ff = 2048, h = 8, P_drop = 0.1, label smoothing 0.1,
one embedding matrix shared by source, target and the pre-softmax projection (section 3.4),
embeddings scaled by sqrt(d_model), sinusoidal positions (section 3.5), post-norm layers, and
the warm-up schedule lrate = d_model^-0.5 min(step^-0.5, step warmup^-1.5) with Adam(0.9, 0.98,
1e-9) (section 5.3). Parameters: with the paper's 37,000-token shared BPE vocabulary, 63.1M
(pinned in tests/models/sequence/test_transformer.py) against the paper's "65M" (Table 3): the
paper's count is rounded and its exact vocabulary size differs per language pair.

The encoder block is ``keras_zoo.blocks.transformer.transformer_encoder_block``; the decoder
block ``keras_zoo.blocks.transformer_decoder.transformer_decoder_block``.
"""

from __future__ import annotations

import math

import keras
import keras_hub

from keras_zoo.blocks.transformer import transformer_encoder_block
from keras_zoo.blocks.transformer_decoder import transformer_decoder_block
from keras_zoo.data import sequences
from keras_zoo.layers.position_encoding import SinusoidalPositionEncoding
from keras_zoo.models.registry import register
from keras_zoo.models.sequence._common import check_int, check_rate

#: The paper's BPE vocabulary for English-German (section 5.1), used to count parameters.
PAPER_VOCABULARY_SIZE = 37000


@keras.saving.register_keras_serializable(package="keras_zoo")
class TransformerSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """``lrate = scale * d_model^-0.5 * min(step^-0.5, step * warmup_steps^-1.5)``
    (Vaswani et al. 2017, eq. 3; ``step`` counts from 1).

    Args:
        d_model: the model width.
        warmup_steps: the linear warm-up length (4000 in the paper).
        scale: a multiplier (1 in the paper).
    """

    def __init__(self, d_model=512, warmup_steps=4000, scale=1.0):
        check_int("TransformerSchedule", "d_model", d_model)
        check_int("TransformerSchedule", "warmup_steps", warmup_steps)
        self.d_model, self.warmup_steps, self.scale = d_model, warmup_steps, float(scale)

    def __call__(self, step):
        step = keras.ops.cast(step, "float32") + 1.0
        return self.scale * self.d_model ** -0.5 * keras.ops.minimum(
            keras.ops.power(step, -0.5), step * self.warmup_steps ** -1.5)

    def get_config(self):
        return {"d_model": self.d_model, "warmup_steps": self.warmup_steps, "scale": self.scale}


def transformer_optimizer(d_model=512, warmup_steps=4000, scale=1.0):
    """Adam with beta1 = 0.9, beta2 = 0.98, eps = 1e-9 on the warm-up schedule (section 5.3)."""
    return keras.optimizers.Adam(TransformerSchedule(d_model, warmup_steps, scale),
                                 beta_1=0.9, beta_2=0.98, epsilon=1e-9)


def embed(tokens, embedding, d_model, dropout, name):
    """Token embedding * sqrt(d_model) + sinusoidal position encoding, then dropout."""
    x = keras.layers.Rescaling(math.sqrt(d_model), name=f"{name}_scale")(embedding(tokens))
    x = keras.layers.Add(name=f"{name}_position")(
        [x, SinusoidalPositionEncoding(name=f"{name}_position_encoding")(x)])
    return keras.layers.Dropout(dropout, name=f"{name}_dropout")(x)


@keras.saving.register_keras_serializable(package="keras_zoo")
class Transformer(keras.Model):
    """The Transformer encoder-decoder, with the seq2seq interface of ``Seq2Seq``.

    Inputs ``{"encoder_tokens": [B, S], "decoder_tokens": [B, T + 1]}`` (int32, the decoder
    input starts with ``<start>``); output next-token logits ``[B, T + 1, V]``.

    Args:
        vocabulary_size: the shared source/target vocabulary.
        source_length: S (fixed).
        target_length: T (fixed; the decoder runs T + 1 steps).
        num_layers: N, encoder and decoder layers each.
        d_model: the model width.
        d_ff: the feed-forward width.
        num_heads: h (d_k = d_v = d_model / h).
        dropout: P_drop, on the embedded inputs and on every sub-layer's output.
        epsilon: LayerNormalization epsilon.
    """

    def __init__(self, vocabulary_size, source_length, target_length, num_layers=6,
                 d_model=512, d_ff=2048, num_heads=8, dropout=0.1, epsilon=1e-6, name=None,
                 **kwargs):
        owner = "Transformer"
        check_int(owner, "vocabulary_size", vocabulary_size, minimum=sequences.FIRST_SYMBOL + 1)
        for arg, value in (("source_length", source_length), ("target_length", target_length),
                           ("num_layers", num_layers), ("d_model", d_model), ("d_ff", d_ff),
                           ("num_heads", num_heads)):
            check_int(owner, arg, value)
        check_rate(owner, "dropout", dropout)
        if d_model % num_heads:
            raise ValueError(f"{owner}: d_model={d_model} must be divisible by "
                             f"num_heads={num_heads}.")
        key_dim = d_model // num_heads
        # === Layers ===
        # One matrix for source, target and output projection (section 3.4).
        shared = keras_hub.layers.ReversibleEmbedding(vocabulary_size, d_model, tie_weights=True,
                                                      name="shared_embedding")
        # === Functional Model ===
        source = keras.Input((source_length,), dtype="int32", name="encoder_tokens")
        target = keras.Input((target_length + 1,), dtype="int32", name="decoder_tokens")
        # Padding (id 0) is never attended to: the source's padding mask [B, 1, S] keys the
        # encoder self-attention and the decoder's cross-attention; in the decoder's
        # self-attention the causal mask already hides trailing padding from every real
        # position, and the loss skips padded targets (the seq2seq task).
        source_mask = keras.ops.expand_dims(keras.ops.not_equal(source, sequences.PAD), axis=1)
        memory = embed(source, shared, d_model, dropout, "encoder")
        for i in range(num_layers):
            memory = transformer_encoder_block(
                memory, num_heads, key_dim, d_ff, dropout=dropout, norm_first=False,
                activation="relu", epsilon=epsilon, attention_dropout=0.0,
                attention_mask=source_mask, name=f"encoder_layer_{i}")
        y = embed(target, shared, d_model, dropout, "decoder")
        for i in range(num_layers):
            y = transformer_decoder_block(y, memory, num_heads, key_dim, d_ff, dropout=dropout,
                                          epsilon=epsilon, memory_mask=source_mask,
                                          name=f"decoder_layer_{i}")
        logits = shared(y, reverse=True)
        super().__init__({"encoder_tokens": source, "decoder_tokens": target}, logits,
                         name=name or "transformer", **kwargs)
        # === Config ===
        self.vocabulary_size, self.source_length = vocabulary_size, source_length
        self.target_length, self.num_layers, self.d_model = target_length, num_layers, d_model
        self.d_ff, self.num_heads, self.dropout, self.epsilon = d_ff, num_heads, dropout, epsilon

    def get_config(self):
        return {"vocabulary_size": self.vocabulary_size, "source_length": self.source_length,
                "target_length": self.target_length, "num_layers": self.num_layers,
                "d_model": self.d_model, "d_ff": self.d_ff, "num_heads": self.num_heads,
                "dropout": self.dropout, "epsilon": self.epsilon, "name": self.name}


def transformer_base_parameters(vocabulary_size=PAPER_VOCABULARY_SIZE, d_model=512, d_ff=2048,
                                num_layers=6):
    """The base model's parameter count from the layer definitions (no model is built)."""
    attention = 4 * (d_model * d_model + d_model)
    ffn = d_model * d_ff + d_ff + d_ff * d_model + d_model
    norm = 2 * d_model
    encoder = num_layers * (attention + ffn + 2 * norm)
    decoder = num_layers * (2 * attention + ffn + 3 * norm)
    return vocabulary_size * d_model + encoder + decoder


register("transformer", task="seq2seq", family="transformer",
         # Length 3 (sources of 1 or 2 tokens: padding still masked): greedy serving calls
         # the whole model once per output step (4 times).
         tiny={"vocabulary_size": sequences.vocabulary_size("reversal"), "source_length": 3,
               "target_length": 3, "num_layers": 1, "d_model": 16, "d_ff": 32, "num_heads": 2,
               "dropout": 0.0},
         canonical={"vocabulary_size": PAPER_VOCABULARY_SIZE, "source_length": 64,
                    "target_length": 64},
         data="variable_reversal", recipe="transformer", params=transformer_base_parameters(),
         paper="Vaswani et al., Attention Is All You Need, NeurIPS 2017",
         notes="base: 63.1M parameters with a 37,000-token shared vocabulary (paper: 65M).")(
             Transformer)

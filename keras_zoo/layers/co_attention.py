"""The co-attentional transformer layer of ViLBERT (Lu et al., ViLBERT: Pretraining
Task-Agnostic Visiolinguistic Representations for Vision-and-Language Tasks, NeurIPS 2019,
section 3.1 and Fig. 2b)."""

import functools

import keras


def _positive(name, value):
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"CoAttention: {name} must be a positive int, got {value!r}.")


@keras.saving.register_keras_serializable(package="keras_zoo")
class CoAttention(keras.layers.Layer):
    """Co-TRM: each stream's queries attend over the *other* stream's keys and values (the two
    multi-head attentions exchange keys and values), then a residual + layer norm and a
    position-wise feed-forward block + layer norm per stream (post-norm, as BERT).

    Call with ``[visual, linguistic]``: ``[B, Tv, Dv]`` and ``[B, Tl, Dl]``; optional
    ``visual_mask`` ``[B, Tv]`` and ``linguistic_mask`` ``[B, Tl]`` (1 = real: the other
    stream's queries do not attend to padding).
    Returns ``[visual', linguistic']`` of the same shapes, plus the attention weights
    ``[B, heads, Tv, Tl]`` and ``[B, heads, Tl, Tv]`` with ``return_attention_scores=True``.

    Args:
        num_heads: attention heads of both attentions.
        key_dim: width of each head's queries and keys.
        visual_mlp_dim, linguistic_mlp_dim: the feed-forward widths of the two streams.
        dropout: dropout after each attention and feed-forward output.
        epsilon: layer-norm epsilon (BERT's 1e-12).
    """

    def __init__(self, num_heads, key_dim, visual_mlp_dim, linguistic_mlp_dim, dropout=0.0,
                 epsilon=1e-12, **kwargs):
        super().__init__(**kwargs)
        for name, value in (("num_heads", num_heads), ("key_dim", key_dim),
                            ("visual_mlp_dim", visual_mlp_dim),
                            ("linguistic_mlp_dim", linguistic_mlp_dim)):
            _positive(name, value)
        if not 0.0 <= float(dropout) < 1.0:
            raise ValueError(f"CoAttention: dropout must be in [0, 1), got {dropout!r}.")
        self.num_heads, self.key_dim = num_heads, key_dim
        self.visual_mlp_dim, self.linguistic_mlp_dim = visual_mlp_dim, linguistic_mlp_dim
        self.dropout, self.epsilon = float(dropout), float(epsilon)
        for stream, mlp_dim in (("visual", visual_mlp_dim), ("linguistic", linguistic_mlp_dim)):
            for key, layer in (
                    ("attention", keras.layers.MultiHeadAttention(
                        num_heads, key_dim, dropout=dropout, name=f"{stream}_co_attention")),
                    ("attention_norm", keras.layers.LayerNormalization(
                        epsilon=epsilon, name=f"{stream}_attention_norm")),
                    ("mlp_dense_1", keras.layers.Dense(mlp_dim, activation="gelu",
                                                       name=f"{stream}_mlp_dense_1")),
                    ("mlp_norm", keras.layers.LayerNormalization(epsilon=epsilon,
                                                                 name=f"{stream}_mlp_norm")),
                    ("dropout", keras.layers.Dropout(dropout, name=f"{stream}_dropout"))):
                setattr(self, f"{stream}_{key}", layer)

    def _layer(self, stream, key):
        return getattr(self, f"{stream}_{key}")

    def build(self, input_shape):
        visual_shape, linguistic_shape = input_shape
        shapes = {"visual": (visual_shape, linguistic_shape),
                  "linguistic": (linguistic_shape, visual_shape)}
        for stream, (own, other) in shapes.items():
            self._layer(stream, "attention").build(own, other, other)
            self._layer(stream, "attention_norm").build(own)
            first = self._layer(stream, "mlp_dense_1")
            first.build(own)
            # The second feed-forward Dense maps back to the stream's own width.
            second = keras.layers.Dense(own[-1], name=f"{stream}_mlp_dense_2")
            second.build(tuple(own[:-1]) + (first.units,))
            setattr(self, f"{stream}_mlp_dense_2", second)
            self._layer(stream, "mlp_norm").build(own)

    def _stream(self, stream, query, other, mask, training):
        layer = functools.partial(self._layer, stream)
        # The swap: queries from this stream, keys and values from the other one.
        h, scores = layer("attention")(query, other, other, attention_mask=mask,
                                       return_attention_scores=True, training=training)
        h = layer("attention_norm")(query + layer("dropout")(h, training=training))
        m = layer("mlp_dense_2")(layer("mlp_dense_1")(h))
        return layer("mlp_norm")(h + layer("dropout")(m, training=training)), scores

    @staticmethod
    def _cross_mask(queries, keys_mask):
        """``[B, Tq, Tk]`` boolean: every query may attend to the real keys only."""
        if keys_mask is None:
            return None
        keep = keras.ops.cast(keys_mask, "bool")[:, None, :]
        shape = (keras.ops.shape(queries)[0], keras.ops.shape(queries)[1],
                 keras.ops.shape(keep)[-1])
        return keras.ops.broadcast_to(keep, shape)

    def call(self, inputs, visual_mask=None, linguistic_mask=None, return_attention_scores=False,
             training=None):
        visual, linguistic = inputs
        v, v_scores = self._stream("visual", visual, linguistic,
                                   self._cross_mask(visual, linguistic_mask), training)
        w, w_scores = self._stream("linguistic", linguistic, visual,
                                   self._cross_mask(linguistic, visual_mask), training)
        if return_attention_scores:
            return v, w, v_scores, w_scores
        return v, w

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "num_heads": self.num_heads, "key_dim": self.key_dim,
                "visual_mlp_dim": self.visual_mlp_dim,
                "linguistic_mlp_dim": self.linguistic_mlp_dim, "dropout": self.dropout,
                "epsilon": self.epsilon}

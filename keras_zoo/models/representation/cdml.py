"""Collaborative Deep Metric Learning (Lee, Abu-El-Haija, Varadarajan & Natsev, Collaborative
Deep Metric Learning for Video Understanding, KDD 2018)."""

from __future__ import annotations

import keras
import tensorflow as tf

from keras_zoo.models.registry import register
from keras_zoo.models.representation.base import (
    RepresentationModel,
    backbone_encoder,
    check_positive,
    check_positive_int,
    projection_head,
)

PAPER = ("Lee, Abu-El-Haija, Varadarajan & Natsev, Collaborative Deep Metric Learning for Video "
         "Understanding, KDD 2018")


def squared_distance(a, b):
    """``||a - b||^2`` along the last axis: the distance of the paper's hinge loss. No square
    root, so its gradient ``2 (a - b)`` is finite where ``a == b``."""
    return tf.reduce_sum(tf.square(a - b), axis=-1)


@keras.saving.register_keras_serializable(package="keras_zoo")
class CDMLModel(RepresentationModel):
    """Item content -> embedding, trained on the edges of a co-occurrence graph.

    ``fit`` takes ``{"anchor": images, "positive": images}`` (the two ends of an edge; ``y`` is
    ignored). The triplet loss max(0, ||a - p||^2 - ||a - n||^2 + margin) on the unit-norm
    embeddings (the paper's hinge loss, on squared Euclidean distances) takes as the negative n
    of each anchor the positive of another edge of the batch, drawn at random (section 3.2: the
    negatives are sampled within the mini-batch). ``call`` embeds images (or the ``"anchor"``
    of such a dict) to unit norm.

    Args:
        encoder: images -> features.
        head: features -> embedding.
        margin: the triplet margin alpha (on squared distances).
        seed: seed of the in-batch negative draw.
        **kwargs: ``keras.Model`` arguments.
    """

    target = "edges"

    def __init__(self, encoder=None, head=None, margin=0.2, seed=None, **kwargs):
        super().__init__(encoder=encoder, head=head, **kwargs)
        self.margin = check_positive(margin, "margin", self.name)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def _images(self, inputs):
        return super()._images(inputs["anchor"] if isinstance(inputs, dict) else inputs)

    def train_step(self, data):
        return super().train_step(self._edges(data))

    def test_step(self, data):
        return super().test_step(self._edges(data))

    def _edges(self, data):
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        if not isinstance(x, dict) or set(x) != {"anchor", "positive"}:
            raise ValueError(f"{self.name}: fit takes x = {{'anchor': images, 'positive': "
                             "images}}, the two ends of each co-occurrence edge.")
        pair = tf.concat([tf.cast(x["anchor"], "float32"), tf.cast(x["positive"], "float32")], 0)
        return pair, tf.zeros([tf.shape(pair)[0]], tf.int32)

    def objective(self, images, y, training):
        z = self.embed(images, training=training)
        anchor, positive = tf.split(z, 2, axis=0)
        n = tf.shape(anchor)[0]
        # Another edge's positive for each anchor: a random non-zero cyclic shift.
        shift = keras.random.randint((), 1, tf.maximum(n, 2), seed=self.seed_generator)
        negative = tf.roll(positive, shift=shift, axis=0)
        # The paper's hinge loss is on SQUARED Euclidean distances. The earlier Euclidean
        # distance tf.norm(a - n + 1e-12) trained to NaN: an in-batch negative can be the
        # anchor's own item (or the same image), a - n is then exactly 0, and in the compiled
        # train step Grappler's constant folding reassociates (a - n) + 1e-12 so that the
        # 1e-12 meets a term of size |a| and is lost: the norm is 0 and its gradient
        # (a - n) / ||a - n|| is 0 / 0 (measured: the recipe at seed 0, 10th step, one such
        # row; eager, or with constant_folding off, the epsilon survives). The squared
        # distance has the gradient 2 (a - n), finite everywhere (0 at a = n).
        d_ap = squared_distance(anchor, positive)
        d_an = squared_distance(anchor, negative)
        loss = tf.maximum(d_ap - d_an + self.margin, 0.0)
        # A batch of one edge has no other edge to take a negative from: no loss.
        return {"loss": tf.where(n > 1, tf.reduce_mean(loss), 0.0)}

    def get_config(self):
        return {**super().get_config(), "margin": self.margin, "seed": self.seed}


def CDML(backbone="lenet5", input_shape=(32, 32, 1), embedding_dim=256, margin=0.2,
         backbone_preset=None, backbone_config=None, seed=None, name="cdml"):
    """CDML: a content network (here a registry classifier on item images; the paper embeds
    video and audio features with an MLP) and a 256-D unit-norm embedding (section 4).

    Args:
        backbone: registry name of the content encoder.
        input_shape: ``(H, W, C)`` of the item images.
        embedding_dim: size of the embedding.
        margin: the triplet margin.
        backbone_preset, backbone_config: the encoder's preset and builder kwargs.
        seed: seed of the in-batch negatives.
        name: the model's name.
    """
    check_positive_int(embedding_dim, "embedding_dim", name)
    encoder = backbone_encoder(backbone, input_shape, backbone_preset, backbone_config, name)
    head = projection_head(encoder.outputs[0].shape[-1], embedding_dim, f"{name}_head")
    return CDMLModel(encoder=encoder, head=head, margin=margin, seed=seed, name=name)


register(
    "cdml",
    task="embedding",
    family="representation",
    tiny=dict(backbone="lenet5", input_shape=(32, 32, 1), embedding_dim=16),
    canonical=dict(backbone="lenet5", input_shape=(32, 32, 1), embedding_dim=256),
    data="digits",
    recipe="cdml",
    paper=PAPER,
)(CDML)

"""Triplet network with online negative mining (Schroff, Kalenichenko & Philbin, FaceNet 2015)."""

from __future__ import annotations

import keras

from keras_zoo.losses import MINING, triplet_loss
from keras_zoo.models.registry import register
from keras_zoo.models.representation.base import (
    RepresentationModel,
    backbone_encoder,
    check_positive,
    check_positive_int,
    projection_head,
)

PAPER = ("Schroff, Kalenichenko & Philbin, FaceNet: A Unified Embedding for Face Recognition "
         "and Clustering, CVPR 2015")


@keras.saving.register_keras_serializable(package="keras_zoo")
class TripletModel(RepresentationModel):
    """An embedding trained with the triplet loss, triplets mined inside each batch.

    ``fit`` takes ``(images, class labels)``; a batch needs at least two classes (batches of P
    classes x K examples, as the task's ``dataset`` draws them, give every anchor positives).

    Args:
        encoder: images -> features.
        head: features -> embedding (unit norm, FaceNet's ||f(x)|| = 1).
        margin: alpha of the triplet loss (FaceNet: 0.2).
        mining: ``"batch_all"``, ``"batch_hard"`` or ``"semi_hard"`` (FaceNet, section 3.2).
        **kwargs: ``keras.Model`` arguments.
    """

    def __init__(self, encoder=None, head=None, margin=0.2, mining="semi_hard", **kwargs):
        super().__init__(encoder=encoder, head=head, **kwargs)
        if mining not in MINING:
            raise ValueError(f"{self.name}: mining must be one of {MINING}, got {mining!r}.")
        self.margin = check_positive(margin, "margin", self.name)
        self.mining = mining

    def objective(self, images, y, training):
        z = self.embed(images, training=training)
        return {"loss": triplet_loss(y, z, self.margin, self.mining)}

    def get_config(self):
        return {**super().get_config(), "margin": self.margin, "mining": self.mining}


def Triplet(backbone="lenet5", input_shape=(32, 32, 1), embedding_dim=64, margin=0.2,
            mining="semi_hard", backbone_preset=None, backbone_config=None, name="triplet"):
    """A triplet network: a registry classifier's features, a linear embedding, unit norm.

    FaceNet (section 3) uses a 128-D unit-norm embedding of a deep CNN with alpha = 0.2;
    the default tower here is LeNet-5 for the embedded digits.

    Args:
        backbone: registry name of the encoder (an image classifier, include_top=False).
        input_shape: ``(H, W, C)``.
        embedding_dim: size of the embedding.
        margin: alpha.
        mining: one of ``keras_zoo.losses.MINING``.
        backbone_preset, backbone_config: the encoder's preset and builder kwargs.
        name: the model's name.
    """
    check_positive_int(embedding_dim, "embedding_dim", name)
    encoder = backbone_encoder(backbone, input_shape, backbone_preset, backbone_config, name)
    head = projection_head(encoder.outputs[0].shape[-1], embedding_dim, f"{name}_head")
    return TripletModel(encoder, head, margin=margin, mining=mining, name=name)


register(
    "triplet",
    task="embedding",
    family="representation",
    tiny=dict(backbone="lenet5", input_shape=(32, 32, 1), embedding_dim=16),
    canonical=dict(backbone="lenet5", input_shape=(32, 32, 1), embedding_dim=128),
    data="digits",
    recipe="triplet",
    paper=PAPER,
)(Triplet)

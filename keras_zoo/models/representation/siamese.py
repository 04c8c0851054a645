"""Siamese network (Bromley et al. 1993; Hadsell, Chopra & LeCun 2006's contrastive loss)."""

from __future__ import annotations

import keras
import numpy as np

from keras_zoo.losses import contrastive_loss
from keras_zoo.models.registry import register
from keras_zoo.models.representation.base import (
    RepresentationModel,
    backbone_encoder,
    check_positive,
    check_positive_int,
    projection_head,
)

PAPER = ("Hadsell, Chopra & LeCun, Dimensionality Reduction by Learning an Invariant Mapping, "
         "CVPR 2006 (Siamese architecture: Bromley et al., NIPS 1993)")
VERIFICATION = ("nearest", "mean")


@keras.saving.register_keras_serializable(package="keras_zoo")
class SiameseModel(RepresentationModel):
    """Two weight-sharing towers trained with the contrastive loss on every pair of the batch.

    One tower is stored: both images of a pair go through the same weights, which is what
    "Siamese" means. ``fit`` takes ``(images, class labels)``: pairs of the same label are
    similar. ``call`` returns L2-normalised embeddings; the served model also gives the
    similarity of an image pair.

    Args:
        encoder: images -> features (a registry classifier without its top).
        head: features -> embedding.
        margin: m of the contrastive loss (in the unit-norm embedding space, at most 2).
        **kwargs: ``keras.Model`` arguments.
    """

    serves_pairs = True

    def __init__(self, encoder=None, head=None, margin=1.0, **kwargs):
        super().__init__(encoder=encoder, head=head, **kwargs)
        self.margin = check_positive(margin, "margin", self.name)

    def objective(self, images, y, training):
        return {"loss": contrastive_loss(y, self.embed(images, training=training), self.margin)}

    def get_config(self):
        return {**super().get_config(), "margin": self.margin}


def template_distances(queries, templates, method="nearest"):
    """Distance of each query ``[Q, D]`` to a set of templates ``[T, D]`` of one identity:
    the nearest template's (``"nearest"``) or the mean over the templates (``"mean"``)."""
    if method not in VERIFICATION:
        raise ValueError(f"method must be one of {VERIFICATION}, got {method!r}.")
    q, t = np.asarray(queries, np.float64), np.asarray(templates, np.float64)
    if t.ndim != 2 or len(t) == 0:
        raise ValueError(f"templates must be a non-empty [T, D] array, got shape {t.shape}.")
    d = np.sqrt(np.maximum(((q[:, None, :] - t[None, :, :]) ** 2).sum(-1), 0.0))
    return d.min(axis=1) if method == "nearest" else d.mean(axis=1)


def verify(queries, templates, threshold, method="nearest"):
    """Accepts each query as the templates' identity when its template distance (``method``)
    is below ``threshold``; a bool array ``[Q]``."""
    return template_distances(queries, templates, method) < threshold


def identify(queries, templates, template_labels, method="nearest"):
    """The identity of each query: the label whose templates are closest by ``method``."""
    template_labels = np.asarray(template_labels)
    classes = np.unique(template_labels)
    d = np.stack([template_distances(queries, templates[template_labels == c], method)
                  for c in classes], axis=1)
    return classes[np.argmin(d, axis=1)]


def Siamese(backbone="lenet5", input_shape=(32, 32, 1), embedding_dim=32, margin=1.0,
            backbone_preset=None, backbone_config=None, name="siamese"):
    """A Siamese network: a registry classifier's features, a linear embedding, unit norm.

    Hadsell et al. (2006, section 3) map MNIST digits with a LeNet-like convolutional tower;
    LeNet-5 is the default tower here, and any registry classifier can replace it.

    Args:
        backbone: registry name of the tower (an image classifier, used with include_top=False).
        input_shape: ``(H, W, C)`` of the images.
        embedding_dim: size of the embedding.
        margin: m of the contrastive loss.
        backbone_preset, backbone_config: the tower's preset and builder kwargs.
        name: the model's name.

    Example:
        >>> model = Siamese(backbone_preset="tiny")
        >>> model(np.zeros((2, 32, 32, 1), "float32")).shape
        TensorShape([2, 32])
    """
    check_positive_int(embedding_dim, "embedding_dim", name)
    encoder = backbone_encoder(backbone, input_shape, backbone_preset, backbone_config, name)
    head = projection_head(encoder.outputs[0].shape[-1], embedding_dim, f"{name}_head")
    return SiameseModel(encoder, head, margin=margin, name=name)


register(
    "siamese",
    task="embedding",
    family="representation",
    tiny=dict(backbone="lenet5", input_shape=(32, 32, 1), embedding_dim=16),
    canonical=dict(backbone="lenet5", input_shape=(32, 32, 1), embedding_dim=32),
    data="digits",
    recipe="siamese",
    paper=PAPER,
)(Siamese)

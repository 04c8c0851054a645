"""SimCLR (Chen, Kornblith, Norouzi & Hinton, A Simple Framework for Contrastive Learning of
Visual Representations, ICML 2020)."""

from __future__ import annotations

import keras
import tensorflow as tf

from keras_zoo.losses import nt_xent
from keras_zoo.models.registry import register
from keras_zoo.models.representation.base import (
    AUGMENTATIONS,
    AugmentedRepresentationModel,
    backbone_encoder,
    check_positive,
    check_positive_int,
    projection_head,
)

PAPER = ("Chen, Kornblith, Norouzi & Hinton, A Simple Framework for Contrastive Learning of "
         "Visual Representations, ICML 2020")


@keras.saving.register_keras_serializable(package="keras_zoo")
class SimCLRModel(AugmentedRepresentationModel):
    """Two augmented views of every image, a projection head g, NT-Xent over the batch.

    ``fit`` takes images (labels, if given, are ignored: the pairing of the two views is the
    only supervision). ``call`` returns the L2-normalised representation h = f(x) (before the
    projection head: section 4.2 shows h is the better representation); ``features`` gives
    the un-normalised h for a linear probe.

    Args:
        encoder: f, images -> h.
        head: g, the projection MLP h -> z.
        temperature: tau of NT-Xent (> 0).
        augmentations: some of ``AUGMENTATIONS`` ("crop" is a random resized crop:
            ``random_resized_crop``).
        crop_scale: the smallest crop area (the paper's 0.08).
        color_strength: s of the colour distortion (the paper's 1.0; 0.5 on CIFAR-10).
        seed: seed of the augmentations.
        **kwargs: ``keras.Model`` arguments.
    """

    networks = ("encoder", "head")
    target = None

    def __init__(self, encoder=None, head=None, temperature=0.5, augmentations=AUGMENTATIONS,
                 crop_scale=0.08, color_strength=0.5, seed=None, **kwargs):
        super().__init__(encoder=encoder, head=head, augmentations=augmentations,
                         crop_scale=crop_scale, color_strength=color_strength, seed=seed,
                         **kwargs)
        self.temperature = check_positive(temperature, "temperature", self.name)

    def embed(self, images, training=False):
        return self.normalize(self.features(images, training=training))

    def objective(self, images, y, training):
        views = tf.concat([self.augment(images), self.augment(images)], axis=0)
        z = self.head(self.features(views, training=training), training=training)
        z_a, z_b = tf.split(z, 2, axis=0)
        return {"loss": nt_xent(z_a, z_b, self.temperature)}

    def get_config(self):
        return {**super().get_config(), "temperature": self.temperature}


def SimCLR(backbone="resnet50", input_shape=(224, 224, 3), projection_dim=128,
           temperature=0.5, augmentations=AUGMENTATIONS, crop_scale=0.08, color_strength=1.0,
           backbone_preset=None, backbone_config=None, seed=None, name="simclr"):
    """SimCLR: encoder f (ResNet-50 in the paper), projection MLP g (one hidden ReLU layer of
    the encoder's width, 128-D output, section 2.1), NT-Xent.

    Args:
        backbone: registry name of f (an image classifier, include_top=False).
        input_shape: ``(H, W, C)``.
        projection_dim: size of z.
        temperature: tau.
        augmentations, crop_scale, color_strength: see ``SimCLRModel``.
        backbone_preset, backbone_config: f's preset and builder kwargs.
        seed: seed of the augmentations.
        name: the model's name.
    """
    check_positive_int(projection_dim, "projection_dim", name)
    encoder = backbone_encoder(backbone, input_shape, backbone_preset, backbone_config, name)
    width = encoder.outputs[0].shape[-1]
    head = projection_head(width, projection_dim, f"{name}_projection", hidden=width)
    return SimCLRModel(encoder, head, temperature=temperature, augmentations=augmentations,
                       crop_scale=crop_scale, color_strength=color_strength, seed=seed,
                       name=name)


register(
    "simclr",
    task="embedding",
    family="representation",
    tiny=dict(backbone="lenet5", input_shape=(32, 32, 1), projection_dim=16, crop_scale=0.5,
              color_strength=0.5),
    canonical=dict(backbone="resnet50", input_shape=(224, 224, 3), projection_dim=128),
    data="digits",
    recipe="simclr",
    paper=PAPER,
)(SimCLR)

"""SimCLR (Chen, Kornblith, Norouzi & Hinton, A Simple Framework for Contrastive Learning of
Visual Representations, ICML 2020)."""

from __future__ import annotations

import keras
import tensorflow as tf

from keras_zoo.losses import nt_xent
from keras_zoo.models.registry import register
from keras_zoo.models.representation._base import (
    RepresentationModel,
    backbone_encoder,
    check_positive,
    check_positive_int,
    projection_head,
)

PAPER = ("Chen, Kornblith, Norouzi & Hinton, A Simple Framework for Contrastive Learning of "
         "Visual Representations, ICML 2020")
#: The paper's augmentation family (section 3, appendix A), in its order.
AUGMENTATIONS = ("crop", "flip", "color", "grayscale", "blur")


def augmentation_layers(augmentations, channels, crop_scale, color_strength, seed):
    """Keras core preprocessing layers for SimCLR's augmentations of images in [0, 1].

    "crop": a random crop of area in [crop_scale, 1] of the image, resized back (RandomZoom
    zooming in, independently in height and width, so the aspect ratio varies too);
    "flip": horizontal; "color": brightness, contrast, saturation 0.8 s, hue 0.2 s (appendix A;
    applied to every view, where the paper applies it with p = 0.8); "grayscale": p = 0.2;
    "blur": Gaussian, sigma in [0.1, 2], p = 0.5, kernel about 10 % of the side. Saturation,
    hue and grayscale need colour: on one-channel images only brightness and contrast remain.
    """
    unknown = [a for a in augmentations if a not in AUGMENTATIONS]
    if unknown:
        raise ValueError(f"simclr: unknown augmentations {unknown}; expected some of "
                         f"{AUGMENTATIONS}.")
    side = 1.0 - crop_scale ** 0.5
    s = color_strength
    layers = []
    for name in augmentations:
        if name == "crop":
            layers.append(keras.layers.RandomZoom((-side, 0.0), (-side, 0.0), seed=seed,
                                                  name="random_crop"))
        elif name == "flip":
            layers.append(keras.layers.RandomFlip("horizontal", seed=seed, name="random_flip"))
        elif name == "color" and channels == 3:
            layers.append(keras.layers.RandomColorJitter(
                value_range=(0, 1), brightness_factor=0.8 * s, contrast_factor=0.8 * s,
                saturation_factor=(max(0.0, 0.5 - 0.4 * s), min(1.0, 0.5 + 0.4 * s)),
                hue_factor=0.2 * s, seed=seed, name="color_jitter"))
        elif name == "color":
            layers.append(keras.layers.RandomBrightness(0.8 * s, value_range=(0, 1), seed=seed,
                                                        name="random_brightness"))
            layers.append(keras.layers.RandomContrast(0.8 * s, value_range=(0, 1), seed=seed,
                                                      name="random_contrast"))
        elif name == "grayscale" and channels == 3:
            layers.append(keras.layers.RandomGrayscale(0.2, seed=seed, name="random_grayscale"))
        elif name == "blur":
            layers.append(keras.layers.RandomGaussianBlur(
                0.5, kernel_size=3, sigma=(0.1, 2.0), value_range=(0, 1), seed=seed,
                name="random_blur"))
    return layers


@keras.saving.register_keras_serializable(package="keras_zoo")
class SimCLRModel(RepresentationModel):
    """Two augmented views of every image, a projection head g, NT-Xent over the batch.

    ``fit`` takes images (labels, if given, are ignored: the pairing of the two views is the
    only supervision). ``call`` returns the L2-normalised representation h = f(x) (before the
    projection head: section 4.2 shows h is the better representation); ``features`` gives
    the un-normalised h for a linear probe.

    Args:
        encoder: f, images -> h.
        head: g, the projection MLP h -> z.
        temperature: tau of NT-Xent (> 0).
        augmentations: some of ``AUGMENTATIONS``.
        crop_scale: the smallest crop area (the paper's 0.08).
        color_strength: s of the colour distortion (the paper's 1.0; 0.5 on CIFAR-10).
        seed: seed of the augmentations.
        **kwargs: ``keras.Model`` arguments.
    """

    networks = ("encoder", "head")
    target = None

    def __init__(self, encoder=None, head=None, temperature=0.5, augmentations=AUGMENTATIONS,
                 crop_scale=0.08, color_strength=0.5, seed=None, **kwargs):
        super().__init__(encoder=encoder, head=head, **kwargs)
        self.temperature = check_positive(temperature, "temperature", self.name)
        self.crop_scale = check_positive(crop_scale, "crop_scale", self.name)
        if self.crop_scale > 1:
            raise ValueError(f"{self.name}: crop_scale must be in (0, 1], got {crop_scale!r}.")
        self.color_strength = float(color_strength)
        self.augmentations = tuple(augmentations)
        self.seed = seed
        self.augmenters = augmentation_layers(self.augmentations, self.image_shape[-1],
                                              self.crop_scale, self.color_strength, seed)

    def embed(self, images, training=False):
        return self.normalize(self.features(images, training=training))

    def augment(self, images):
        for layer in self.augmenters:
            images = layer(images, training=True)
        return tf.clip_by_value(images, 0.0, 1.0)

    def objective(self, images, y, training):
        views = tf.concat([self.augment(images), self.augment(images)], axis=0)
        z = self.head(self.features(views, training=training), training=training)
        z_a, z_b = tf.split(z, 2, axis=0)
        return {"loss": nt_xent(z_a, z_b, self.temperature)}

    def get_config(self):
        return {**super().get_config(), "temperature": self.temperature,
                "augmentations": list(self.augmentations), "crop_scale": self.crop_scale,
                "color_strength": self.color_strength, "seed": self.seed}


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

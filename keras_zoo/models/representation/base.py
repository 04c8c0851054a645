"""The public contract of representation models: a registry classifier as the encoder, a trained
objective in ``train_step``, L2-normalised embeddings from ``embed``.

The tasks (``keras_zoo.tasks.embedding``, ``keras_zoo.tasks.domain_adaptation``) and
``keras-zoo embed`` read the attributes declared here (``image_shape``, ``embed``, ``target``,
``serves_pairs``) instead of probing a model for them."""

from __future__ import annotations

import math

import keras
import tensorflow as tf

from keras_zoo.models.composite import LogTrackers, NetworksConfig
from keras_zoo.models.replicas import minimize

#: SimCLR's augmentation family (Chen et al. 2020, section 3 and appendix A), in its order.
AUGMENTATIONS = ("crop", "flip", "color", "grayscale", "blur")


def backbone_encoder(backbone, input_shape, backbone_preset=None, backbone_config=None,
                     owner="model"):
    """A registry image classifier without its top, global-average pooled: images -> [B, F].

    Args:
        backbone: a registry name of task "classification" (``"lenet5"``, ``"resnet18"`` ...).
        input_shape: ``(H, W, C)``.
        backbone_preset: the classifier's preset ("tiny", "canonical" or None).
        backbone_config: further builder kwargs of the classifier.
        owner: the calling model's name, for error messages.
    """
    from keras_zoo.models import registry

    entry = registry.info(backbone)
    if entry.task != "classification":
        raise ValueError(f"{owner}: backbone must be a registry image classifier, got "
                         f"{backbone!r} (task {entry.task!r}); see "
                         f"keras_zoo.models.list('classification').")
    config = dict(backbone_config or {})
    fixed = sorted({"include_top", "pooling", "input_shape"} & set(config))
    if fixed:
        raise ValueError(f"{owner}: backbone_config may not set {fixed}: the encoder is always "
                         "include_top=False, pooling='avg' at the model's input_shape.")
    config.update(include_top=False, pooling="avg", input_shape=tuple(input_shape))
    return entry.build(backbone_preset, **config)


def check_positive_int(value, name, owner):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{owner}: {name} must be a positive int, got {value!r}.")
    return value


def check_positive(value, name, owner):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"{owner}: {name} must be a number > 0, got {value!r}.")
    return float(value)


class NetworksModel(LogTrackers, NetworksConfig, keras.Model):
    """A model made of named functional sub-networks (``networks``, serialised by
    ``get_config``), whose ``fit`` logs are the means of trackers (``metric_names``).

    Attributes:
        networks: attribute names of the sub-networks; one of them is ``"encoder"`` (images ->
            pooled features ``[B, F]``).
        image_shape: ``(H, W, C)`` of the encoder's input, set at construction.
    """

    def __init__(self, **kwargs):
        networks = {key: kwargs.pop(key, None) for key in self.networks}
        super().__init__(**kwargs)
        self._set_networks(networks)

    def _set_networks(self, networks):
        for key in self.networks:
            net = networks.get(key)
            if not isinstance(net, keras.Model):
                raise TypeError(f"{self.name}: {key} must be a keras.Model, got "
                                f"{type(net).__name__}.")
            setattr(self, key, net)
        self.image_shape = tuple(self.encoder.inputs[0].shape[1:])
        self._make_trackers()
        self.built = True

    def features(self, images, training=False):
        """The encoder's pooled features h (what a linear probe reads)."""
        return self.encoder(images, training=training)

    def embed(self, images, training=False):
        """L2-normalised embeddings ``[B, D]`` of float images in [0, 1] (here: of the
        encoder's features; ``keras-zoo embed`` plots these)."""
        return tf.math.l2_normalize(self.features(images, training=training), axis=-1)



class RepresentationModel(NetworksModel):
    """An encoder (and optional head) trained on ``objective``; ``call`` gives the embedding.

    ``fit`` takes ``(images in [0, 1], y)`` where ``y`` is what the objective needs (class
    labels, instance indices, or nothing). Subclasses set ``networks`` (attribute names of the
    functional sub-networks, serialised by ``get_config``), ``metric_names`` and implement
    ``objective(images, y, training) -> logs`` with a ``"loss"`` to minimise.

    Attributes:
        target: what ``y`` holds for this model: ``"labels"`` (classes), ``"index"`` (the
            example's position in the training set), ``"edges"`` (pairs of related items) or
            ``None`` (self-supervised).
        serves_pairs: the serving signature takes pairs of images (Siamese verification).
    """

    networks = ("encoder", "head")
    target = "labels"
    serves_pairs = False

    def _set_networks(self, networks):
        super()._set_networks(networks)
        self.normalize = keras.layers.UnitNormalization(axis=-1, name="l2_normalize")

    def _images(self, inputs):
        images = inputs["images"] if isinstance(inputs, dict) else inputs
        images = tf.convert_to_tensor(images)
        if tuple(images.shape[1:]) != self.image_shape:
            raise ValueError(f"{self.name}: images must have shape [B, {self.image_shape}], got "
                             f"{tuple(images.shape)}.")
        return tf.cast(images, "float32")

    def embed(self, images, training=False):
        """L2-normalised embeddings ``[B, D]`` of float images in [0, 1] (through the head,
        if the model has one)."""
        z = self.features(images, training=training)
        if "head" in self.networks:
            z = self.head(z, training=training)
        return self.normalize(z)

    def call(self, inputs, training=False):
        return self.embed(self._images(inputs), training=training)

    def objective(self, images, y, training):
        raise NotImplementedError

    def train_step(self, data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        images = self._images(x)
        with tf.GradientTape() as tape:
            logs = self.objective(images, y, training=True)
        minimize(self.optimizer, tape, logs["loss"], self.trainable_variables)
        return self._update(logs)

    def test_step(self, data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        return self._update(self.objective(self._images(x), y, training=False))


def projection_head(input_dim, units, name, hidden=None):
    """Dense head ``[F] -> [units]``, with one ReLU hidden layer of ``hidden`` units if given
    (SimCLR's g(.), section 2.1); a linear map otherwise."""
    inputs = keras.Input((input_dim,), name="features")
    x = inputs
    if hidden:
        x = keras.layers.Dense(hidden, activation="relu", name="hidden")(x)
    outputs = keras.layers.Dense(units, name="projection")(x)
    return keras.Model(inputs, outputs, name=name)


def random_resized_crop(images, scale, seed, ratio=(3 / 4, 4 / 3)):
    """Random crops resized back to the input size (bilinear): area a fraction in
    ``[scale, 1]`` of the image, aspect ratio log-uniform in ``ratio``, position uniform inside
    the image (SimCLR's "crop", appendix A; Inception's). A side longer than the image is cut to
    it (torchvision redraws instead), so such a crop's area falls below its draw.

    Args:
        images: float ``[B, H, W, C]``.
        scale: the smallest area fraction (0, 1].
        seed: a ``keras.random.SeedGenerator``.
        ratio: ``(min, max)`` width / height.
    """
    batch = tf.shape(images)[0]
    area = keras.random.uniform((batch,), scale, 1.0, seed=seed)
    aspect = tf.exp(keras.random.uniform((batch,), math.log(ratio[0]), math.log(ratio[1]),
                                         seed=seed))
    height = tf.minimum(tf.sqrt(area / aspect), 1.0)
    width = tf.minimum(tf.sqrt(area * aspect), 1.0)
    top = keras.random.uniform((batch,), seed=seed) * (1.0 - height)
    left = keras.random.uniform((batch,), seed=seed) * (1.0 - width)
    boxes = tf.stack([top, left, top + height, left + width], axis=-1)
    return tf.image.crop_and_resize(images, boxes, tf.range(batch), tf.shape(images)[1:3])


def augmentation_layers(augmentations, channels, color_strength, seed):
    """Keras core preprocessing layers for the augmentations other than "crop" of images in
    [0, 1], by name.

    "flip": horizontal; "color": brightness, contrast, saturation 0.8 s, hue 0.2 s (appendix A;
    applied to every view, where the paper applies it with p = 0.8); "grayscale": p = 0.2;
    "blur": Gaussian, sigma in [0.1, 2], p = 0.5, kernel about 10 % of the side. Saturation,
    hue and grayscale need colour: on one-channel images only brightness and contrast remain.
    """
    unknown = [a for a in augmentations if a not in AUGMENTATIONS]
    if unknown:
        raise ValueError(f"unknown augmentations {unknown}; expected some of {AUGMENTATIONS}.")
    s = color_strength
    layers = {}
    for name in augmentations:
        if name == "flip":
            layers[name] = [keras.layers.RandomFlip("horizontal", seed=seed, name="random_flip")]
        elif name == "color" and channels == 3:
            layers[name] = [keras.layers.RandomColorJitter(
                value_range=(0, 1), brightness_factor=0.8 * s, contrast_factor=0.8 * s,
                saturation_factor=(max(0.0, 0.5 - 0.4 * s), min(1.0, 0.5 + 0.4 * s)),
                hue_factor=0.2 * s, seed=seed, name="color_jitter")]
        elif name == "color":
            layers[name] = [
                keras.layers.RandomBrightness(0.8 * s, value_range=(0, 1), seed=seed,
                                              name="random_brightness"),
                keras.layers.RandomContrast(0.8 * s, value_range=(0, 1), seed=seed,
                                            name="random_contrast")]
        elif name == "grayscale" and channels == 3:
            layers[name] = [keras.layers.RandomGrayscale(0.2, seed=seed, name="random_grayscale")]
        elif name == "blur":
            layers[name] = [keras.layers.RandomGaussianBlur(
                0.5, kernel_size=3, sigma=(0.1, 2.0), value_range=(0, 1), seed=seed,
                name="random_blur")]
    return layers


class AugmentedRepresentationModel(RepresentationModel):
    """A representation model whose objective sees random views of its images (``augment``).

    Args:
        augmentations: some of ``AUGMENTATIONS``, applied in their order.
        crop_scale: the smallest crop area (SimCLR's 0.08).
        color_strength: s of the colour distortion.
        seed: seed of the augmentations.
        **kwargs: ``RepresentationModel`` arguments.
    """

    def __init__(self, augmentations=AUGMENTATIONS, crop_scale=0.08, color_strength=0.5,
                 seed=None, **kwargs):
        super().__init__(**kwargs)
        self.crop_scale = check_positive(crop_scale, "crop_scale", self.name)
        if self.crop_scale > 1:
            raise ValueError(f"{self.name}: crop_scale must be in (0, 1], got {crop_scale!r}.")
        self.color_strength = float(color_strength)
        self.augmentations = tuple(augmentations)
        self.seed = seed
        try:
            self.augmenters = augmentation_layers(self.augmentations, self.image_shape[-1],
                                                  self.color_strength, seed)
        except ValueError as error:
            raise ValueError(f"{self.name}: {error}") from None
        self.crop_seed = keras.random.SeedGenerator(seed)

    def augment(self, images):
        """One random view of each image (float, in [0, 1])."""
        for name in self.augmentations:
            if name == "crop":
                images = random_resized_crop(images, self.crop_scale, self.crop_seed)
            for layer in self.augmenters.get(name, ()):
                images = layer(images, training=True)
        return tf.clip_by_value(images, 0.0, 1.0)

    def get_config(self):
        return {**super().get_config(), "augmentations": list(self.augmentations),
                "crop_scale": self.crop_scale, "color_strength": self.color_strength,
                "seed": self.seed}

"""What every representation model shares: a registry classifier as the encoder, a trained
objective in ``train_step``, and L2-normalised embeddings from ``call``."""

from __future__ import annotations

import keras
import tensorflow as tf

from keras_zoo.models.replicas import minimize


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


class NetworksModel(keras.Model):
    """A model made of named functional sub-networks (``networks``, serialised by
    ``get_config``), whose ``fit`` logs are the means of trackers (``metric_names``)."""

    networks: tuple = ()
    metric_names = ("loss",)

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
        self._trackers = {n: keras.metrics.Mean(name=n) for n in self.metric_names}
        self.built = True

    @property
    def metrics(self):
        return list(self._trackers.values())

    def _update(self, logs):
        for name, value in logs.items():
            self._trackers[name].update_state(value)
        return {name: self._trackers[name].result() for name in logs}

    def get_config(self):
        return {"name": self.name, **{key: keras.saving.serialize_keras_object(getattr(self, key))
                                      for key in self.networks}}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in cls.networks:
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)


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

    def features(self, images, training=False):
        """The encoder's pooled features h (what a linear probe reads)."""
        return self.encoder(images, training=training)

    def embed(self, images, training=False):
        """L2-normalised embeddings ``[B, D]`` of float images in [0, 1]."""
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

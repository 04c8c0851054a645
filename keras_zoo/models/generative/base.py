"""The one adversarial training loop of keras-zoo: a ``keras.Model`` that owns its networks and
optimizers and trains them in ``train_step``, so that a GAN trains with plain ``model.fit``.

Keras 3's way to train with a custom step: one model, two optimizers, a ``metrics`` property
listing the trackers, a working ``call()``; never two compiled models alternated with
``train_on_batch``, whose frozen-discriminator trick Keras 3 breaks (keras #20474).

Conventions shared by the family:
- Inputs are the package's images, float32 in [0, 1]; the model maps them to [-1, 1], the range
  of the generators' ``tanh`` (DCGAN, section 3), and maps generated images back for ``call``.
- ``fit`` takes ``images`` (a tensor, or a dict with ``"images"``), plus ``"labels"`` (dict key or
  ``y``) for label-conditioned models, or ``"targets"`` (dict key or ``y``) for image-to-image
  models. A ``"latent"`` entry of the dict is ignored by training (fresh noise is drawn each
  step); ``call`` uses it, which makes ``call`` deterministic.
- The k:1 discriminator:generator ratio (Goodfellow et al. 2014, Algorithm 1: k steps of the
  discriminator on k minibatches per generator step) is ``discriminator_steps``: every batch
  updates the discriminator; the generator is updated on every k-th batch. The counter is the
  discriminator optimizer's ``iterations``, which checkpoints save and restore.
- Every step logs ``stat_gap``, the per-pixel gap between the batch moments of generated and
  real images (``statistics_gap``): a loss-free measure that the generator's outputs move towards the data's.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from keras_zoo.models.composite import LogTrackers, NetworksConfig
from keras_zoo.models.replicas import minimize


def to_signed(images):
    """[0, 1] -> [-1, 1]."""
    return images * 2.0 - 1.0


def to_unit(images):
    """[-1, 1] -> [0, 1]."""
    return (images + 1.0) * 0.5


def check_positive_int(value, arg):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{arg} must be a positive int, got {value!r}.")
    return int(value)


def statistics_gap(fake, real):
    """Mean over pixels of |mean(fake) - mean(real)| + |std(fake) - std(real)|, the moments
    taken over the batch: how far the generated images' per-pixel first two moments are from
    the data's (digits: dark borders, bright strokes in the middle)."""
    fake_mean, fake_var = tf.nn.moments(fake, axes=[0])
    real_mean, real_var = tf.nn.moments(real, axes=[0])
    return tf.reduce_mean(tf.abs(fake_mean - real_mean)
                          + tf.abs(tf.sqrt(fake_var + 1e-8) - tf.sqrt(real_var + 1e-8)))


def _concrete(value):
    """A numpy array if ``value`` has concrete values (numpy or eager), else ``None``."""
    if isinstance(value, np.ndarray):
        return value
    if tf.is_tensor(value) and tf.executing_eagerly() and not isinstance(
            value, keras.KerasTensor):
        try:
            return value.numpy()
        except (AttributeError, TypeError, ValueError):
            return None
    return None


def validate_latent(latent, latent_dim, arg="latent"):
    shape = tuple(latent.shape)
    if len(shape) != 2 or shape[-1] != latent_dim:
        raise ValueError(f"{arg} must have shape (batch, {latent_dim}), got {shape}.")


def validate_labels(labels, num_classes, batch=None, arg="labels"):
    shape = tuple(labels.shape)
    if len(shape) != 1:
        raise ValueError(f"{arg} must be a vector of class ids (batch,), got shape {shape}.")
    if batch is not None and shape[0] is not None and batch is not None and shape[0] != batch:
        raise ValueError(f"{arg}: {shape[0]} labels for a batch of {batch}.")
    values = _concrete(labels)
    if values is not None and values.size and (values.min() < 0 or values.max() >= num_classes):
        raise ValueError(f"{arg} must be class ids in [0, {num_classes - 1}], got values in "
                         f"[{values.min()}, {values.max()}].")


def validate_images(images, image_shape, arg="images"):
    shape = tuple(images.shape)
    if len(shape) != 4 or tuple(shape[1:]) != tuple(image_shape):
        raise ValueError(f"{arg} must have shape (batch, {', '.join(map(str, image_shape))}), "
                         f"got {shape}.")


def network_input(network, name):
    """The input of a functional network called ``name``, or ``None``."""
    for tensor in network.inputs:
        if tensor.name == name or tensor.name.split(":")[0] == name:
            return tensor
    return None


class TrackedModel(LogTrackers, keras.Model):
    """A model whose ``fit`` logs are the means of named trackers (``metric_names``).

    Attributes read by the tasks (``keras_zoo.tasks.generative``) instead of probing:
        training_kind: ``"objective"`` (one optimizer on one loss: ``compile(optimizer=...)``)
            or ``"adversarial"`` (``compile(d_optimizer=..., g_optimizer=...)``).
        conditioning: what the generator is given besides noise: ``None``, ``"labels"``,
            ``"images"`` or ``"domains"``.
        semi_supervised: the discriminator also classifies (SGAN): ``fit`` takes labels.
    """

    metric_names = ("loss",)
    training_kind = "objective"
    conditioning = None
    semi_supervised = False

    def serving_model(self):
        """The network served by the SavedModel and TFLite exports (default: the model)."""
        return self

    def grid_samples(self, n, labels=None, images=None, seed=0):
        """``(images in [0, 1], labels or None)`` that ``callbacks.SampleGrid`` draws: ``n``
        samples from the fixed ``seed`` (and ``labels``, or ``images`` to translate). Default:
        the model's reconstructions of ``images`` (autoencoders)."""
        if images is None:
            raise ValueError("SampleGrid: an autoencoder needs images= to reconstruct.")
        return keras.ops.convert_to_numpy(self(images[:n])), None

    def test_step(self, data):
        raise NotImplementedError(f"{type(self).__name__} has no evaluation step.")


class ObjectiveModel(TrackedModel):
    """A model trained on one objective of its images (AE, VAE, PixelCNN).

    Subclasses define ``_images(x)`` (validated float images) and ``objective(images,
    training)``, returning the logs, whose ``"loss"`` is minimised.
    """

    def objective(self, images, training):
        raise NotImplementedError

    def train_step(self, data):
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        images = self._images(x)
        with tf.GradientTape() as tape:
            logs = self.objective(images, training=True)
        minimize(self.optimizer, tape, logs["loss"], self.trainable_variables)
        self._update(logs)
        return self._results()

    def test_step(self, data):
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        self._update(self.objective(self._images(x), training=False))
        return self._results()


@keras.saving.register_keras_serializable(package="keras_zoo")
class AdversarialModel(NetworksConfig, TrackedModel):
    """Base of the GAN family: networks, optimizers, the k:1 loop and input validation.

    Subclasses define the losses (``discriminator_loss``, ``generator_loss``) and, where the
    networks are not one generator and one discriminator, ``networks`` and ``train_step``.

    Args:
        generator: a functional model whose inputs are named ``latent`` (+ ``labels``) or
            ``images`` (image-to-image).
        discriminator: a functional model returning logits or critic values.
        discriminator_steps: k, discriminator updates per generator update (>= 1).
        seed: seed of the noise drawn in ``train_step`` (see ``step_noise``).
        **kwargs: ``keras.Model`` arguments (``name``).
    """

    training_kind = "adversarial"
    #: The attributes holding networks (serialised by ``get_config``).
    networks = ("generator", "discriminator")
    generator_networks = ("generator",)
    discriminator_networks = ("discriminator",)
    metric_names = ("d_loss", "g_loss", "stat_gap")

    def __init__(self, generator=None, discriminator=None, discriminator_steps=1, seed=None,
                 **kwargs):
        super().__init__(**kwargs)
        self._setup({"generator": generator, "discriminator": discriminator},
                    discriminator_steps, seed)

    def _setup(self, networks, discriminator_steps, seed):
        self._set_networks(networks)
        self.discriminator_steps = check_positive_int(discriminator_steps, "discriminator_steps")
        self.seed = seed
        self._make_trackers()
        self.d_optimizer = None
        self.g_optimizer = None
        self._describe_inputs()
        self.built = True

    def _set_networks(self, networks):
        for name in self.networks:
            network = networks.get(name)
            if not isinstance(network, keras.Model):
                raise TypeError(f"{name} must be a keras.Model, got {type(network).__name__}.")
            setattr(self, name, network)

    # --- what the generator takes ------------------------------------------------------------
    def _describe_inputs(self):
        latent = network_input(self.generator, "latent")
        labels = network_input(self.generator, "labels")
        source = network_input(self.generator, "images")
        self.latent_dim = int(latent.shape[-1]) if latent is not None else None
        self.num_classes = None
        if labels is not None:
            embedding = [layer for layer in self.generator.layers
                         if isinstance(layer, keras.layers.Embedding)]
            self.num_classes = int(embedding[0].input_dim)
        self.conditioning = ("labels" if labels is not None
                             else "images" if source is not None else None)
        self.source_shape = tuple(source.shape[1:]) if source is not None else None
        self.image_shape = tuple(self.generator.outputs[0].shape[1:])

    # --- optimizers --------------------------------------------------------------------------
    def default_optimizers(self, learning_rate=None):
        """``(d_optimizer, g_optimizer)``: Adam(2e-4, beta_1=0.5), DCGAN's (section 4)."""
        lr = learning_rate or 2e-4
        return (keras.optimizers.Adam(lr, beta_1=0.5), keras.optimizers.Adam(lr, beta_1=0.5))

    def _variables(self, names):
        return [v for n in names for v in getattr(self, n).trainable_variables]

    @property
    def discriminator_variables(self):
        return self._variables(self.discriminator_networks)

    @property
    def generator_variables(self):
        return self._variables(self.generator_networks)

    def compile(self, d_optimizer=None, g_optimizer=None, learning_rate=None, **kwargs):
        """Sets the two optimizers (the papers' defaults where ``None``) and builds them now, so
        that a checkpoint restored before the first step (BackupAndRestore) finds every slot.

        Args:
            d_optimizer: the discriminator's (critic's) optimizer.
            g_optimizer: the generator's optimizer.
            learning_rate: overrides the default optimizers' learning rate.
            **kwargs: ``keras.Model.compile`` arguments (``jit_compile``, ``run_eagerly``).
        """
        default_d, default_g = self.default_optimizers(learning_rate)
        self.d_optimizer = d_optimizer or default_d
        self.g_optimizer = g_optimizer or default_g
        if self.d_optimizer is self.g_optimizer:
            raise ValueError("d_optimizer and g_optimizer must be two optimizer objects: each "
                             "keeps the slots of its own network.")
        kwargs.pop("optimizer", None)
        kwargs.pop("loss", None)
        # `optimizer=` is the generator's: Keras then finds it built and builds no third one.
        super().compile(optimizer=self.g_optimizer, **kwargs)
        self.d_optimizer.build(self.discriminator_variables)
        self.g_optimizer.build(self.generator_variables)

    # --- data ----------------------------------------------------------------------------------
    def unpack(self, data):
        """``(real images in [-1, 1], condition)`` from a ``fit`` batch."""
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        if isinstance(x, dict):
            images = x["images"]
            extra = x.get("targets" if self.conditioning == "images" else "labels", y)
        else:
            images, extra = x, y
        if self.conditioning is None:
            return to_signed(tf.cast(images, "float32")), None
        if extra is None:
            wanted = "targets" if self.conditioning == "images" else "labels"
            raise ValueError(f"{self.name} needs {wanted!r} (a dict key of x, or y) to train.")
        if self.conditioning == "labels":
            return to_signed(tf.cast(images, "float32")), tf.cast(tf.reshape(extra, [-1]), "int32")
        # Image-to-image: the real image is the target, the condition the source.
        return to_signed(tf.cast(extra, "float32")), to_signed(tf.cast(images, "float32"))

    def step_noise(self, shape, salt, distribution="normal"):
        """Training noise as a function of (seed, step, salt), the step being the
        discriminator optimizer's ``iterations``: a run resumed from a checkpoint draws exactly
        the noise the uninterrupted run would have (a stateful generator's state is not part of
        the saved weights)."""
        step = tf.cast(self.d_optimizer.iterations, tf.int64)
        seed = tf.stack([tf.constant((self.seed or 0) * 1009 + salt, tf.int64), step])
        if distribution == "uniform":
            return tf.random.stateless_uniform(shape, seed)
        return tf.random.stateless_normal(shape, seed)

    def sample_latent(self, batch, salt=0):
        return self.step_noise(tf.stack([batch, self.latent_dim]), salt)

    def generator_inputs(self, batch, condition, salt=0):
        if self.conditioning == "images":
            return condition
        latent = self.sample_latent(batch, salt)
        return latent if self.conditioning is None else [latent, condition]

    def discriminator_inputs(self, images, condition):
        if self.conditioning is None:
            return images
        if self.conditioning == "labels":
            return [images, condition]
        return [condition, images]

    # --- losses (subclasses) -------------------------------------------------------------------
    def discriminator_loss(self, real_output, fake_output, real, fake, condition):
        """``(loss, logs)`` of the discriminator."""
        raise NotImplementedError

    def generator_loss(self, fake_output, real, fake, condition):
        """``(loss, logs)`` of the generator."""
        raise NotImplementedError

    def after_discriminator_step(self):
        """Hook after each discriminator update (WGAN clips its weights here)."""

    # --- training ------------------------------------------------------------------------------
    def _check_compiled(self):
        if self.d_optimizer is None or self.g_optimizer is None:
            raise RuntimeError(f"{self.name}: call compile() before fit().")

    def discriminator_step(self, real, condition):
        batch = tf.shape(real)[0]
        fake = self.generator(self.generator_inputs(batch, condition, salt=1), training=True)
        with tf.GradientTape() as tape:
            real_output = self.discriminator(self.discriminator_inputs(real, condition),
                                             training=True)
            fake_output = self.discriminator(self.discriminator_inputs(fake, condition),
                                             training=True)
            loss, logs = self.discriminator_loss(real_output, fake_output, real, fake, condition)
        minimize(self.d_optimizer, tape, loss, self.discriminator_variables)
        self.after_discriminator_step()
        logs = dict(logs, d_loss=loss, stat_gap=statistics_gap(fake, real))
        self._update(logs)

    def generator_step(self, real, condition):
        batch = tf.shape(real)[0]
        with tf.GradientTape() as tape:
            fake = self.generator(self.generator_inputs(batch, condition, salt=2), training=True)
            fake_output = self.discriminator(self.discriminator_inputs(fake, condition),
                                             training=True)
            loss, logs = self.generator_loss(fake_output, real, fake, condition)
        minimize(self.g_optimizer, tape, loss, self.generator_variables)
        self._update(dict(logs, g_loss=loss))

    def train_step(self, data):
        self._check_compiled()
        real, condition = self.unpack(data)
        self.discriminator_step(real, condition)
        if self.discriminator_steps == 1:
            self.generator_step(real, condition)
        else:
            def update_generator():
                self.generator_step(real, condition)
                return tf.constant(True)

            tf.cond(tf.equal(self.d_optimizer.iterations % self.discriminator_steps, 0),
                    update_generator, lambda: tf.constant(False))
        return self._results()

    def test_step(self, data):
        """The losses and the statistics gap on held-out data, without updates."""
        real, condition = self.unpack(data)
        batch = tf.shape(real)[0]
        fake = self.generator(self.generator_inputs(batch, condition, salt=4), training=False)
        real_output = self.discriminator(self.discriminator_inputs(real, condition),
                                         training=False)
        fake_output = self.discriminator(self.discriminator_inputs(fake, condition),
                                         training=False)
        d_loss, d_logs = self.discriminator_loss(real_output, fake_output, real, fake, condition)
        g_loss, g_logs = self.generator_loss(fake_output, real, fake, condition)
        self._update(dict(d_logs, **g_logs, d_loss=d_loss, g_loss=g_loss,
                          stat_gap=statistics_gap(fake, real)))
        return self._results()

    # --- inference -----------------------------------------------------------------------------
    def validate(self, inputs):
        """Clear ``ValueError``s for a latent of the wrong size, labels out of range, an image
        of the wrong size."""
        batch = None
        if self.conditioning == "images":
            validate_images(inputs["images"], self.source_shape, "images")
            if "targets" in inputs:
                validate_images(inputs["targets"], self.image_shape, "targets")
            return
        if "latent" not in inputs:
            raise ValueError(f"{self.name}: inputs need 'latent' of shape (batch, "
                             f"{self.latent_dim}); got keys {sorted(inputs)}.")
        validate_latent(inputs["latent"], self.latent_dim)
        batch = inputs["latent"].shape[0]
        if self.conditioning == "labels":
            if "labels" not in inputs:
                raise ValueError(f"{self.name}: inputs need 'labels' (class ids in "
                                 f"[0, {self.num_classes - 1}]).")
            validate_labels(inputs["labels"], self.num_classes, batch)
        if "images" in inputs:
            validate_images(inputs["images"], self.image_shape, "images")

    def _as_dict(self, inputs):
        if isinstance(inputs, dict):
            return dict(inputs)
        if self.conditioning == "images":
            return {"images": inputs}
        if isinstance(inputs, (list, tuple)):
            return dict(zip(("latent", "labels"), inputs, strict=False))
        return {"latent": inputs}

    def call(self, inputs, training=False):
        """Generated images in [0, 1] (``"images"``) and, where real images are given, the
        discriminator's outputs on them (``"scores"``).

        ``inputs``: the latent (tensor) or a dict ``{"latent", ["labels"], ["images"]}``; for
        image-to-image models the source images or ``{"images", ["targets"]}``.
        """
        inputs = self._as_dict(inputs)
        self.validate(inputs)
        if self.conditioning == "images":
            source = to_signed(inputs["images"])
            outputs = {"images": to_unit(self.generator(source, training=training))}
            if "targets" in inputs:
                outputs["scores"] = self.discriminator(
                    [source, to_signed(inputs["targets"])], training=training)
            return outputs
        g_inputs = inputs["latent"] if self.conditioning is None else [
            inputs["latent"], inputs["labels"]]
        outputs = {"images": to_unit(self.generator(g_inputs, training=training))}
        if "images" in inputs:
            real = to_signed(inputs["images"])
            d_inputs = real if self.conditioning is None else [real, inputs["labels"]]
            outputs["scores"] = self.discriminator(d_inputs, training=training)
        return outputs

    def grid_samples(self, n, labels=None, images=None, seed=0):
        if self.conditioning == "images":
            return self.generate(images=images[:n]), None
        if self.conditioning != "labels":
            labels = None
        elif labels is None:
            labels = np.arange(n) % self.num_classes
        return self.generate(labels=labels, n=n, seed=seed), labels

    def generate(self, latent=None, labels=None, images=None, n=None, seed=None):
        """Images in [0, 1] as numpy, from a latent (drawn from N(0, I) if ``None``: ``n`` of
        them), labels for conditional models, or source images for image-to-image models."""
        if self.conditioning == "images":
            if images is None:
                raise ValueError(f"{self.name} translates images: pass images=.")
            inputs = {"images": np.asarray(images, np.float32)}
        else:
            if latent is None:
                if n is None:
                    n = len(labels) if labels is not None else 1
                latent = np.random.default_rng(seed).standard_normal(
                    (n, self.latent_dim)).astype(np.float32)
            inputs = {"latent": np.asarray(latent, np.float32)}
            if self.conditioning == "labels":
                if labels is None:
                    raise ValueError(f"{self.name} is conditional: pass labels= (class ids in "
                                     f"[0, {self.num_classes - 1}]).")
                inputs["labels"] = np.asarray(labels, np.int32)
        return keras.ops.convert_to_numpy(self(inputs, training=False)["images"])

    def serving_model(self):
        """The network served by the SavedModel and TFLite exports (the generator)."""
        return self.generator

    # --- config --------------------------------------------------------------------------------
    def get_config(self):
        return {**super().get_config(), "discriminator_steps": self.discriminator_steps,
                "seed": self.seed}

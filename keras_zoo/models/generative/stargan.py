"""StarGAN (Choi et al. 2018, "StarGAN: Unified Generative Adversarial Networks for
Multi-Domain Image-to-Image Translation").

One generator G(x, c) translates an image x into any target domain c (a domain label, one-hot
and spatially replicated, concatenated to the image; section 3.1). The discriminator has two
heads: D_src (a PatchGAN critic) and D_cls (domain classification). Losses (equations 1-6,
with the WGAN-GP adversarial loss of section 4.1):

    L_D = -L_adv + lambda_cls L_cls^r + lambda_gp L_gp
    L_G =  L_adv + lambda_cls L_cls^f + lambda_rec ||x - G(G(x, c), c')||_1

with c' the original domain, lambda_cls = 1, lambda_rec = 10, lambda_gp = 10, n_critic = 5,
Adam(1e-4, beta_1=0.5, beta_2=0.999).

Training over several labelled datasets (section 3.2, ``dataset_domains``): each dataset has its
own label set; the generator's label is c~ = [c_1, ..., c_n, m], the one-hot label of the
image's dataset in its block, zeros in the other datasets' blocks, and the mask vector m, the
one-hot of the dataset. D_cls predicts every dataset's labels and is trained (and trains G) only
on the block of the dataset the label comes from.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from keras_zoo.blocks.gan import _check_image_shape, _check_positive, resnet_translator
from keras_zoo.models.generative.base import (
    AdversarialModel,
    statistics_gap,
    to_signed,
    to_unit,
    validate_images,
    validate_labels,
)
from keras_zoo.models.generative.wgan_gp import gradient_penalty
from keras_zoo.models.registry import register
from keras_zoo.models.replicas import minimize

PAPER = "Choi et al., StarGAN, CVPR 2018"


def label_vectors(dataset_domains):
    """The rows c~ = [c_1, ..., c_n, m] of every domain of several datasets (section 3.2):
    ``[sum(dataset_domains), sum(dataset_domains) + len(dataset_domains)]``, the domains of
    dataset k numbered after those of datasets 0..k-1."""
    total, count = sum(dataset_domains), len(dataset_domains)
    rows = np.zeros((total, total + count), np.float32)
    start = 0
    for k, size in enumerate(dataset_domains):
        for g in range(start, start + size):
            rows[g, g] = 1.0            # the label, in its dataset's block
            rows[g, total + k] = 1.0    # the mask vector: which dataset's labels are known
        start += size
    return rows


def check_dataset_domains(num_domains, dataset_domains):
    """``(num_domains, dataset_domains)`` checked: None, or a tuple of >= 2 positive sizes
    summing to ``num_domains`` (which defaults to the sum)."""
    if dataset_domains is None:
        return num_domains, None
    sizes = tuple(int(n) for n in dataset_domains)
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"dataset_domains must list the domain counts of two or more datasets, "
                         f"got {dataset_domains!r}.")
    if num_domains is not None and num_domains != sum(sizes):
        raise ValueError(f"num_domains={num_domains} must be sum(dataset_domains) = "
                         f"{sum(sizes)} (or None).")
    return sum(sizes), sizes


def stargan_generator(image_shape, num_domains, filters=64, num_downsampling=2, num_blocks=6,
                      dataset_domains=None, name="generator"):
    """G(x, c): the label is a fixed one-hot, replicated over the image (nearest upsampling of
    a 1x1 map) and concatenated to it, then CycleGAN's ResNet translator (6 blocks). With
    ``dataset_domains``, the fixed vector is c~ with the mask vector (``label_vectors``)."""
    image_shape = _check_image_shape(image_shape)
    num_domains, dataset_domains = check_dataset_domains(num_domains, dataset_domains)
    _check_positive(num_domains, "num_domains")
    h, w, c = image_shape
    width = num_domains + (len(dataset_domains) if dataset_domains else 0)
    images = keras.Input(image_shape, name="images")
    labels = keras.Input((), dtype="int32", name="labels")
    embedding = keras.layers.Embedding(num_domains, width, embeddings_initializer="identity",
                                       trainable=False, name=f"{name}_label_embedding")
    one_hot = embedding(labels)
    plane = keras.layers.Reshape((1, 1, width), name=f"{name}_label_map")(one_hot)
    plane = keras.layers.UpSampling2D((h, w), name=f"{name}_label_replicate")(plane)
    x = keras.layers.Concatenate(name=f"{name}_condition")([images, plane])
    x = resnet_translator(x, c, filters, num_downsampling, num_blocks, name)
    model = keras.Model([images, labels], x, name=name)
    if dataset_domains:  # fixed, not trained: saved with the model's weights
        embedding.set_weights([label_vectors(dataset_domains)])
    return model


def stargan_discriminator(image_shape, num_domains, filters=(64, 128, 256, 512, 1024, 2048),
                          name="discriminator"):
    """D: 4x4 stride-2 convolutions with LeakyReLU(0.01), no normalisation; D_src a 3x3
    convolution to one channel (patch critic), D_cls a convolution over the whole remaining map
    to ``num_domains`` logits (appendix, table 5)."""
    h, w, _ = _check_image_shape(image_shape)
    factor = 2 ** len(filters)
    if h % factor or w % factor:
        raise ValueError(f"image_shape {image_shape}: height and width must be divisible by "
                         f"2**len(filters) = {factor}.")
    images = keras.Input(image_shape, name="images")
    x = images
    for i, f in enumerate(filters):
        x = keras.layers.Conv2D(f, 4, strides=2, padding="same", name=f"{name}_conv{i + 1}")(x)
        x = keras.layers.LeakyReLU(0.01, name=f"{name}_lrelu{i + 1}")(x)
    source = keras.layers.Conv2D(1, 3, padding="same", use_bias=False,
                                 name=f"{name}_src")(x)
    domain = keras.layers.Conv2D(num_domains, (h // factor, w // factor), use_bias=False,
                                 name=f"{name}_cls")(x)
    domain = keras.layers.Reshape((num_domains,), name=f"{name}_cls_logits")(domain)
    return keras.Model(images, [source, domain], name=name)


@keras.saving.register_keras_serializable(package="keras_zoo")
class StarGANModel(AdversarialModel):
    """Multi-domain translation with one generator.

    ``fit`` takes ``{"images": x in [0, 1], "labels": original domain}``; targets are drawn at
    random each step. ``call`` takes ``{"images", "labels"}`` (the *target* domains) and returns
    the translated ``images`` and D's ``domain_logits`` on the inputs.

    Args:
        generator: functional model with inputs ``images`` and ``labels``.
        discriminator: functional model with outputs [patch critic, domain logits].
        classification_weight: lambda_cls (1).
        reconstruction_weight: lambda_rec (10).
        gradient_penalty_weight: lambda_gp (10).
        discriminator_steps: n_critic (5).
        seed: seed of the training noise.
        dataset_domains: None (one dataset), or the domain counts of several datasets
            (section 3.2): domains are numbered dataset after dataset, target domains are
            drawn in the image's own dataset and D_cls is trained on its block only.
        **kwargs: ``keras.Model`` arguments.
    """

    metric_names = ("d_loss", "g_loss", "stat_gap", "d_classification", "g_classification",
                    "reconstruction", "gradient_penalty")

    def __init__(self, generator=None, discriminator=None, classification_weight=1.0,
                 reconstruction_weight=10.0, gradient_penalty_weight=10.0, discriminator_steps=5,
                 seed=None, dataset_domains=None, **kwargs):
        super().__init__(generator, discriminator, discriminator_steps, seed, **kwargs)
        _, self.dataset_domains = check_dataset_domains(self.num_classes, dataset_domains)
        sizes = self.dataset_domains or (self.num_classes,)
        # Per domain: its dataset's first domain and size (one dataset: 0 and all domains).
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        self._domain_start = tf.constant(np.repeat(starts, sizes), tf.int32)
        self._domain_size = tf.constant(np.repeat(sizes, sizes), tf.int32)
        self.classification_weight = float(classification_weight)
        self.reconstruction_weight = float(reconstruction_weight)
        self.gradient_penalty_weight = float(gradient_penalty_weight)

    def _describe_inputs(self):
        super()._describe_inputs()
        self.conditioning = "domains"
        self.source_shape = self.image_shape

    def default_optimizers(self, learning_rate=None):
        lr = learning_rate or 1e-4
        return (keras.optimizers.Adam(lr, beta_1=0.5, beta_2=0.999),
                keras.optimizers.Adam(lr, beta_1=0.5, beta_2=0.999))

    def unpack(self, data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        images = x["images"] if isinstance(x, dict) else x
        labels = x.get("labels", y) if isinstance(x, dict) else y
        if labels is None:
            raise ValueError(f"{self.name} needs the domain 'labels' of its images to train.")
        return to_signed(tf.cast(images, "float32")), tf.cast(tf.reshape(labels, [-1]), tf.int32)

    def target_domains(self, original, u):
        """Target domains for uniform draws ``u`` in [0, 1): any domain of the dataset of each
        ``original`` domain (of all domains with one dataset)."""
        start = tf.gather(self._domain_start, original)
        size = tf.gather(self._domain_size, original)
        return start + tf.minimum(tf.cast(u * tf.cast(size, u.dtype), tf.int32), size - 1)

    def _target_domains(self, original, salt):
        u = self.step_noise(tf.shape(original), salt, "uniform")
        return self.target_domains(original, u)

    def classification_loss(self, labels, logits):
        """Softmax cross-entropy of D_cls over the block of each label's dataset only (section
        3.2: the other datasets' labels are unknown); over all domains with one dataset."""
        start = tf.gather(self._domain_start, labels)[:, None]
        size = tf.gather(self._domain_size, labels)[:, None]
        domain = tf.range(self.num_classes)[None, :]
        in_block = (domain >= start) & (domain < start + size)
        logits = tf.where(in_block, logits, tf.cast(-1e9, logits.dtype))
        return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels,
                                                                             logits=logits))

    def _classification(self, labels, logits):
        return self.classification_loss(labels, logits)

    def discriminator_losses(self, real, original, target, training):
        fake = self.generator([real, target], training=training)
        real_source, real_domain = self.discriminator(real, training=training)
        fake_source, _ = self.discriminator(fake, training=training)
        eps = self.step_noise(tf.stack([tf.shape(real)[0], 1, 1, 1]), 3, "uniform")
        penalty = gradient_penalty(lambda x: self.discriminator(x, training=training),
                                   real, fake, eps)
        classification = self._classification(original, real_domain)
        loss = (tf.reduce_mean(fake_source) - tf.reduce_mean(real_source)
                + self.classification_weight * classification
                + self.gradient_penalty_weight * penalty)
        return loss, {"d_loss": loss, "d_classification": classification,
                      "gradient_penalty": penalty, "stat_gap": statistics_gap(fake, real)}

    def generator_losses(self, real, original, target, training):
        fake = self.generator([real, target], training=training)
        fake_source, fake_domain = self.discriminator(fake, training=training)
        reconstructed = self.generator([fake, original], training=training)
        classification = self._classification(target, fake_domain)
        reconstruction = tf.reduce_mean(tf.abs(real - reconstructed))
        loss = (-tf.reduce_mean(fake_source) + self.classification_weight * classification
                + self.reconstruction_weight * reconstruction)
        return loss, {"g_loss": loss, "g_classification": classification,
                      "reconstruction": reconstruction}

    def train_step(self, data):
        self._check_compiled()
        real, original = self.unpack(data)
        with tf.GradientTape() as tape:
            d_loss, d_logs = self.discriminator_losses(real, original,
                                                       self._target_domains(original, 11),
                                                       True)
        minimize(self.d_optimizer, tape, d_loss, self.discriminator_variables)
        self._update(d_logs)

        def update_generator():
            with tf.GradientTape() as g_tape:
                g_loss, g_logs = self.generator_losses(real, original,
                                                       self._target_domains(original, 12),
                                                       True)
            minimize(self.g_optimizer, g_tape, g_loss, self.generator_variables)
            self._update(g_logs)
            return tf.constant(True)

        if self.discriminator_steps == 1:
            update_generator()
        else:
            tf.cond(tf.equal(self.d_optimizer.iterations % self.discriminator_steps, 0),
                    update_generator, lambda: tf.constant(False))
        return self._results()

    def test_step(self, data):
        real, original = self.unpack(data)
        target = self._target_domains(original, 13)
        logs = self.discriminator_losses(real, original, target, False)[1]
        logs.update(self.generator_losses(real, original, target, False)[1])
        self._update(logs)
        return self._results()

    def validate(self, inputs):
        if "images" not in inputs or "labels" not in inputs:
            raise ValueError(f"{self.name}: inputs need 'images' and target domain 'labels'; "
                             f"got keys {sorted(inputs)}.")
        validate_images(inputs["images"], self.image_shape, "images")
        validate_labels(inputs["labels"], self.num_classes, inputs["images"].shape[0])

    def call(self, inputs, training=False):
        if not isinstance(inputs, dict):
            raise ValueError(f"{self.name}: call it on {{'images': ..., 'labels': ...}}.")
        self.validate(inputs)
        images = to_signed(tf.cast(inputs["images"], "float32"))
        fake = self.generator([images, inputs["labels"]], training=training)
        _, domain = self.discriminator(images, training=training)
        return {"images": to_unit(fake), "domain_logits": domain}

    def generate(self, images=None, labels=None, **unused):
        """Images (numpy, [0, 1]) translated to the target domains ``labels``."""
        if images is None or labels is None:
            raise ValueError(f"{self.name} translates images: pass images= and labels= "
                             f"(target domains in [0, {self.num_classes - 1}]).")
        out = self({"images": np.asarray(images, np.float32),
                    "labels": np.asarray(labels, np.int32)})
        return keras.ops.convert_to_numpy(out["images"])

    def get_config(self):
        return dict(super().get_config(), classification_weight=self.classification_weight,
                    reconstruction_weight=self.reconstruction_weight,
                    gradient_penalty_weight=self.gradient_penalty_weight,
                    dataset_domains=self.dataset_domains)


def StarGAN(image_shape=(128, 128, 3), num_domains=None, generator_filters=64, num_downsampling=2,
            num_blocks=6, discriminator_filters=(64, 128, 256, 512, 1024, 2048),
            discriminator_steps=5, seed=None, dataset_domains=None, name="stargan"):
    """StarGAN at the paper's CelebA size (128x128, 5 attributes as domains).

    Args:
        image_shape: ``(H, W, C)``.
        num_domains: number of domains (labels); default 5, or sum(dataset_domains).
        generator_filters: channels of G's first convolution.
        num_downsampling: G's stride-2 stages.
        num_blocks: G's residual blocks (6).
        discriminator_filters: channels of D's stride-2 convolutions.
        discriminator_steps: n_critic (5).
        seed: seed of the training noise.
        dataset_domains: the domain counts of several labelled datasets trained together with
            the mask vector (section 3.2; CelebA + RaFD: (5, 8)), or None.
        name: model name.
    """
    num_domains, dataset_domains = check_dataset_domains(num_domains, dataset_domains)
    num_domains = 5 if num_domains is None else num_domains
    return StarGANModel(
        stargan_generator(image_shape, num_domains, generator_filters, num_downsampling,
                          num_blocks, dataset_domains),
        stargan_discriminator(image_shape, num_domains, discriminator_filters),
        discriminator_steps=discriminator_steps, seed=seed, dataset_domains=dataset_domains,
        name=name)


register("stargan", task="generative", family="gan",
         tiny=dict(image_shape=(16, 16, 3), num_domains=3, generator_filters=8,
                   num_downsampling=1, num_blocks=1, discriminator_filters=(8, 16),
                   discriminator_steps=1),
         canonical=dict(image_shape=(128, 128, 3), num_domains=5),
         data="domains/colors", recipe="stargan", paper=PAPER,
         notes="tiny uses n_critic=1 so that the battery's 8 steps update G 8 times.")(StarGAN)

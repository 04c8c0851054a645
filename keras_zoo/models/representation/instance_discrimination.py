"""Instance discrimination with a memory bank and NCE (Wu, Xiong, Yu & Lin, Unsupervised Feature
Learning via Non-Parametric Instance Discrimination, CVPR 2018)."""

from __future__ import annotations

import keras
import tensorflow as tf

from keras_zoo.models.registry import register
from keras_zoo.models.representation.base import (
    AugmentedRepresentationModel,
    backbone_encoder,
    check_positive,
    check_positive_int,
    projection_head,
)

PAPER = ("Wu, Xiong, Yu & Lin, Unsupervised Feature Learning via Non-Parametric Instance "
         "Discrimination, CVPR 2018")


@keras.saving.register_keras_serializable(package="keras_zoo")
class InstanceDiscriminationModel(AugmentedRepresentationModel):
    """Every training image is its own class; the classifier is a memory bank of embeddings.

    ``fit`` takes ``(images, index)``: ``index`` is each image's position in the training set
    (< ``memory_size``). The non-parametric softmax P(i | v) = exp(v_i . v / tau) / Z (eq. 2)
    is approximated by NCE (section 3.2, eqs. 4-7) with ``negatives`` noise samples drawn
    uniformly from the bank (P_n = 1/n): h(i, v) = P(i|v) / (P(i|v) + m P_n), loss
    -log h(i, v) - sum_j log(1 - h(j, v')). Z is estimated from each batch's noise samples,
    Z = n mean_j exp(v_j . v / tau) (the paper estimates it once, from the first iterations,
    eq. 8). The bank entry of each image is then updated to the normalised
    mu v_i + (1 - mu) f_i (proximal momentum, mu = 0.5). In training, v is the embedding of a
    random view of the image (``augment``; the authors' released code augments with random
    resized crops, colour jitter and grayscale; without it, the instances are told apart by
    pixel details, and the features fell below a random encoder's under a linear probe on the
    digits). Outside training, the logged loss is
    the batch's own instance discrimination (cross-entropy of the softmax over the batch's
    embeddings): the bank is indexed by training examples only.

    Args:
        encoder: images -> features.
        head: features -> the 128-D embedding (section 4: 128-D).
        memory_size: n, the number of training images.
        negatives: m, noise samples per example (the paper's 4096).
        temperature: tau (the paper's 0.07).
        momentum: the bank's update weight of the old entry (0.5 in the paper).
        augmentations, crop_scale, color_strength: of the views (``augment``); ``()`` trains
            on the images themselves.
        seed: seed of the noise samples and of the augmentations.
        **kwargs: ``keras.Model`` arguments.
    """

    target = "index"

    def __init__(self, encoder=None, head=None, memory_size=1000, negatives=4096,
                 temperature=0.07, momentum=0.5, augmentations=(), crop_scale=0.2,
                 color_strength=0.5, seed=None, **kwargs):
        super().__init__(encoder=encoder, head=head, augmentations=augmentations,
                         crop_scale=crop_scale, color_strength=color_strength, seed=seed,
                         **kwargs)
        self.memory_size = check_positive_int(memory_size, "memory_size", self.name)
        self.negatives = check_positive_int(negatives, "negatives", self.name)
        self.temperature = check_positive(temperature, "temperature", self.name)
        if not 0 <= momentum < 1:
            raise ValueError(f"{self.name}: momentum must be in [0, 1), got {momentum!r}.")
        self.momentum = float(momentum)
        self.seed_generator = keras.random.SeedGenerator(seed)
        dim = int(self.head.outputs[0].shape[-1])
        # Random unit vectors (section 3.2), normalised where they are read.
        self.memory_bank = self.add_weight(
            shape=(self.memory_size, dim), name="memory_bank", trainable=False,
            initializer=keras.initializers.RandomNormal(seed=seed))

    def objective(self, images, y, training):
        if not training:
            v = self.embed(images, training=False)
            logits = tf.matmul(v, v, transpose_b=True) / self.temperature
            labels = tf.range(tf.shape(v)[0])
            return {"loss": tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=labels, logits=logits))}
        v = self.embed(self.augment(images), training=True)
        index = tf.reshape(tf.cast(y, tf.int32), [-1])
        checks = [tf.debugging.assert_less(
            index, self.memory_size,
            message=f"{self.name}: an index is >= memory_size ({self.memory_size}); build the "
                    "model with memory_size = the number of training images")]
        with tf.control_dependencies(checks):
            bank = tf.math.l2_normalize(tf.convert_to_tensor(self.memory_bank), axis=-1)
        batch = tf.shape(v)[0]
        noise = keras.random.randint((batch, self.negatives), 0, self.memory_size,
                                     seed=self.seed_generator)
        positive = tf.gather(bank, index)                       # [B, D]
        negative = tf.gather(bank, noise)                       # [B, m, D]
        s_pos = tf.exp(tf.reduce_sum(positive * v, -1) / self.temperature)
        s_neg = tf.exp(tf.einsum("bmd,bd->bm", negative, v) / self.temperature)
        z = tf.stop_gradient(tf.reduce_mean(s_neg)) * self.memory_size
        noise_mass = self.negatives / self.memory_size           # m P_n
        p_pos, p_neg = s_pos / z, s_neg / z
        loss = -tf.math.log(p_pos / (p_pos + noise_mass) + 1e-12) - tf.reduce_sum(
            tf.math.log(noise_mass / (p_neg + noise_mass) + 1e-12), axis=-1)
        updated = tf.math.l2_normalize(
            self.momentum * positive + (1.0 - self.momentum) * tf.stop_gradient(v), axis=-1)
        self.memory_bank.assign(tf.tensor_scatter_nd_update(
            tf.convert_to_tensor(self.memory_bank), index[:, None], updated))
        return {"loss": tf.reduce_mean(loss)}

    def get_config(self):
        return {**super().get_config(), "memory_size": self.memory_size,
                "negatives": self.negatives, "temperature": self.temperature,
                "momentum": self.momentum}


def InstanceDiscrimination(backbone="resnet18", input_shape=(224, 224, 3), embedding_dim=128,
                           memory_size=1_281_167, negatives=4096, temperature=0.07,
                           momentum=0.5, augmentations=("crop", "color", "grayscale"),
                           crop_scale=0.2, color_strength=0.5, backbone_preset=None,
                           backbone_config=None, seed=None, name="instance_discrimination"):
    """Instance discrimination: encoder (ResNet-18 in the paper's main ImageNet runs), linear
    128-D embedding, unit norm, memory bank of ``memory_size`` entries (ImageNet's 1.28M).

    Args:
        backbone: registry name of the encoder.
        input_shape: ``(H, W, C)``.
        embedding_dim: size of the embedding.
        memory_size: the number of training images (the bank's rows).
        negatives, temperature, momentum, seed: see ``InstanceDiscriminationModel``.
        augmentations, crop_scale, color_strength: the views, by default the authors' code's
            (random resized crop of area >= 0.2, colour jitter 0.4, grayscale p = 0.2).
        backbone_preset, backbone_config: the encoder's preset and builder kwargs.
        name: the model's name.
    """
    check_positive_int(embedding_dim, "embedding_dim", name)
    encoder = backbone_encoder(backbone, input_shape, backbone_preset, backbone_config, name)
    head = projection_head(encoder.outputs[0].shape[-1], embedding_dim, f"{name}_head")
    return InstanceDiscriminationModel(encoder=encoder, head=head, memory_size=memory_size,
                                       negatives=negatives, temperature=temperature,
                                       momentum=momentum, augmentations=augmentations,
                                       crop_scale=crop_scale, color_strength=color_strength,
                                       seed=seed, name=name)


register(
    "instance_discrimination",
    task="embedding",
    family="representation",
    tiny=dict(backbone="lenet5", input_shape=(32, 32, 1), embedding_dim=16, memory_size=32,
              negatives=16, temperature=0.1),
    canonical=dict(backbone="resnet18", input_shape=(224, 224, 3)),
    data="digits",
    recipe="instance_discrimination",
    paper=PAPER,
)(InstanceDiscrimination)

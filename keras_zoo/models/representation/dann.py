"""Domain-adversarial neural network (Ganin & Lempitsky, Unsupervised Domain Adaptation by
Backpropagation, ICML 2015)."""

from __future__ import annotations

import keras
import tensorflow as tf

from keras_zoo.layers import GradientReversal
from keras_zoo.models.registry import register
from keras_zoo.models.representation.base import (
    NetworksModel,
    backbone_encoder,
    check_positive,
    check_positive_int,
)

PAPER = ("Ganin & Lempitsky, Unsupervised Domain Adaptation by Backpropagation, ICML 2015")


@keras.saving.register_keras_serializable(package="keras_zoo")
class DANNModel(NetworksModel):
    """Feature extractor G_f, label predictor G_y and domain classifier G_d behind a gradient
    reversal layer, trained in one backward pass (section 3, eq. 1):
    E = L_y(source) - lambda L_d(source and target), minimised by G_f and G_y, L_d minimised
    by G_d.

    ``fit`` takes ``({"source": images, "target": images}, source labels)``; the target's
    labels are never seen. ``evaluate`` and ``call`` take images (or such a dict, whose
    ``"source"`` is used) and give class probabilities. With ``adapt=False`` the domain branch
    is not trained: the source-only baseline of the paper's tables.

    Args:
        encoder: G_f, images -> features.
        classifier: G_y, features -> class probabilities.
        discriminator: G_d, features -> domain logit (1 = target).
        adapt: train the domain-adversarial branch (False: source only).
        grl_lambda: the final lambda.
        schedule_steps: if set, lambda rises as 2 / (1 + exp(-10 p)) - 1 with p = step /
            schedule_steps (section 5.1), reaching ``grl_lambda``; else it is constant.
        **kwargs: ``keras.Model`` arguments.
    """

    networks = ("encoder", "classifier", "discriminator")
    metric_names = ("loss", "class_loss", "domain_loss", "accuracy")

    def __init__(self, encoder=None, classifier=None, discriminator=None, adapt=True,
                 grl_lambda=1.0, schedule_steps=None, **kwargs):
        super().__init__(encoder=encoder, classifier=classifier, discriminator=discriminator,
                         **kwargs)
        self.adapt = bool(adapt)
        self.grl_lambda = float(grl_lambda)
        if schedule_steps is not None:
            check_positive_int(schedule_steps, "schedule_steps", self.name)
        self.schedule_steps = schedule_steps
        self.reversal = GradientReversal(self.grl_lambda, name="gradient_reversal")

    def _images(self, inputs):
        images = inputs["source"] if isinstance(inputs, dict) else inputs
        return tf.cast(images, "float32")

    def call(self, inputs, training=False):
        return self.classifier(self.encoder(self._images(inputs), training=training),
                               training=training)

    def current_lambda(self):
        if self.schedule_steps is None:
            return tf.constant(self.grl_lambda)
        p = tf.minimum(tf.cast(self.optimizer.iterations, tf.float32) / self.schedule_steps, 1.0)
        return self.grl_lambda * (2.0 / (1.0 + tf.exp(-10.0 * p)) - 1.0)

    def _class_logs(self, probabilities, labels):
        labels = tf.reshape(tf.cast(labels, tf.int32), [-1])
        loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(labels, probabilities))
        correct = tf.equal(tf.argmax(probabilities, -1, output_type=tf.int32), labels)
        return loss, tf.reduce_mean(tf.cast(correct, tf.float32))

    def train_step(self, data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        if not isinstance(x, dict) or set(x) != {"source", "target"}:
            raise ValueError(f"{self.name}: fit takes x = {{'source': images, 'target': "
                             "images}} and y = source labels.")
        source, target = tf.cast(x["source"], "float32"), tf.cast(x["target"], "float32")
        with tf.GradientTape() as tape:
            features = self.encoder(tf.concat([source, target], 0), training=True)
            n = tf.shape(source)[0]
            class_loss, accuracy = self._class_logs(
                self.classifier(features[:n], training=True), y)
            if self.adapt:
                reversed_features = self.reversal(features, scale=self.current_lambda())
                logits = tf.reshape(self.discriminator(reversed_features, training=True), [-1])
                domains = tf.concat([tf.zeros([n]), tf.ones([tf.shape(target)[0]])], 0)
                domain_loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
                    labels=domains, logits=logits))
            else:
                domain_loss = tf.constant(0.0)
            loss = class_loss + domain_loss
            scaled = loss / tf.distribute.get_strategy().num_replicas_in_sync
        variables = self.trainable_variables
        grads = tape.gradient(scaled, variables)
        pairs = [(g, v) for g, v in zip(grads, variables, strict=True) if g is not None]
        self.optimizer.apply([g for g, _ in pairs], [v for _, v in pairs])
        return self._update({"loss": loss, "class_loss": class_loss, "domain_loss": domain_loss,
                             "accuracy": accuracy})

    def test_step(self, data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        class_loss, accuracy = self._class_logs(self(x, training=False), y)
        return self._update({"loss": class_loss, "class_loss": class_loss, "accuracy": accuracy})

    def get_config(self):
        return {**super().get_config(), "adapt": self.adapt, "grl_lambda": self.grl_lambda,
                "schedule_steps": self.schedule_steps}


@keras.saving.register_keras_serializable(package="keras_zoo")
class AnnealedLearningRate(keras.optimizers.schedules.LearningRateSchedule):
    """mu_p = mu_0 / (1 + alpha p)^beta with p = step / total_steps the training progress
    (Ganin & Lempitsky 2015, section 5.1: mu_0 = 0.01, alpha = 10, beta = 0.75).

    Args:
        initial_learning_rate: mu_0.
        total_steps: the steps of the whole run (p reaches 1 there and stays).
        alpha, beta: the paper's 10 and 0.75.
    """

    def __init__(self, initial_learning_rate=0.01, total_steps=1, alpha=10.0, beta=0.75):
        self.initial_learning_rate = check_positive(initial_learning_rate,
                                                    "initial_learning_rate", "AnnealedLearningRate")
        self.total_steps = check_positive_int(total_steps, "total_steps", "AnnealedLearningRate")
        self.alpha, self.beta = float(alpha), float(beta)

    def __call__(self, step):
        p = tf.minimum(tf.cast(step, tf.float32) / self.total_steps, 1.0)
        return self.initial_learning_rate / (1.0 + self.alpha * p) ** self.beta

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "total_steps": self.total_steps, "alpha": self.alpha, "beta": self.beta}


def dann_optimizer(schedule_steps, learning_rate=0.01, momentum=0.9):
    """The paper's optimizer (section 5.1): SGD with momentum 0.9 on ``AnnealedLearningRate``
    over the run's ``schedule_steps`` (the steps over which lambda also rises), for a recipe's
    ``optimizer_factory``.

    Args:
        schedule_steps: the run's training steps (the model's ``schedule_steps``).
        learning_rate: mu_0.
        momentum: SGD's momentum.
    """
    if schedule_steps is None:
        raise ValueError("dann_optimizer: schedule_steps is required (the run's steps, over "
                         "which the learning rate anneals); build dann with schedule_steps=.")
    return keras.optimizers.SGD(AnnealedLearningRate(learning_rate, schedule_steps),
                                momentum=momentum)


def _mlp(input_dim, units, outputs, activation, name):
    inputs = keras.Input((input_dim,), name="features")
    x = inputs
    for i, u in enumerate(units):
        x = keras.layers.Dense(u, activation="relu", name=f"fc{i + 1}")(x)
    return keras.Model(inputs, keras.layers.Dense(outputs, activation=activation,
                                                  name="output")(x), name=name)


def DANN(backbone="lenet5", input_shape=(32, 32, 3), classes=10, domain_units=(100,),
         classifier_units=(100,), adapt=True, grl_lambda=1.0, schedule_steps=None,
         backbone_preset=None, backbone_config=None, name="dann"):
    """DANN: a registry classifier's features as G_f, MLP label predictor and domain
    classifier (the paper's MNIST -> MNIST-M net: two conv layers, 100-unit heads, section 5.1).

    Args:
        backbone: registry name of G_f (an image classifier, include_top=False).
        input_shape: ``(H, W, C)`` of both domains.
        classes: the number of classes.
        domain_units, classifier_units: hidden sizes of G_d and G_y.
        adapt, grl_lambda, schedule_steps: see ``DANNModel``.
        backbone_preset, backbone_config: G_f's preset and builder kwargs.
        name: the model's name.
    """
    check_positive_int(classes, "classes", name)
    check_positive(grl_lambda, "grl_lambda", name)
    encoder = backbone_encoder(backbone, input_shape, backbone_preset, backbone_config, name)
    width = encoder.outputs[0].shape[-1]
    classifier = _mlp(width, classifier_units, classes, "softmax", f"{name}_label_predictor")
    discriminator = _mlp(width, domain_units, 1, None, f"{name}_domain_classifier")
    return DANNModel(encoder, classifier, discriminator, adapt=adapt, grl_lambda=grl_lambda,
                     schedule_steps=schedule_steps, name=name)


register(
    "dann",
    task="domain_adaptation",
    family="representation",
    tiny=dict(backbone="lenet5", input_shape=(32, 32, 3), domain_units=(16,),
              classifier_units=(16,)),
    canonical=dict(backbone="lenet5", input_shape=(32, 32, 3)),
    data="digits_to_textured",
    recipe="dann",
    paper=PAPER,
)(DANN)

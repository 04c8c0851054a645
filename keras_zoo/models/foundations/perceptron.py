"""The perceptron trained by the perceptron rule (Rosenblatt, "The perceptron: a probabilistic
model for information storage and organization in the brain", Psychological Review, 1958)."""

from __future__ import annotations

import keras
import tensorflow as tf

from keras_zoo.models.classification import common
from keras_zoo.models.registry import register


@keras.saving.register_keras_serializable(package="keras_zoo")
class Perceptron(keras.Model):
    """Linear threshold units ``y_k = sign(w_k . x + b_k)``, one per class, trained by the
    perceptron rule (Rosenblatt 1958): for each example with bipolar targets ``t_k`` (+1 for its
    class, -1 for the others), ``w_k += eta * x * t_k`` and ``b_k += eta * t_k`` only for the
    units that got the example wrong (``t_k (w_k . x + b_k) <= 0``).

    That is the rule the notes give as "Hebbian learning" (``Delta w_i = eta x_i t``, applied
    only when the sample is mispredicted): with the mistake condition it is Rosenblatt's
    perceptron rule; ``HebbianNetwork`` applies the same product to every example. The bias is
    the weight of a constant input 1 (the notes' ``w_0``).

    The rule's step goes through the compiled optimizer as the gradient ``-sum_i x_i t_i m_i``
    (``m_i`` = 1 on a mistake) of the perceptron criterion ``sum_k max(0, -t_k s_k)``: compile
    with ``keras.optimizers.SGD(eta)`` and fit with ``batch_size=1`` for the online rule as
    written; a larger batch sums the steps of its examples at the same weights (the batch
    perceptron), another optimizer rescales that direction. ``call`` returns the scores
    ``s = W x + b``; the predicted class is their argmax, the reported loss the criterion
    (averaged over the batch, before the step).

    Args:
        input_shape: the shape of one example (flattened into the units' inputs).
        classes: the number of classes (one unit each).
        name: the model's name.
    """

    #: Only mistakes move the weights.
    mistake_driven = True

    def __init__(self, input_shape=(8, 8, 1), classes=10, name="perceptron", **kwargs):
        # === Layers and functional model ===
        shape = common.validate_args(
            name=name, weights=None, input_shape=input_shape, default_shape=(8, 8, 1),
            include_top=True, pooling=None, classes=classes)
        inputs = keras.Input(shape=shape, name="images")
        x = keras.layers.Flatten(name="flatten")(inputs)
        scores = keras.layers.Dense(classes, name="units")(x)
        super().__init__(inputs, scores, name=name, **kwargs)

        # === Config ===
        self.image_shape = tuple(shape)
        self.classes = classes

    # --- the rule ---------------------------------------------------------------------------
    def bipolar_targets(self, y):
        """``t``: +1 for the example's class, -1 for the others ([B, classes])."""
        if len(y.shape) >= 2 and y.shape[-1] == self.classes and self.classes > 1:
            labels = tf.argmax(y, axis=-1)
        else:
            labels = tf.reshape(y, [-1])
        return 2.0 * tf.one_hot(tf.cast(labels, tf.int32), self.classes) - 1.0

    def rule(self, x, y):
        """``(loss, scores, steps)``: the rule's criterion on the batch, the scores and the
        per-example factors ``t * m`` ([B, classes]) of its steps ``eta * x * t * m``."""
        t = self.bipolar_targets(y)
        scores = self(x, training=True)
        if self.mistake_driven:  # a zero score is a mistake: sign(0) predicts neither side
            t_steps = t * tf.cast(t * scores <= 0.0, scores.dtype)
        else:
            t_steps = t
        return self.criterion(t, scores), scores, t_steps

    def train_step(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        loss, scores, steps = self.rule(x, y)
        if sample_weight is not None:
            steps = steps * tf.reshape(tf.cast(sample_weight, steps.dtype), [-1, 1])
        flat = tf.reshape(tf.cast(x, steps.dtype), [tf.shape(steps)[0], -1])
        layer = self.get_layer("units")
        # The optimizer descends: the rule's ascent step is the negative "gradient".
        gradients = [-tf.matmul(flat, steps, transpose_a=True), -tf.reduce_sum(steps, axis=0)]
        self.optimizer.apply(gradients, [layer.kernel, layer.bias])
        return self._update_metrics(loss, y, scores, sample_weight)

    def test_step(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        t = self.bipolar_targets(y)
        scores = self(x, training=False)
        loss = self.criterion(t, scores)
        return self._update_metrics(loss, y, scores, sample_weight)

    def criterion(self, t, scores):
        return tf.reduce_mean(tf.reduce_sum(tf.nn.relu(-t * scores), axis=-1))

    def _update_metrics(self, loss, y, scores, sample_weight):
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, scores, sample_weight=sample_weight)
        return self.get_metrics_result()

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable, "input_shape": self.image_shape,
                "classes": self.classes}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**config)


register(
    "perceptron",
    task="classification",
    family="foundations",
    tiny=dict(input_shape=(8, 8, 1), classes=10),
    canonical=dict(input_shape=(8, 8, 1), classes=10),
    params=8 * 8 * 10 + 10,
    paper="Rosenblatt, The perceptron: a probabilistic model for information storage and "
          "organization in the brain, Psychological Review, 1958",
    notes="One linear threshold unit per class; the perceptron rule (mistake-driven "
          "Delta w = eta x t) in train_step through the optimizer (SGD(eta), batch 1: online).",
)(Perceptron)

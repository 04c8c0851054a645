"""Adversarial training as a model wrapper: plain ``fit`` trains on examples built on the fly.

Goodfellow, Shlens & Szegedy (ICLR 2015, section 5) train on
``J~(x) = alpha J(x) + (1 - alpha) J(x + eps sign(grad_x J(x)))`` with ``alpha = 0.5``; Madry et
al. (ICLR 2018, section 2-4) minimise the worst case over the eps-ball, found by PGD, which is
``alpha = 0`` with PGD examples. The wrapper is the classifier's own functional graph (the same
layers, so it predicts, saves and exports like the classifier) with a ``train_step`` that builds
the examples inside the step, so it runs under any ``tf.distribute`` strategy.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from keras_zoo.robust.attacks import NORMS, check_eps

_METHODS = ("fgsm", "pgd")


@keras.saving.register_keras_serializable(package="keras_zoo")
class AdversarialTraining(keras.Model):
    """A classifier that ``fit`` trains adversarially (Goodfellow et al. 2015, eq. in section 5;
    Madry et al. 2018, eq. 2.1).

    Args:
        classifier: a functional Keras classifier with one float image input.
        method: "fgsm" (one signed step of eps) or "pgd" (``steps`` projected steps).
        eps: the radius of the L-inf (or L2) ball, in the input range ``pixel_range``.
        alpha: the weight of the clean loss; 0.5 is Goodfellow et al.'s, 0 Madry et al.'s.
        steps: PGD iterations.
        step_size: PGD step; default ``2.5 eps / steps`` (Madry et al.'s rule of thumb).
        norm: "linf" or "l2" (PGD).
        random_start: PGD starts from a uniform random point of the ball.
        pixel_range: the classifier's input range.
        seed: seeds the random starts (with the step and the replica).
    """

    def __init__(self, classifier, method="pgd", eps=0.3, alpha=0.0, steps=40, step_size=None,
                 norm="linf", random_start=True, pixel_range=(0.0, 1.0), seed=0, **kwargs):
        if isinstance(classifier, dict):
            classifier = keras.saving.deserialize_keras_object(classifier)
        if not isinstance(classifier, keras.Model) or not getattr(classifier, "outputs", None):
            raise ValueError(f"classifier: a functional Keras model, got {type(classifier)}.")
        if len(classifier.inputs) != 1 or "float" not in str(classifier.inputs[0].dtype):
            raise ValueError(f"classifier: {classifier.name} must take one float image input "
                             "(train before the uint8 serving wrapper).")
        if method not in _METHODS:
            raise ValueError(f"method={method!r}; expected one of {_METHODS}.")
        if norm not in NORMS:
            raise ValueError(f"norm={norm!r}; expected one of {NORMS}.")
        if not 0.0 <= alpha <= 1.0 or isinstance(alpha, bool):
            raise ValueError(f"alpha={alpha!r} must be in [0, 1].")
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
            raise ValueError(f"steps must be a positive int, got {steps!r}.")
        lo, hi = (float(v) for v in pixel_range)
        size = 1
        for dim in classifier.inputs[0].shape[1:]:
            size *= int(dim)
        eps = check_eps(eps, lo, hi, norm, size)
        if step_size is None:
            step_size = 2.5 * eps / steps
        step_size = check_eps(step_size, lo, hi, norm, size, "step_size")
        super().__init__(inputs=classifier.inputs, outputs=classifier.outputs,
                         name=kwargs.pop("name", classifier.name), **kwargs)
        self.classifier = classifier
        self.method, self.eps, self.alpha, self.steps = method, eps, float(alpha), steps
        self.step_size, self.norm, self.random_start = step_size, norm, bool(random_start)
        self.pixel_range, self.seed = (lo, hi), int(seed)

    # --- the inner maximisation ------------------------------------------------------------
    def _input_gradient(self, x, y, sample_weight):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = self.compute_loss(x=x, y=y, y_pred=self(x, training=False),
                                     sample_weight=sample_weight, training=False)
        return tape.gradient(loss, x)

    def _direction(self, gradient):
        if self.norm == "linf":
            return tf.sign(gradient)
        axes = list(range(1, len(gradient.shape)))
        return gradient / tf.maximum(tf.norm(gradient, axis=axes, keepdims=True), 1e-12)

    def _project(self, delta):
        if self.norm == "linf":
            return tf.clip_by_value(delta, -self.eps, self.eps)
        axes = list(range(1, len(delta.shape)))
        length = tf.norm(delta, axis=axes, keepdims=True)
        return delta * tf.minimum(1.0, self.eps / tf.maximum(length, 1e-12))

    def adversarial_examples(self, x, y, sample_weight=None):
        """FGSM or PGD examples of the batch ``x`` (inside the graph)."""
        x = tf.cast(x, tf.float32)
        lo, hi = self.pixel_range
        if self.method == "fgsm":
            step = self.eps * self._direction(self._input_gradient(x, y, sample_weight))
            return tf.stop_gradient(tf.clip_by_value(x + step, lo, hi))
        adversarial = x
        if self.random_start:
            context = tf.distribute.get_replica_context()
            replica = context.replica_id_in_sync_group if context is not None else 0
            iteration = self.optimizer.iterations if self.optimizer is not None else 0
            seed = tf.stack([tf.cast(self.seed * 1000 + replica, tf.int64),
                             tf.cast(iteration, tf.int64)])
            noise = tf.random.stateless_uniform(tf.shape(x), seed, -self.eps, self.eps)
            adversarial = tf.clip_by_value(x + self._project(noise), lo, hi)
        for _ in range(self.steps):
            gradient = self._input_gradient(adversarial, y, sample_weight)
            adversarial = adversarial + self.step_size * self._direction(gradient)
            adversarial = tf.clip_by_value(x + self._project(adversarial - x), lo, hi)
        return tf.stop_gradient(adversarial)

    # --- the outer minimisation ------------------------------------------------------------
    def train_step(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        adversarial = self.adversarial_examples(x, y, sample_weight)
        with tf.GradientTape() as tape:
            y_adv = self(adversarial, training=True)
            loss = (1.0 - self.alpha) * self.compute_loss(
                x=adversarial, y=y, y_pred=y_adv, sample_weight=sample_weight, training=True)
            if self.alpha > 0:
                y_clean = self(x, training=True)
                loss = loss + self.alpha * self.compute_loss(
                    x=x, y=y, y_pred=y_clean, sample_weight=sample_weight, training=True)
            # As Keras' own train_step: the loss tracker sees the unscaled loss, the gradient
            # the loss scaled for the replicas and the optimizer.
            replicas = tf.distribute.get_strategy().num_replicas_in_sync
            self._loss_tracker.update_state(loss * replicas, sample_weight=tf.shape(x)[0])
            scaled = self.optimizer.scale_loss(loss)
        gradients = tape.gradient(scaled, self.trainable_weights)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_weights, strict=True))
        # The training metrics are those of the adversarial examples (the clean ones are the
        # validation metrics).
        return self.compute_metrics(adversarial, y, y_adv, sample_weight=sample_weight)

    def get_config(self):
        return {"classifier": keras.saving.serialize_keras_object(self.classifier),
                "method": self.method, "eps": self.eps, "alpha": self.alpha,
                "steps": self.steps, "step_size": self.step_size, "norm": self.norm,
                "random_start": self.random_start, "pixel_range": list(self.pixel_range),
                "seed": self.seed, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

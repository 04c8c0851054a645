"""Adversarial examples of any classifier: the fast gradient sign method (Goodfellow, Shlens &
Szegedy, Explaining and Harnessing Adversarial Examples, ICLR 2015, section 4), projected gradient
descent (Madry, Makelov, Schmidt, Tsipras & Vladu, Towards Deep Learning Models Resistant to
Adversarial Attacks, ICLR 2018, section 2.1) and the uniform-noise control.

Images live in the model's own input range (``[0, 1]`` for keras-zoo's float models, ``[0, 255]``
for a uint8 serving model) and ``eps`` is measured in it; every result is clipped to that range.
A uint8 model is attacked through its float pixels (a straight-through estimate of the rounding)
and receives rounded uint8 images that stay inside the eps-ball.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from keras_zoo.explain import model_io

NORMS = ("linf", "l2")


def check_eps(eps, lo, hi, norm="linf", size=1, name="eps"):
    """ValueError naming ``eps`` when it is not a number in (0, hi - lo] (L-inf) or in
    (0, (hi - lo) sqrt(size)] (L2, ``size`` values per image)."""
    if isinstance(eps, bool) or not isinstance(eps, (int, float, np.integer, np.floating)) \
            or not np.isfinite(eps):
        raise ValueError(f"{name} must be a number, got {eps!r}.")
    top = (hi - lo) * (np.sqrt(size) if norm == "l2" else 1.0)
    label = "an L2" if norm == "l2" else "an L-inf"
    if not 0 < eps <= top:
        raise ValueError(f"{name}={eps!r} is outside the pixel range [{lo:g}, {hi:g}]: {label} "
                         f"perturbation must be in (0, {top:g}] (is the model's input [0, 1] "
                         "or [0, 255]?).")
    return float(eps)


def _labels(labels, batch, name="labels"):
    labels = np.asarray(labels)
    if labels.ndim == 0:
        labels = np.full(batch, labels)
    if labels.ndim == 2:  # one-hot or soft
        labels = labels.argmax(-1)
    if labels.shape != (batch,) or labels.dtype.kind not in "iu":
        raise ValueError(f"{name}: expected {batch} integer class ids (or one-hot rows), got "
                         f"shape {labels.shape} dtype {labels.dtype}.")
    return labels.astype(np.int32)


class _Attack:
    """The model's loss gradient with respect to its input, compiled once per model."""

    def __init__(self, model, images, pixel_range):
        self.model = model
        self.batch, self.single = model_io.as_batch(model, images, pixel_range_=pixel_range)
        self.lo, self.hi = model_io.pixel_range(model, pixel_range)
        self.integer = model_io.integer_input(model)
        self.forward = model_io.Forward(model, logits=True)
        probe = self.forward(self.batch[:1])
        self.probabilities = self.forward.probabilities_out(probe)
        self.classes = int(probe.shape[-1])
        self._fn = tf.function(self._gradient, reduce_retracing=True)

    def _gradient(self, x, y):
        with tf.GradientTape() as tape:
            tape.watch(x)
            out = self.forward(x)
            if self.probabilities:
                out = tf.math.log(tf.clip_by_value(out, 1e-12, 1.0))
            loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=out)
        gradient = tape.gradient(loss, x)
        if gradient is None:
            raise model_io.no_gradient_error(self.model)
        return gradient

    def gradient(self, x, labels):
        if labels.max() >= self.classes:
            raise ValueError(f"labels: class {labels.max()} is beyond the model's head of "
                             f"{self.classes} classes.")
        return self._fn(tf.convert_to_tensor(x, tf.float32), tf.convert_to_tensor(labels)).numpy()

    def finish(self, adversarial, eps=None):
        adversarial = np.clip(adversarial, self.lo, self.hi)
        if self.integer:
            # Rounded pixels, kept inside the ball: ceil/floor of its integer bounds.
            rounded = np.round(adversarial)
            if eps is not None:
                rounded = np.clip(rounded, np.ceil(self.batch - eps - 1e-6),
                                  np.floor(self.batch + eps + 1e-6))
            adversarial = np.clip(rounded, self.lo, self.hi).astype(np.uint8)
        else:
            adversarial = adversarial.astype(np.float32)
        return adversarial[0] if self.single else adversarial


def fgsm(model, images, labels, eps, target=None, pixel_range=None):
    """The fast gradient sign method, ``x + eps sign(grad_x J(x, y))`` (Goodfellow et al. 2015,
    section 4), clipped to the pixel range; targeted: ``x - eps sign(grad_x J(x, target))``.

    Args:
        model: a classifier (float Keras model, uint8 Keras model, or a differentiable callable).
        images: ``[H, W, C]`` or ``[B, H, W, C]`` in the model's input range.
        labels: the true class ids ``[B]`` (or one-hot rows).
        eps: the L-inf step, in the model's input range (the panda: 0.007 of [0, 1]).
        target: class ids to move towards instead (a targeted attack), or None.
        pixel_range: the model's input range, when not [0, 1] (float) or [0, 255] (uint8).

    Returns:
        The adversarial images, shaped as ``images`` (uint8 for a uint8 model).
    """
    attack = _Attack(model, images, pixel_range)
    eps = check_eps(eps, attack.lo, attack.hi)
    x = attack.batch
    if target is None:
        step = np.sign(attack.gradient(x, _labels(labels, len(x))))
    else:
        step = -np.sign(attack.gradient(x, _labels(target, len(x), "target")))
    return attack.finish(x + eps * step, eps)


def _l2_normalise(v):
    norm = np.sqrt((v.reshape(len(v), -1) ** 2).sum(1)).reshape((-1,) + (1,) * (v.ndim - 1))
    return v / np.maximum(norm, 1e-12), norm


def project(delta, eps, norm):
    """``delta`` projected onto the eps-ball of ``norm``."""
    if norm == "linf":
        return np.clip(delta, -eps, eps)
    unit, length = _l2_normalise(delta)
    return unit * np.minimum(length, eps)


def pgd(model, images, labels, eps, steps=40, step_size=0.01, norm="linf", random_start=True,
        seed=0, target=None, pixel_range=None):
    """Projected gradient descent on the loss (Madry et al. 2018, section 2.1, eq. 2):
    ``x_{t+1} = Proj_{x + S}(x_t + step_size sign(grad_x J(x_t, y)))`` (L-inf; L2 takes the
    normalised gradient), from a uniform random point of the ball, clipped to the pixel range.

    Args:
        model: a classifier (as ``fgsm``).
        images: ``[H, W, C]`` or ``[B, H, W, C]`` in the model's input range.
        labels: the true class ids ``[B]`` (or one-hot rows).
        eps: the radius of the ball, in the model's input range.
        steps: iterations (the paper's MNIST setting: 40 steps of 0.01 within eps = 0.3).
        step_size: the size of each step.
        norm: "linf" or "l2".
        random_start: start from a uniform random point of the ball (the paper's restarts).
        seed: the random start is a function of it.
        target: class ids to move towards instead (a targeted attack), or None.
        pixel_range: the model's input range, when not [0, 1] (float) or [0, 255] (uint8).

    Returns:
        The adversarial images, shaped as ``images`` (uint8 for a uint8 model).
    """
    if norm not in NORMS:
        raise ValueError(f"norm={norm!r}; expected one of {NORMS}.")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive int, got {steps!r}.")
    attack = _Attack(model, images, pixel_range)
    x = attack.batch
    eps = check_eps(eps, attack.lo, attack.hi, norm, x[0].size)
    step_size = check_eps(step_size, attack.lo, attack.hi, norm, x[0].size, "step_size")
    labels = _labels(labels if target is None else target, len(x),
                     "labels" if target is None else "target")
    direction = 1.0 if target is None else -1.0
    rng = np.random.default_rng(seed)
    if random_start and norm == "linf":
        delta = rng.uniform(-eps, eps, x.shape).astype(np.float32)
    elif random_start:  # uniform in the L2 ball: a random direction, radius eps u^(1/d)
        unit, _ = _l2_normalise(rng.normal(size=x.shape))
        radius = eps * rng.random(len(x)) ** (1.0 / x[0].size)
        delta = (unit * radius.reshape((-1,) + (1,) * (x.ndim - 1))).astype(np.float32)
    else:
        delta = np.zeros_like(x)
    adversarial = np.clip(x + delta, attack.lo, attack.hi)
    for _ in range(steps):
        gradient = attack.gradient(adversarial, labels)
        step = np.sign(gradient) if norm == "linf" else _l2_normalise(gradient)[0]
        adversarial = adversarial + direction * step_size * step
        adversarial = np.clip(x + project(adversarial - x, eps, norm), attack.lo, attack.hi)
    return attack.finish(adversarial, eps if norm == "linf" else None)


def uniform_noise(model, images, eps, seed=0, pixel_range=None):
    """The control of the notes' FGSM experiment: ``x + U(-eps, eps)`` per pixel, clipped; the
    same L-inf budget as FGSM without the gradient's direction.

    Args:
        model: the classifier (it fixes the input range).
        images: ``[H, W, C]`` or ``[B, H, W, C]`` in the model's input range.
        eps: the noise amplitude.
        seed: the noise is a function of it.
        pixel_range: the model's input range, when not [0, 1] (float) or [0, 255] (uint8).
    """
    batch, single = model_io.as_batch(model, images, pixel_range_=pixel_range)
    lo, hi = model_io.pixel_range(model, pixel_range)
    eps = check_eps(eps, lo, hi)
    noisy = np.clip(batch + np.random.default_rng(seed).uniform(-eps, eps, batch.shape), lo, hi)
    if model_io.integer_input(model):
        noisy = np.round(noisy).astype(np.uint8)
    else:
        noisy = noisy.astype(np.float32)
    return noisy[0] if single else noisy


def accuracy(model, images, labels, batch_size=256, pixel_range=None):
    """Top-1 accuracy of ``model`` on ``images`` (in its input range)."""
    batch, _ = model_io.as_batch(model, images, pixel_range_=pixel_range)
    forward = model_io.Forward(model, logits=False)
    predictions = np.concatenate([
        np.asarray(forward(batch[i:i + batch_size])).argmax(-1)
        for i in range(0, len(batch), batch_size)])
    return float(np.mean(predictions == _labels(labels, len(batch))))

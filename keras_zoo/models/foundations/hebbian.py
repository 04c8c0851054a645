"""A layer of linear units trained by Hebb's rule (Hebb, The Organization of Behavior, 1949;
the supervised form Delta w = eta x t, as in Widrow & Hoff's and Rosenblatt's era)."""

from __future__ import annotations

import keras
import tensorflow as tf

from keras_zoo.models.foundations.perceptron import Perceptron
from keras_zoo.models.registry import register


@keras.saving.register_keras_serializable(package="keras_zoo")
class HebbianNetwork(Perceptron):
    """Linear units ``s_k = w_k . x + b_k``, one per class, trained by Hebb's rule: every
    example strengthens each connection by the product of its input and the unit's desired
    output, ``w_k += eta * x * t_k`` and ``b_k += eta * t_k`` (``t_k`` = +1 for the example's
    class, -1 for the others).

    Unlike the perceptron rule, there is no mistake condition: the step is taken whether or not
    the example is already right (the notes' "only update if mispredicted" turns Hebb's rule
    into the perceptron's; see ``Perceptron``). The rule is the gradient ascent of the
    correlation ``sum_k t_k s_k``, so the reported loss is its negative mean over the batch
    (before the step); it falls without bound, as Hebbian weights grow without bound.

    As in ``Perceptron``, the step goes through the compiled optimizer (``SGD(eta)`` and
    ``batch_size=1`` for the online rule as written).

    Args:
        input_shape: the shape of one example (flattened into the units' inputs).
        classes: the number of classes (one unit each).
        name: the model's name.
    """

    mistake_driven = False

    def __init__(self, input_shape=(8, 8, 1), classes=10, name="hebbian_network", **kwargs):
        super().__init__(input_shape=input_shape, classes=classes, name=name, **kwargs)

    def criterion(self, t, scores):
        return -tf.reduce_mean(tf.reduce_sum(t * scores, axis=-1))


register(
    "hebbian_network",
    task="classification",
    family="foundations",
    tiny=dict(input_shape=(8, 8, 1), classes=10),
    canonical=dict(input_shape=(8, 8, 1), classes=10),
    params=8 * 8 * 10 + 10,
    paper="Hebb, The Organization of Behavior, 1949",
    notes="Linear units trained by Hebb's rule Delta w = eta x t on every example, in "
          "train_step through the optimizer (SGD(eta), batch 1: online).",
)(HebbianNetwork)

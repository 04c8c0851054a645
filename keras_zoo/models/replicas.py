"""One gradient step of a custom ``train_step`` that is the same under any ``tf.distribute``
strategy as on one device.

Under a strategy each replica computes its loss on its share of the global batch, and the
optimizer *sums* the replicas' gradients (Keras' TensorFlow optimizer all-reduces with SUM).
Keras' own ``train_step`` therefore divides the loss by the number of replicas
(``keras.src.losses.loss.scale_loss_for_distribution``, applied by every ``keras.losses``
object); a hand-written loss (``tf.reduce_mean`` of the replica's examples) is not divided, and
with N replicas such a model would step N times too far. ``minimize`` divides the gradients
instead (equal, and it also works on a tape that has already stopped recording).
"""

from __future__ import annotations

import tensorflow as tf


def replicas() -> int:
    """The number of replicas of the current strategy (1 outside any strategy)."""
    return int(tf.distribute.get_strategy().num_replicas_in_sync)


def minimize(optimizer, tape, loss, variables) -> list:
    """Applies ``optimizer`` to the gradients of ``loss`` (the replica's mean over its own
    examples) with respect to ``variables``, scaled so that their sum over the replicas is the
    gradient of the global batch's mean. Returns the gradients applied.

    Args:
        optimizer: a Keras optimizer.
        tape: the ``tf.GradientTape`` that recorded ``loss``.
        loss: a scalar, the mean of the loss over this replica's examples, computed with raw
            TensorFlow ops (a ``keras.losses`` object has already divided by the replicas).
        variables: the variables to update.
    """
    gradients = tape.gradient(loss, variables)
    count = replicas()
    if count > 1:
        gradients = [None if g is None else g / count for g in gradients]
    optimizer.apply(gradients, variables)
    return gradients

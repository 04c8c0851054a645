"""One gradient step of a custom ``train_step`` that is the same under any ``tf.distribute``
strategy as on one device.

Under a strategy each replica computes its loss on its share of the global batch, and the
optimizer *sums* the replicas' gradients (Keras' TensorFlow optimizer all-reduces with SUM).
Keras' own ``train_step`` therefore divides the loss by the number of replicas
(``keras.src.losses.loss.scale_loss_for_distribution``, applied by every ``keras.losses``
object); a hand-written loss (``tf.reduce_mean`` of the replica's examples) is not divided, and
with N replicas such a model would step N times too far. ``minimize`` divides the gradients
instead (equal, and it also works on a tape that has already stopped recording).

Keras also clips gradients (``clipnorm``, ``global_clipnorm``, ``clipvalue``) *per replica*,
before the all-reduce (``BaseOptimizer._backend_apply_gradients`` clips, then
``TFOptimizer._backend_update_step`` sums the replicas): with N replicas, a recipe's
``global_clipnorm`` (DETR's 0.1) would bound each replica's share, so the applied gradient
could reach N times the norm and point elsewhere. ``clip_after_all_reduce`` moves the clipping
after the sum, where the paper's global norm is meant (``minimize`` and ``training.train`` apply
it).
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
    clip_after_all_reduce(optimizer)
    count = replicas()
    if count > 1:
        gradients = [None if g is None else g / count for g in gradients]
    optimizer.apply(gradients, variables)
    return gradients


#: Marks an optimizer whose clipping ``clip_after_all_reduce`` has moved.
_MOVED = "_keras_zoo_clips_after_all_reduce"


def clip_after_all_reduce(optimizer):
    """Makes ``optimizer`` clip the replicas' summed gradient instead of each replica's share,
    when it clips at all and the current strategy has more than one replica; otherwise (one
    replica: the sum is the gradient itself) it is left as it is. Idempotent; returns it.

    Only this instance changes (its ``get_config`` and the saved ``.keras`` keep the plain
    optimizer). A Keras whose optimizer lacks the two hooks is refused with a ValueError rather
    than left clipping per replica.

    Args:
        optimizer: a Keras optimizer (TensorFlow backend), or None (returned as is).
    """
    if optimizer is None or getattr(optimizer, _MOVED, False) or replicas() <= 1:
        return optimizer
    if not (optimizer.clipnorm or optimizer.global_clipnorm or optimizer.clipvalue):
        return optimizer
    # Keras' private hooks (3.x, TensorFlow backend): the clip, and the sum over the replicas.
    clip = getattr(optimizer, "_clip_gradients", None)
    reduce = getattr(optimizer, "_all_reduce_sum_gradients", None)
    if clip is None or reduce is None:
        raise ValueError(f"{type(optimizer).__name__}: cannot clip after the all-reduce with this "
                         "Keras (no _clip_gradients/_all_reduce_sum_gradients); train without "
                         "clipnorm/global_clipnorm/clipvalue under a strategy, or on one replica.")

    def reduce_then_clip(grads_and_vars):
        pairs = list(reduce(grads_and_vars))
        present = [i for i, (g, _) in enumerate(pairs) if g is not None]
        clipped = clip([pairs[i][0] for i in present])
        for i, g in zip(present, clipped, strict=True):
            pairs[i] = (g, pairs[i][1])
        return pairs

    # object.__setattr__: plain instance attributes, not tracked as optimizer state.
    object.__setattr__(optimizer, "_clip_gradients", lambda grads: grads)
    object.__setattr__(optimizer, "_all_reduce_sum_gradients", reduce_then_clip)
    object.__setattr__(optimizer, _MOVED, True)
    return optimizer

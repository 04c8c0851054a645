"""``keras_zoo.models.replicas.clip_after_all_reduce``: a recipe's clip norm bounds the gradient of
the global batch (the replicas' sum), not each replica's share, which is where Keras clips.

The real two-replica check (Keras' train_step and a custom one under ``MirroredStrategy``, equal
to one device) is in tests/distributed/test_mirrored.py; here the sum over two replicas is
stood in for by an all-reduce that doubles an equal share, on one device.
"""

import numpy as np
import pytest

from keras_zoo.models import replicas


def _sgd_step(monkeypatch, share, count=2, **clip):
    import keras

    monkeypatch.setattr(replicas, "replicas", lambda: count)
    variable = keras.Variable(np.zeros(2, np.float32))
    optimizer = keras.optimizers.SGD(1.0, **clip)
    optimizer.build([variable])
    reduce = optimizer._all_reduce_sum_gradients

    def sum_of_equal_shares(grads_and_vars):  # what the all-reduce of `count` replicas gives
        return [(g * count, v) for g, v in reduce(grads_and_vars)]

    object.__setattr__(optimizer, "_all_reduce_sum_gradients", sum_of_equal_shares)
    assert replicas.clip_after_all_reduce(optimizer) is optimizer
    assert replicas.clip_after_all_reduce(optimizer) is optimizer  # idempotent
    optimizer.apply([np.asarray(share, np.float32)], [variable])
    return -np.asarray(variable), optimizer


def test_global_clipnorm_clips_the_sum_over_the_replicas(monkeypatch):
    # Each replica's share [1.5, 2] (norm 2.5), the sum [3, 4] (norm 5), clip norm 1: the step
    # is [0.6, 0.8]. Clipping each share first (Keras' order) gives [1.2, 1.6], twice as far.
    step, optimizer = _sgd_step(monkeypatch, [1.5, 2.0], global_clipnorm=1.0)
    np.testing.assert_allclose(step, [0.6, 0.8], rtol=1e-6)
    assert optimizer.get_config()["global_clipnorm"] == 1.0  # the saved config is unchanged


@pytest.mark.parametrize("clip, expected", [({"clipnorm": 1.0}, [0.6, 0.8]),
                                            ({"clipvalue": 1.0}, [1.0, 1.0])])
def test_per_variable_clipping_also_acts_on_the_sum(monkeypatch, clip, expected):
    step, _ = _sgd_step(monkeypatch, [1.5, 2.0], **clip)
    np.testing.assert_allclose(step, expected, rtol=1e-6)


def test_one_replica_or_no_clipping_leaves_the_optimizer_as_it_is(monkeypatch):
    import keras

    monkeypatch.setattr(replicas, "replicas", lambda: 1)
    clipped = keras.optimizers.SGD(1.0, global_clipnorm=1.0)
    replicas.clip_after_all_reduce(clipped)
    assert "_all_reduce_sum_gradients" not in vars(clipped)
    monkeypatch.setattr(replicas, "replicas", lambda: 2)
    plain = keras.optimizers.SGD(1.0)
    replicas.clip_after_all_reduce(plain)
    assert "_all_reduce_sum_gradients" not in vars(plain)
    assert replicas.clip_after_all_reduce(None) is None

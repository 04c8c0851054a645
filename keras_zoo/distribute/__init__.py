"""Distributed training for ``keras-zoo train --strategy {none,mirrored,multi-worker}``.

- ``get_strategy(name)``: TensorFlow's default strategy, ``MirroredStrategy`` (this machine's
  devices) or ``MultiWorkerMirroredStrategy`` (the cluster of ``$TF_CONFIG``, checked by
  ``tf_config``; every wait on a peer bounded by ``peer_timeout()``).
- ``compat``: the one place where keras-zoo fixes ``fit`` under ``MultiWorkerMirroredStrategy``
  for Keras 3 (keras-team/keras#20585, tensorflow/tensorflow#72388).
- ``is_chief``, ``backup_dir``, ``check_global_batch``, ``shard``: what the trainer needs to
  write files from the chief only, give every worker its own backup, split the global batch and
  shard the datasets with an explicit policy.

- ``guard``/``watchdog``: a multi-worker run whose peer is unreachable or dead fails after
  ``peer_timeout()`` seconds without progress instead of hanging.
"""

from keras_zoo.distribute.strategies import (
    DEFAULT_PEER_TIMEOUT,
    STRATEGIES,
    TIMEOUT_ENV,
    backup_dir,
    check_global_batch,
    distribute_for_resume,
    get_strategy,
    guard,
    is_chief,
    num_replicas,
    peer_timeout,
    shard,
    task_of,
)

__all__ = ["DEFAULT_PEER_TIMEOUT", "STRATEGIES", "TIMEOUT_ENV", "backup_dir",
           "check_global_batch", "distribute_for_resume", "get_strategy", "guard", "is_chief",
           "num_replicas", "peer_timeout", "shard", "task_of"]

"""Distribution strategies for ``keras-zoo train --strategy``."""

import tensorflow as tf

STRATEGIES = ("none", "mirrored")


def get_strategy(name="none"):
    """A ``tf.distribute.Strategy`` by name: "none" (the default strategy) or "mirrored"."""
    if name in (None, "none"):
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    raise ValueError(f"strategy must be one of {STRATEGIES}, got {name!r}.")


def is_chief(strategy=None) -> bool:
    """Whether this process writes checkpoints, logs and exports (always, without workers)."""
    return True

"""Subcommands of ``keras-zoo`` beyond the core ones: one module per command, each exposing
``add_arguments(parser)`` and ``run(args) -> int``, registered by one line in
``training.cli._PLUGINS``. The library code they call lives in ``keras_zoo``."""

from __future__ import annotations

import os

#: The preset a registry name is built at when ``--preset`` is not given.
DEFAULT_PRESET = "tiny"


def is_checkpoint(spec: str) -> bool:
    """Whether a MODEL argument names a file (a ``.keras`` checkpoint), not a registry name."""
    return spec.endswith(".keras") or os.path.exists(spec)


def refuse_for_checkpoint(spec: str, **given) -> None:
    """Raises ``ValueError`` naming the options set (not None) that apply to a registry name
    only, when ``spec`` is a checkpoint: they would otherwise be silently ignored.

    Args:
        spec: the MODEL argument.
        **given: option flag (``preset``, ``weights``) -> its value, None when not given.
    """
    flags = [f"--{name.replace('_', '-')}" for name, value in given.items() if value is not None]
    if flags and is_checkpoint(spec):
        raise ValueError(f"{', '.join(flags)} applies to a registry name, not to the checkpoint "
                         f"{spec!r} (its size and weights are the ones it was saved with).")

"""Subcommands of ``keras-zoo`` beyond the core ones: one module per command, each exposing
``add_arguments(parser)`` and ``run(args) -> int``, registered by one line in
``training.cli._PLUGINS``. The library code they call lives in ``keras_zoo``."""

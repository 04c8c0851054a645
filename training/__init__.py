"""Training recipes and the entry point that runs them (``keras-zoo train``)."""

import importlib

__all__ = ["Recipe", "TrainResult", "get_recipe", "recipe_names", "train"]

# Loaded on first use: ``training.cli`` parses arguments (and answers --help) without importing
# TensorFlow, which the recipes (through the registry) and the trainer do.
_LAZY = {"Recipe": "training.recipes", "get_recipe": "training.recipes",
         "recipe_names": "training.recipes", "TrainResult": "training.trainer",
         "train": "training.trainer"}


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'training' has no attribute {name!r}")

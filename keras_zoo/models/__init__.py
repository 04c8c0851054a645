"""keras-zoo's models, built by name: ``keras_zoo.models.get("lenet5")``.

Importing this package imports every model family (every subpackage and module below it), which
registers its models: a new family needs no edit here.
"""

from keras_zoo._discover import import_submodules
from keras_zoo.models.registry import CHECKS, Entry, entries, get, info, list, register, tasks

import_submodules(__name__, __path__)

__all__ = ["CHECKS", "Entry", "entries", "get", "info", "list", "register", "tasks"]

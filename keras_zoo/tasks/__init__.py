"""Tasks: what differs between model kinds for data, training and serving (see ``base.Task``).

Every module of this package may define ``Task`` subclasses with a ``name``; each is
instantiated and registered on import, so a new task is a new file.
"""

import inspect as _inspect

from keras_zoo._discover import import_submodules as _import_submodules
from keras_zoo.registry import Registry as _Registry
from keras_zoo.tasks.base import Task

_TASKS: _Registry = _Registry("task")


def register_task(task: Task) -> Task:
    """Registers ``task`` under ``task.name``; a name registered twice raises ``ValueError``."""
    return _TASKS.add(task.name, task)


def get_task(name: str) -> Task:
    """The task ``name``; ``ValueError`` with close matches if it is unknown."""
    return _TASKS.get(name)


def task_names(pattern=None):
    return _TASKS.names(pattern)


def input_spec(entry, preset: str = "tiny") -> list:
    """``[(name, shape, dtype)]`` of a registry entry's model inputs at a preset (builds it).

    A subclassed model (GANs, VAEs, NeRF, PixelCNN, ...) has no symbolic inputs: its inputs are
    then those of its task's serving signature, what an exported model takes.
    """
    model = entry.build(preset)
    inputs = getattr(model, "inputs", None)
    if inputs:
        return [(t.name, tuple(t.shape), str(t.dtype)) for t in inputs]
    import tensorflow as tf

    task = get_task(entry.task)
    signature = task.serving_fn(task.export_model(model)).input_signature
    return [(spec.name, tuple(spec.shape), spec.dtype.name) for spec in tf.nest.flatten(signature)]


for _module in _import_submodules(__name__, __path__):
    for _obj in vars(_module).values():
        if (_inspect.isclass(_obj) and issubclass(_obj, Task) and _obj is not Task
                and _obj.__module__ == _module.__name__ and _obj.name != "base"):
            register_task(_obj())

__all__ = ["Task", "get_task", "input_spec", "register_task", "task_names"]

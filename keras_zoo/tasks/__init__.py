"""Tasks: what differs between model kinds for data, training and serving (see ``base.Task``).

Every module of this package may define ``Task`` subclasses with a ``name``; each is
instantiated and registered on import, so a new task is a new file.
"""

import inspect as _inspect

from keras_zoo._discover import import_submodules as _import_submodules
from keras_zoo.tasks.base import Task

_TASKS: dict = {}


def register_task(task: Task) -> Task:
    _TASKS[task.name] = task
    return task


def get_task(name: str) -> Task:
    if name not in _TASKS:
        raise ValueError(f"Unknown task {name!r}; known tasks: {sorted(_TASKS)}.")
    return _TASKS[name]


def task_names():
    return sorted(_TASKS)


for _module in _import_submodules(__name__, __path__):
    for _obj in vars(_module).values():
        if (_inspect.isclass(_obj) and issubclass(_obj, Task) and _obj is not Task
                and _obj.__module__ == _module.__name__ and _obj.name != "base"):
            register_task(_obj())

__all__ = ["Task", "get_task", "register_task", "task_names"]

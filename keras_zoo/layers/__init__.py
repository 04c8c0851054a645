"""keras-zoo's custom layers: one file per layer, shared by every model that needs it.

Every public ``keras.layers.Layer`` subclass defined in a module of this package is exported
here (``keras_zoo.layers.RoIAlign``), so adding a layer file is all it takes; the layer battery
(tests/layers/test_layers.py) checks that each exported layer has a formula test case.
"""

import inspect as _inspect

import keras as _keras

from keras_zoo._discover import import_submodules as _import_submodules

__all__ = []
for _module in _import_submodules(__name__, __path__):
    for _name, _obj in vars(_module).items():
        if (_inspect.isclass(_obj) and issubclass(_obj, _keras.layers.Layer)
                and _obj.__module__ == _module.__name__ and not _name.startswith("_")):
            globals()[_name] = _obj
            __all__.append(_name)
    # Public helper functions listed by the module itself (e.g. resample_position_embedding).
    for _name in getattr(_module, "__all__", ()):
        globals()[_name] = getattr(_module, _name)
        if _name not in __all__:
            __all__.append(_name)
__all__.sort()

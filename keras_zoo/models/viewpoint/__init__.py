"""Viewpoint estimation (3-D pose of an object from one image), one file per model; importing
this package registers them all."""

from keras_zoo._discover import import_submodules

import_submodules(__name__, __path__)

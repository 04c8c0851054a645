"""The notes' first learning rules: the perceptron and Hebb's rule, one file per model;
importing this package registers them all."""

from keras_zoo._discover import import_submodules

import_submodules(__name__, __path__)

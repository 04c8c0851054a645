"""Sequence and language models (RNNs, seq2seq, Transformer, ...), one file per family."""

from keras_zoo._discover import import_submodules

import_submodules(__name__, __path__)

"""Representation learning: embeddings trained by metric, contrastive and pretext losses, and
domain adaptation; the encoder of each is any registry image classifier without its top."""

from keras_zoo._discover import import_submodules

import_submodules(__name__, __path__)

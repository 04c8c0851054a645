"""Multimodal models: image and video captioning, image-text and video-text transformers,
audio and contrastive encoders."""

from keras_zoo._discover import import_submodules

import_submodules(__name__, __path__)

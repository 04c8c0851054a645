"""Semantic segmentation and dense prediction: FCN, DeconvNet, U-Net, Segmenter, DPT, the
convolutionalised heat-map classifier and shift-and-stitch, and monocular depth models; one file
per model, importing this package registers them all."""

from keras_zoo._discover import import_submodules

import_submodules(__name__, __path__)

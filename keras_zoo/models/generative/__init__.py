"""Generative models (autoencoders, VAE, the GAN family); importing this package registers them.

Every model here is a ``keras.Model`` whose ``train_step`` holds the variational or adversarial
logic: train with ``model.compile()`` and ``model.fit(dataset)``.
"""

from keras_zoo._discover import import_submodules

import_submodules(__name__, __path__)

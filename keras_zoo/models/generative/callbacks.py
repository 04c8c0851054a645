"""Callbacks for generative training: a PNG grid of samples after every epoch, and a PNG of
the loss curves (both through ``keras_zoo.plots``)."""

from __future__ import annotations

import os

import keras


class SampleGrid(keras.callbacks.Callback):
    """Writes ``<directory>/samples_epoch{NNN}.png`` after every epoch.

    The samples come from the same fixed latent (and labels or source images) every epoch, so
    the grids show the generator's progress. GANs use ``model.generate``; VAEs decode the fixed
    latent; autoencoders reconstruct the fixed images.

    Args:
        directory: where the PNGs go.
        n: number of samples (a multiple of ``columns`` reads best).
        labels: class ids for conditional models (default: ``i % num_classes``).
        images: source images in [0, 1] for image-to-image models and autoencoders.
        columns: grid width.
        seed: of the fixed latent.
    """

    def __init__(self, directory, n=32, labels=None, images=None, columns=8, seed=0):
        super().__init__()
        self.directory = os.fspath(directory)
        self.n = n
        self.labels = labels
        self.images = images
        self.columns = columns
        self.seed = seed
        self.paths = []

    def samples(self):
        """``(images, labels or None)``: the model's ``grid_samples`` (a generative model's
        declared hook, ``keras_zoo.models.generative.base.TrackedModel``)."""
        return self.model.grid_samples(self.n, self.labels, self.images, self.seed)

    def on_epoch_end(self, epoch, logs=None):
        from keras_zoo.plots import image_grid

        images, labels = self.samples()
        path = os.path.join(self.directory, f"samples_epoch{epoch + 1:03d}.png")
        image_grid(images, path, labels=labels, columns=self.columns,
                   title=f"{self.model.name}, epoch {epoch + 1}")
        self.paths.append(path)


class LossCurves(keras.callbacks.Callback):
    """Rewrites ``path`` with the curves of every logged metric after every epoch."""

    def __init__(self, path):
        super().__init__()
        self.path = os.fspath(path)
        self.history = {}

    def on_epoch_end(self, epoch, logs=None):
        from keras_zoo.plots import training_curves

        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))
        if self.history:
            training_curves(self.history, self.path, title=self.model.name)

"""Viewpoint estimation: a uint8 image and its object class in, the azimuth, elevation and
in-plane rotation (degrees) out (Render for CNN, Su et al. 2015)."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from keras_zoo.tasks.base import Task, array_dataset


def _shapes(model):
    shape = tuple(model.input["images"].shape[1:]) if isinstance(model.input, dict) else None
    if shape is None or None in shape:
        raise ValueError(f"{model.name}: a viewpoint model takes a dict with 'images' of fixed "
                         f"(H, W, C) and 'labels'.")
    bins = int(model.output.shape[-1])
    return shape, bins


def predicted_angles(logits):
    """The centre (degrees) of the most probable bin of each angle: ``[B, A]``."""
    from keras_zoo.losses.viewpoint import bin_centers

    bins = logits.shape[-1]
    return tf.gather(bin_centers(bins), tf.argmax(logits, axis=-1, output_type=tf.int32))


def median_angle_errors(model, images, labels, angles, batch_size=256):
    """``{"median_azimuth_error", "median_elevation_error", "median_inplane_error"}`` in
    degrees (the paper's median error, per angle), images float in [0, 1]."""
    from keras_zoo.losses.viewpoint import circular_difference
    from keras_zoo.models.viewpoint.render_for_cnn import ANGLES

    logits = model.predict({"images": images, "labels": labels}, batch_size=batch_size,
                           verbose=0)
    errors = np.asarray(circular_difference(predicted_angles(tf.constant(logits)), angles))
    return {f"median_{a}_error": float(np.median(errors[:, i])) for i, a in enumerate(ANGLES)}


class ViewpointTask(Task):
    """Inputs ``images`` (uint8 when served, [0, 1] floats in ``fit``) and ``labels`` (class
    ids); targets: the angles in degrees ``[B, 3]``; loss: the geometry-aware classification
    loss; served: ``azimuth``, ``elevation``, ``inplane`` (degrees, the most probable bin's
    centre) and ``probabilities`` ``[B, 3, bins]``. Data ``"viewpoints"``: renders over random
    backgrounds (``keras_zoo.data.viewpoints``)."""

    name = "viewpoint"
    data_names = ("viewpoints",)

    def _arrays(self, model, entry, split, n=None, data=None):
        from keras_zoo.data import viewpoints

        self.check_data(data or "viewpoints")
        (h, w, c), _ = _shapes(model)
        if h != w or c != 3:
            raise ValueError(f"{model.name}: the renders are square RGB, got ({h}, {w}, {c}).")
        classes = int(model.get_layer("class_one_hot").input_dim)
        images, labels, angles = viewpoints.load(split, h, n, num_classes=classes)
        return images, labels, angles

    def battery_data(self, model, entry, n=32, seed=0):
        images, labels, angles = self._arrays(model, entry, "train", n)
        return {"images": images.astype(np.float32) / 255.0, "labels": labels}, angles

    def dataset(self, model, entry, split="train", batch_size=32, seed=0, data=None):
        images, labels, angles = self._arrays(model, entry, split, data=data)
        x = {"images": images.astype(np.float32) / 255.0, "labels": labels}
        return array_dataset(x, angles, split, batch_size, seed)

    def compile(self, model, entry, learning_rate=1e-3, optimizer=None, sigma=3.0):
        """``sigma``: the loss's width in bins (the paper's 3 with 360 bins)."""
        import keras

        from keras_zoo.losses.viewpoint import GeometryAwareViewpointLoss

        _, bins = _shapes(model)
        model.compile(optimizer=optimizer or keras.optimizers.Adam(learning_rate),
                      loss=GeometryAwareViewpointLoss(bins, sigma))

    def evaluation_metrics(self, model, entry, split="test", data=None, seed=0):
        images, labels, angles = self._arrays(model, entry, split, data=data)
        return median_angle_errors(model, images.astype(np.float32) / 255.0, labels, angles)

    def serving_fn(self, model):
        (h, w, c), bins = _shapes(model)

        @tf.function(input_signature=[tf.TensorSpec([None, h, w, c], tf.uint8, name="images"),
                                      tf.TensorSpec([None], tf.int32, name="labels")])
        def serve(images, labels):
            logits = model({"images": tf.cast(images, tf.float32) / 255.0, "labels": labels},
                           training=False)
            angles = predicted_angles(logits)
            return {"azimuth": angles[:, 0], "elevation": angles[:, 1],
                    "inplane": angles[:, 2], "probabilities": tf.nn.softmax(logits, axis=-1)}

        return serve

    def serving_example(self, model, n=4, seed=0):
        (h, w, c), _ = _shapes(model)
        classes = int(model.get_layer("class_one_hot").input_dim)
        rng = np.random.default_rng(seed)
        return {"images": rng.integers(0, 256, (n, h, w, c)).astype(np.uint8),
                "labels": rng.integers(0, classes, n).astype(np.int32)}

    def test_examples(self, model, entry, n=32):
        images, labels, angles = self._arrays(model, entry, "test", n)
        return {"images": images, "labels": labels}, angles

    def representative_examples(self, model, entry, n=100, seed=0):
        images, labels, _ = self._arrays(model, entry, "train", n)
        return [{"images": images[i:i + 1], "labels": labels[i:i + 1]} for i in range(n)]

    def parity_tolerance(self):
        # Angles are bin centres: a near-tie may pick the neighbouring bin.
        return 1e-4

    def int8_agreement(self, reference, quantized):
        r = np.asarray(reference["probabilities"])
        q = np.asarray(quantized["probabilities"])
        return float(1.0 - np.abs(r - q).sum(-1).mean() / 2.0)

    def int8_check(self, reference, quantized):
        # Total variation between the float and int8 bin distributions (angles of a barely
        # trained model are near-ties; the distributions are what int8 must keep).
        agreement = self.int8_agreement(reference, quantized)
        return agreement >= 0.9, f"1 - mean total variation {agreement:.4f} (>= 0.9)"

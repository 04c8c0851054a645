"""Metrics of generative models with any classifier as the feature network: the Frechet
Inception Distance (Heusel, Ramsauer, Unterthiner, Nessler & Hochreiter, "GANs Trained by a Two
Time-Scale Update Rule Converge to a Local Nash Equilibrium", NeurIPS 2017) and the perceptual
path length (Karras, Laine & Aila, "A Style-Based Generator Architecture for Generative
Adversarial Networks", CVPR 2019, section 4.1)."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf


def feature_model(classifier, layers=None, name=None):
    """The feature network of a classifier: its inputs to the named layers' outputs.

    Args:
        classifier: a functional ``keras.Model`` (any keras-zoo classifier).
        layers: a layer name or a list of them; None: the input of the last ``Dense`` layer
            (the penultimate features, as FID uses Inception's pool3).
        name: the feature model's name.
    """
    if layers is None:
        dense = [layer for layer in classifier.layers if isinstance(layer, keras.layers.Dense)]
        if not dense:
            raise ValueError(f"{classifier.name}: no Dense layer to take the penultimate features "
                             "from; name the feature layers with layers=[...].")
        outputs = dense[-1].input
    else:
        names = [layers] if isinstance(layers, str) else list(layers)
        known = {layer.name for layer in classifier.layers}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ValueError(f"{classifier.name}: no layers {unknown}; it has "
                             f"{sorted(known)}.")
        outputs = [classifier.get_layer(n).output for n in names]
        outputs = outputs[0] if len(outputs) == 1 else outputs
    inputs = classifier.inputs[0] if len(classifier.inputs) == 1 else classifier.inputs
    return keras.Model(inputs, outputs, name=name or f"{classifier.name}_features")


def _pooled(features):
    """``[B, D]``: spatial features averaged over their positions (Inception's pool3)."""
    features = tf.convert_to_tensor(features)
    if features.shape.rank > 2:
        features = tf.reduce_mean(features, axis=list(range(1, features.shape.rank - 1)))
    return features


def _symmetric_sqrt(matrix):
    values, vectors = tf.linalg.eigh(matrix)
    return (vectors * tf.sqrt(tf.maximum(values, 0.0))[None, :]) @ tf.transpose(vectors)


def frechet_distance(mu1, sigma1, mu2, sigma2):
    """``|mu1 - mu2|^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2))``, the Frechet distance of two
    Gaussians (Heusel et al. 2017, eq. 6). ``Tr((S1 S2)^(1/2))`` is taken as
    ``Tr((S1^(1/2) S2 S1^(1/2))^(1/2))`` (the same eigenvalues, symmetric PSD): two symmetric
    eigendecompositions instead of a general matrix square root."""
    mu1, mu2, sigma1, sigma2 = (tf.cast(t, tf.float64) for t in (mu1, mu2, sigma1, sigma2))
    root1 = _symmetric_sqrt(sigma1)
    inner = root1 @ sigma2 @ root1
    inner = (inner + tf.transpose(inner)) / 2.0
    trace_root = tf.reduce_sum(tf.sqrt(tf.maximum(tf.linalg.eigvalsh(inner), 0.0)))
    return (tf.reduce_sum(tf.square(mu1 - mu2)) + tf.linalg.trace(sigma1)
            + tf.linalg.trace(sigma2) - 2.0 * trace_root)


class FrechetInceptionDistance(keras.metrics.Metric):
    """FID between real and generated images in a classifier's feature space.

    Heusel et al. 2017: the features of the two sets are modelled as Gaussians (mean and
    covariance, the covariance unbiased as ``np.cov``) and compared by ``frechet_distance``. The
    paper's feature network is Inception-v3's pool3; here any feature model (``feature_model``
    of a keras-zoo classifier) serves, so figures are comparable only with the same one.
    ``update_state(real_images, generated_images)`` (or ``update_real`` / ``update_generated``
    for sets of different sizes) accumulates the sums in float64 batch by batch; ``result()``
    is the distance.

    Args:
        features: the feature ``keras.Model`` (images -> [B, D], or spatial maps [B, ..., D]
            averaged over their positions).
        name: the metric's name.
    """

    def __init__(self, features, name="fid", **kwargs):
        super().__init__(name=name, **kwargs)
        if isinstance(features.output_shape, list) or features.output_shape[-1] is None:
            raise ValueError(f"FrechetInceptionDistance: the feature model {features.name} must "
                             f"have one output with a known last axis, got "
                             f"{features.output_shape}.")
        self.features = features
        dim = int(features.output_shape[-1])
        self._stats = {}
        for which in ("real", "generated"):
            self._stats[which] = (
                self.add_variable(shape=(), initializer="zeros", dtype="float64",
                                  name=f"{which}_count"),
                self.add_variable(shape=(dim,), initializer="zeros", dtype="float64",
                                  name=f"{which}_sum"),
                self.add_variable(shape=(dim, dim), initializer="zeros", dtype="float64",
                                  name=f"{which}_outer"))

    def _accumulate(self, which, images):
        f = tf.cast(_pooled(self.features(images, training=False)), tf.float64)
        count, total, outer = self._stats[which]
        count.assign_add(tf.cast(tf.shape(f)[0], tf.float64))
        total.assign_add(tf.reduce_sum(f, axis=0))
        outer.assign_add(tf.matmul(f, f, transpose_a=True))

    def update_real(self, images):
        self._accumulate("real", images)

    def update_generated(self, images):
        self._accumulate("generated", images)

    def update_state(self, real_images, generated_images, sample_weight=None):
        if sample_weight is not None:
            raise ValueError("FrechetInceptionDistance: sample_weight is not supported.")
        self.update_real(real_images)
        self.update_generated(generated_images)

    def _moments(self, which):
        count, total, outer = self._stats[which]
        mean = total / count
        covariance = (outer - count * mean[:, None] * mean[None, :]) / (count - 1.0)
        return mean, covariance

    def result(self):
        return frechet_distance(*self._moments("real"), *self._moments("generated"))

    def reset_state(self):
        for variables in self._stats.values():
            for v in variables:
                v.assign(tf.zeros_like(v))


def frechet_inception_distance(features, real_images, generated_images, batch_size=64):
    """FID of two image arrays through ``features`` (see ``FrechetInceptionDistance``)."""
    if len(real_images) < 2 or len(generated_images) < 2:
        raise ValueError("frechet_inception_distance: each set needs at least two images, got "
                         f"{len(real_images)} and {len(generated_images)}.")
    metric = FrechetInceptionDistance(features)
    for start in range(0, len(real_images), batch_size):
        metric.update_real(real_images[start:start + batch_size])
    for start in range(0, len(generated_images), batch_size):
        metric.update_generated(generated_images[start:start + batch_size])
    return float(metric.result())


# --- perceptual path length ---------------------------------------------------------------------

def perceptual_distance(features, a, b, normalize=True):
    """``d(a, b)``: squared distances of feature vectors, LPIPS-style (Zhang et al. 2018) with
    unit weights: each feature vector (the last axis, at each position of a spatial map) scaled
    to unit length when ``normalize``, squared differences summed over it, averaged over
    positions, summed over the feature model's outputs. Returns [B]."""
    fa, fb = features(a, training=False), features(b, training=False)
    if not isinstance(fa, (list, tuple)):
        fa, fb = [fa], [fb]
    total = 0.0
    for x, y in zip(fa, fb, strict=True):
        x, y = tf.cast(x, tf.float32), tf.cast(y, tf.float32)
        if normalize:
            x = x / (tf.norm(x, axis=-1, keepdims=True) + 1e-10)
            y = y / (tf.norm(y, axis=-1, keepdims=True) + 1e-10)
        squared = tf.reduce_sum(tf.square(x - y), axis=-1)
        if squared.shape.rank > 1:
            squared = tf.reduce_mean(squared, axis=list(range(1, squared.shape.rank)))
        total = total + squared
    return total


def slerp(a, b, t):
    """Spherical interpolation of the directions of ``a`` and ``b`` (rows), as StyleGAN's
    metric code: the direction is interpolated on the sphere, normalised (the norm is not kept:
    Z is normalised by the mapping network anyway)."""
    a = a / tf.norm(a, axis=-1, keepdims=True)
    b = b / tf.norm(b, axis=-1, keepdims=True)
    d = tf.reduce_sum(a * b, axis=-1, keepdims=True)
    p = t * tf.acos(tf.clip_by_value(d, -1.0, 1.0))
    c = b - d * a
    c = c / (tf.norm(c, axis=-1, keepdims=True) + 1e-12)
    out = a * tf.cos(p) + c * tf.sin(p)
    return out / tf.norm(out, axis=-1, keepdims=True)


def _run(network, x):
    return network(x, training=False) if isinstance(network, keras.Model) else network(x)


def perceptual_path_length(generator, features, latent_dim, num_samples=1000, epsilon=1e-4,
                           space="z", mapping=None, batch_size=100, trim=(1, 99), normalize=True,
                           seed=0):
    """The perceptual path length (Karras et al. 2019, section 4.1, eqs. 2-3):
    ``E[d(G(i(z1, z2; t)), G(i(z1, z2; t + eps))) / eps^2]``, ``t ~ U(0, 1)``, ``i`` slerp in
    Z (``space="z"``) or lerp in W (``space="w"``, ``w = mapping(z)`` and ``generator`` taking
    w), ``d`` = ``perceptual_distance`` through ``features``.

    The paper's d is LPIPS on VGG16 and eps = 1e-4; StyleGAN's code averages the distances
    between their 1st and 99th percentiles (``trim``; None keeps all).

    Args:
        generator: a callable latents [B, latent_dim] -> images (a model, or its generator).
        features: the feature model of ``perceptual_distance``.
        latent_dim: the size of z (and of w in W space, the mapping network's output).
        num_samples: the number of (z1, z2, t) samples.
        epsilon: the step of the finite difference.
        space: "z" (slerp of z) or "w" (lerp of mapping(z)).
        mapping: the mapping network, for ``space="w"`` only.
        batch_size: samples per generator call.
        trim: (low, high) percentiles of the distances kept, or None.
        normalize: unit-normalise the feature vectors (LPIPS); False: plain squared L2.
        seed: the seed of z1, z2 and t.
    """
    if space not in ("z", "w"):
        raise ValueError(f"perceptual_path_length: space must be 'z' or 'w', got {space!r}.")
    if (space == "w") != (mapping is not None):
        raise ValueError("perceptual_path_length: mapping is needed for space='w' and only "
                         "there.")
    if epsilon <= 0 or num_samples < 1:
        raise ValueError(f"perceptual_path_length: need epsilon > 0 and num_samples >= 1, got "
                         f"{epsilon} and {num_samples}.")
    rng = np.random.default_rng(seed)
    distances = []
    for start in range(0, num_samples, batch_size):
        n = min(batch_size, num_samples - start)
        z1 = tf.constant(rng.normal(size=(n, latent_dim)), tf.float32)
        z2 = tf.constant(rng.normal(size=(n, latent_dim)), tf.float32)
        t = tf.constant(rng.uniform(size=(n, 1)), tf.float32)
        if space == "z":
            a, b = slerp(z1, z2, t), slerp(z1, z2, t + epsilon)
        else:
            w1, w2 = _run(mapping, z1), _run(mapping, z2)
            a, b = w1 + (w2 - w1) * t, w1 + (w2 - w1) * (t + epsilon)
        d = perceptual_distance(features, _run(generator, a), _run(generator, b),
                                normalize=normalize)
        distances.append(np.asarray(d, np.float64) / epsilon ** 2)
    distances = np.concatenate(distances)
    if trim is not None:
        low = np.percentile(distances, trim[0], method="lower")
        high = np.percentile(distances, trim[1], method="higher")
        distances = distances[(distances >= low) & (distances <= high)]
    return float(np.mean(distances))

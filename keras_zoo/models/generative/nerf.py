"""NeRF (Mildenhall, Srinivasan, Tancik, Barron, Ramamoorthi & Ng, "NeRF: Representing Scenes as
Neural Radiance Fields for View Synthesis", ECCV 2020).

A scene is an MLP F(gamma(x), gamma(d)) -> (colour c, density sigma) (section 3, figure 7); a
pixel's colour is the volume rendering of its ray (section 4, equation 3),
``C = sum_i T_i (1 - exp(-sigma_i delta_i)) c_i``, ``T_i = exp(-sum_{j<i} sigma_j delta_j)``,
estimated from stratified samples along the ray (equation 2) by a coarse network, then from
the coarse samples plus samples drawn by inverse transform from the coarse weights by a fine
network (hierarchical sampling, section 5.2). The loss is the squared error of both renderings
(equation 6).

Why a subclassed model with ``train_step`` rather than a functional model over sampled points:
the fine samples are a function of the coarse network's output on the same rays (inverse-CDF of
its weights, through a stop-gradient), both networks are trained by one loss, and training
draws random stratified samples while rendering uses deterministic ones. A functional model over
points would push the sampling, the per-ray sorting and the two renderings into the data
pipeline or into custom layers with training flags; here each of them is a plain function
(``stratified_samples``, ``sample_pdf``, ``volume_render``) tested against NumPy, and the
networks themselves stay functional (``nerf_mlp``).

Rays' directions are normalised inside the model, so ``t``, ``near``, ``far`` and the
distances ``delta`` are Euclidean distances; the last ``delta`` is 1e10 (the authors' code), so a
ray that reaches the last sample is absorbed there. Rays that leave the volume see the
``background`` colour: ``C + (1 - sum_i w_i) * background`` (the authors' white background for the
synthetic scenes).
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from keras_zoo.blocks.gan import _check_positive
from keras_zoo.layers import NeRFPositionalEncoding
from keras_zoo.models.composite import NetworksConfig
from keras_zoo.models.registry import register
from keras_zoo.models.replicas import minimize

PAPER = ("Mildenhall et al., NeRF: Representing Scenes as Neural Radiance Fields for View "
         "Synthesis, ECCV 2020")
#: The length of the last interval of a ray (the authors' code): it absorbs what is left.
LAST_DELTA = 1e10


# === Networks =====================================================================================
def nerf_mlp(depth=8, width=256, skips=(4,), direction_width=128, position_frequencies=10,
             direction_frequencies=4, include_input=False, position_bound=4.0,
             name="nerf_mlp"):
    """NeRF's fully connected network (figure 7): points and unit directions ``[N, 3]`` ->
    ``{"rgb": [N, 3] in [0, 1], "sigma": [N, 1] >= 0}``.

    gamma(x) goes through ``depth`` ReLU layers of ``width`` units, gamma(x) concatenated again
    to the input of the layers listed in ``skips`` (the 5th: index 4); a linear layer gives the
    density sigma (ReLU) and another the ``width``-feature vector that, concatenated with
    gamma(d), goes through one ReLU layer of ``direction_width`` units to the sigmoid colour.
    sigma therefore depends on the position only, the colour on position and direction.

    Args:
        depth: layers of the position trunk (8).
        width: their units (256).
        skips: 0-based indices of the trunk layers whose input is concatenated with gamma(x).
        direction_width: units of the direction layer (128).
        position_frequencies: L of gamma for positions (10).
        direction_frequencies: L of gamma for directions (4).
        include_input: whether gamma also carries p itself (the authors' code; not the paper).
        position_bound: positions are divided by it before gamma: the paper normalises each
            coordinate to [-1, 1] (section 5.1), and gamma, made of sin/cos(2^k pi p), has
            period 2 in every coordinate, so a point outside [-1, 1] would alias one inside.
            4 covers every sample of the ``scenes`` cameras (within 3.2 of the origin).
        name: model name.
    """
    if not float(position_bound) > 0.0:
        raise ValueError(f"position_bound must be > 0, got {position_bound!r}.")
    for arg, value in (("depth", depth), ("width", width), ("direction_width", direction_width),
                       ("position_frequencies", position_frequencies),
                       ("direction_frequencies", direction_frequencies)):
        _check_positive(value, arg)
    skips = tuple(int(s) for s in skips)
    if any(s < 1 or s >= depth for s in skips):
        raise ValueError(f"skips must be layer indices in [1, {depth - 1}], got {skips}.")
    points = keras.Input((3,), name="points")
    directions = keras.Input((3,), name="directions")
    normalized = keras.layers.Rescaling(1.0 / float(position_bound),
                                        name=f"{name}_normalize")(points)
    gamma_x = NeRFPositionalEncoding(position_frequencies, include_input,
                                     name=f"{name}_gamma_x")(normalized)
    gamma_d = NeRFPositionalEncoding(direction_frequencies, include_input,
                                     name=f"{name}_gamma_d")(directions)
    x = gamma_x
    for i in range(depth):
        if i in skips:
            x = keras.layers.Concatenate(name=f"{name}_skip{i + 1}")([x, gamma_x])
        x = keras.layers.Dense(width, activation="relu", name=f"{name}_dense{i + 1}")(x)
    sigma = keras.layers.Dense(1, activation="relu", name=f"{name}_sigma")(x)
    feature = keras.layers.Dense(width, name=f"{name}_feature")(x)
    h = keras.layers.Concatenate(name=f"{name}_view")([feature, gamma_d])
    h = keras.layers.Dense(direction_width, activation="relu", name=f"{name}_direction")(h)
    rgb = keras.layers.Dense(3, activation="sigmoid", name=f"{name}_rgb")(h)
    return keras.Model([points, directions], {"rgb": rgb, "sigma": sigma}, name=name)


def nerf_mlp_params(depth=8, width=256, skips=(4,), direction_width=128,
                    position_frequencies=10, direction_frequencies=4, include_input=False):
    """The parameter count of ``nerf_mlp``, by hand (weights + biases of each Dense layer)."""
    px = 3 * (2 * position_frequencies + int(include_input))
    pd = 3 * (2 * direction_frequencies + int(include_input))
    total, fan_in = 0, px
    for i in range(depth):
        fan_in += px if i in skips else 0
        total += fan_in * width + width
        fan_in = width
    total += width + 1                                    # sigma
    total += width * width + width                        # feature
    total += (width + pd) * direction_width + direction_width
    total += direction_width * 3 + 3                      # rgb
    return total


# === Rendering ====================================================================================
def stratified_samples(near, far, num_samples, uniform=None):
    """Equation 2: ``t_i ~ U[t_n + (i-1)/N (t_f - t_n), t_n + i/N (t_f - t_n)]``.

    Args:
        near, far: ``[R]`` bounds of each ray.
        num_samples: N.
        uniform: ``[R, N]`` in [0, 1) for random samples, or None for the bins' midpoints
            (deterministic rendering).

    Returns:
        ``(t [R, N], edges [R, N + 1])``: the samples and their bins' edges.
    """
    fractions = tf.linspace(0.0, 1.0, num_samples + 1)
    edges = near[:, None] + (far - near)[:, None] * fractions[None, :]
    lower, upper = edges[:, :-1], edges[:, 1:]
    u = 0.5 if uniform is None else uniform
    return lower + (upper - lower) * u, edges


def volume_render(sigma, rgb, t, background=None):
    """Equation 3: ``C = sum_i T_i (1 - exp(-sigma_i delta_i)) c_i`` with
    ``T_i = exp(-sum_{j<i} sigma_j delta_j)`` and ``delta_i = t_{i+1} - t_i`` (the last 1e10).

    Args:
        sigma: ``[R, N]`` densities.
        rgb: ``[R, N, 3]`` colours.
        t: ``[R, N]`` sorted distances of the samples.
        background: a colour ``[3]`` seen through the remaining transmittance, or None (black).

    Returns:
        ``(colour [R, 3], weights [R, N], opacity [R])``, weights ``w_i = T_i alpha_i``.
    """
    delta = tf.concat([t[:, 1:] - t[:, :-1], tf.fill(tf.shape(t[:, :1]), LAST_DELTA)], -1)
    tau = sigma * delta
    alpha = 1.0 - tf.exp(-tau)
    # The sum over j < i, as an inclusive cumulative sum of all but the last interval (whose tau
    # may be huge) shifted by one: T_1 = 1.
    absorbed = tf.concat([tf.zeros_like(tau[:, :1]), tf.cumsum(tau[:, :-1], axis=-1)], -1)
    weights = tf.exp(-absorbed) * alpha
    colour = tf.reduce_sum(weights[..., None] * rgb, axis=-2)
    opacity = tf.reduce_sum(weights, axis=-1)
    if background is not None:
        colour += (1.0 - opacity)[:, None] * tf.reshape(tf.cast(background, colour.dtype), [1, 3])
    return colour, weights, opacity


def sample_pdf(edges, weights, uniform):
    """Inverse transform sampling of the piecewise-constant density that gives bin ``i``
    (between ``edges[i]`` and ``edges[i+1]``) the probability ``w_i / sum_j w_j`` (section 5.2).

    Written with comparisons and one-hot sums rather than ``searchsorted``/``gather`` so that
    it converts to TFLite builtin ops.

    Args:
        edges: ``[R, N + 1]`` increasing bin edges.
        weights: ``[R, N]`` non-negative weights (1e-5 is added, as in the authors' code, so
            that an all-zero ray samples uniformly).
        uniform: ``[R, M]`` values in [0, 1].

    Returns:
        ``[R, M]`` samples.
    """
    num_bins = weights.shape[-1]
    weights = weights + 1e-5
    pdf = weights / tf.reduce_sum(weights, -1, keepdims=True)
    cdf = tf.cumsum(pdf, axis=-1)
    below = tf.concat([tf.zeros_like(cdf[:, :1]), cdf[:, :-1]], -1)  # CDF at each bin's start
    # Bin of u: how many of the bins' ends (but the last, = 1) lie at or below u.
    index = tf.reduce_sum(tf.cast(uniform[..., None] >= cdf[:, None, :-1], tf.int32), -1)
    pick = tf.one_hot(index, num_bins, dtype=weights.dtype)  # [R, M, N]

    def at_bin(values):
        return tf.reduce_sum(pick * values[:, None, :], -1)

    lower, upper = at_bin(edges[:, :-1]), at_bin(edges[:, 1:])
    fraction = tf.clip_by_value((uniform - at_bin(below)) / at_bin(pdf), 0.0, 1.0)
    return lower + fraction * (upper - lower)


def sort_samples(t):
    """``t`` sorted along the last axis, ascending (``top_k`` of ``-t``: a TFLite builtin)."""
    return -tf.math.top_k(-t, k=t.shape[-1], sorted=True).values


def psnr(mse):
    """Peak signal-to-noise ratio of colours in [0, 1]: ``-10 log10(MSE)``."""
    return -10.0 * tf.math.log(mse) / tf.math.log(10.0)


@keras.saving.register_keras_serializable(package="keras_zoo")
class PSNR(keras.metrics.Metric):
    """PSNR in dB of images in [0, 1] over everything seen since the last reset:
    ``-10 log10(total squared error / count)`` (not a mean of per-batch PSNRs).

    Args:
        name: metric name.
    """

    def __init__(self, name="psnr", **kwargs):
        super().__init__(name=name, **kwargs)
        self.squared_error = self.add_variable((), initializer="zeros", name="squared_error")
        self.count = self.add_variable((), initializer="zeros", name="count")

    def update_state(self, y_true, y_pred, sample_weight=None):
        error = tf.square(tf.cast(y_true, "float32") - tf.cast(y_pred, "float32"))
        self.squared_error.assign_add(tf.reduce_sum(error))
        self.count.assign_add(tf.cast(tf.size(error), "float32"))

    def result(self):
        return psnr(self.squared_error / tf.maximum(self.count, 1.0))

    def reset_state(self):
        self.squared_error.assign(0.0)
        self.count.assign(0.0)


# === Model ========================================================================================
def _check_rays(origins, directions):
    for name, value in (("origins", origins), ("directions", directions)):
        shape = tuple(value.shape)
        if len(shape) != 2 or shape[-1] != 3:
            raise ValueError(f"{name} must have shape (rays, 3), got {shape}.")


@keras.saving.register_keras_serializable(package="keras_zoo")
class NeRFModel(NetworksConfig, keras.Model):
    """A neural radiance field with coarse and fine networks, trained on rays by ``fit``.

    ``fit`` takes ``({"origins": [B, 3], "directions": [B, 3]}, colours [B, 3])`` (optional
    per-ray ``"near"``/``"far"`` ``[B]``), minimises ``|C_c - C|^2 + |C_f - C|^2`` (equation 6)
    and logs ``loss`` and ``psnr`` (of the fine rendering). ``call`` renders rays
    deterministically: ``{"rgb", "rgb_coarse", "depth", "opacity"}``. ``render(pose, ...)``
    renders an image.

    Args:
        coarse: the coarse network (``nerf_mlp``).
        fine: the fine network (``nerf_mlp``).
        num_coarse: N_c, stratified samples per ray (64).
        num_fine: N_f, extra samples from the coarse weights (128); the fine network sees
            N_c + N_f samples.
        near, far: default ray bounds (distances).
        background: the colour of empty space (RGB in [0, 1]).
        seed: seed of the training samples.
        **kwargs: ``keras.Model`` arguments.
    """

    networks = ("coarse", "fine")

    def __init__(self, coarse=None, fine=None, num_coarse=64, num_fine=128, near=2.0, far=6.0,
                 background=(1.0, 1.0, 1.0), seed=None, **kwargs):
        super().__init__(**kwargs)
        for arg, network in (("coarse", coarse), ("fine", fine)):
            if not isinstance(network, keras.Model):
                raise TypeError(f"{arg} must be a keras.Model, got {type(network).__name__}.")
        self.coarse, self.fine = coarse, fine
        self.num_coarse = _check_positive(num_coarse, "num_coarse")
        self.num_fine = _check_positive(num_fine, "num_fine")
        if not float(far) > float(near) >= 0.0:
            raise ValueError(f"near and far must satisfy 0 <= near < far, got {near}, {far}.")
        self.near, self.far = float(near), float(far)
        background = tuple(float(c) for c in background)
        if len(background) != 3:
            raise ValueError(f"background must be an RGB triple, got {background!r}.")
        self.background = background
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.psnr_metric = PSNR(name="psnr")
        self.built = True

    @property
    def metrics(self):
        return [self.loss_tracker, self.psnr_metric]

    # --- rays ------------------------------------------------------------------------------
    def _rays(self, inputs):
        if not isinstance(inputs, dict) or not {"origins", "directions"} <= set(inputs):
            raise ValueError("NeRF takes a dict with 'origins' and 'directions' (rays, 3), "
                             "optionally 'near' and 'far' (rays,).")
        origins = tf.cast(inputs["origins"], "float32")
        directions = tf.cast(inputs["directions"], "float32")
        _check_rays(origins, directions)
        count = tf.shape(origins)[:1]
        near = inputs.get("near")
        far = inputs.get("far")
        near = tf.fill(count, self.near) if near is None else tf.cast(near, "float32")
        far = tf.fill(count, self.far) if far is None else tf.cast(far, "float32")
        return origins, directions, near, far

    def _query(self, network, origins, directions, t, training):
        """The network at the points ``o + t d``: ``(sigma [R, N], rgb [R, N, 3])``."""
        num = t.shape[-1]
        points = origins[:, None, :] + t[..., None] * directions[:, None, :]
        views = tf.broadcast_to(directions[:, None, :], tf.shape(points))
        out = network({"points": tf.reshape(points, [-1, 3]),
                       "directions": tf.reshape(views, [-1, 3])}, training=training)
        return (tf.reshape(out["sigma"], [-1, num]), tf.reshape(out["rgb"], [-1, num, 3]))

    def render_rays(self, origins, directions, near, far, training=False):
        """Coarse then fine volume rendering of rays; random samples if ``training``."""
        directions = directions / tf.norm(directions, axis=-1, keepdims=True)
        count = tf.shape(origins)[0]
        jitter = None
        if training:
            jitter = keras.random.uniform(tf.stack([count, self.num_coarse]),
                                          seed=self.seed_generator)
        t_coarse, edges = stratified_samples(near, far, self.num_coarse, jitter)
        sigma, rgb = self._query(self.coarse, origins, directions, t_coarse, training)
        rgb_coarse, weights, _ = volume_render(sigma, rgb, t_coarse, self.background)
        if training:
            u = keras.random.uniform(tf.stack([count, self.num_fine]), seed=self.seed_generator)
        else:
            u = tf.broadcast_to((tf.range(self.num_fine, dtype="float32") + 0.5)
                                / self.num_fine, tf.stack([count, self.num_fine]))
        # The fine samples follow the coarse weights but pass no gradient to them (section 5.2:
        # the coarse network is trained by its own rendering loss).
        t_fine = sample_pdf(edges, tf.stop_gradient(weights), u)
        t_all = sort_samples(tf.concat([t_coarse, tf.stop_gradient(t_fine)], -1))
        sigma, rgb = self._query(self.fine, origins, directions, t_all, training)
        rgb_fine, weights, opacity = volume_render(sigma, rgb, t_all, self.background)
        depth = tf.reduce_sum(weights * t_all, -1)
        return {"rgb": rgb_fine, "rgb_coarse": rgb_coarse, "depth": depth, "opacity": opacity}

    def call(self, inputs, training=False):
        return self.render_rays(*self._rays(inputs), training=training)

    # --- training --------------------------------------------------------------------------
    def _loss(self, x, y, training):
        target = tf.cast(y, "float32")
        out = self.render_rays(*self._rays(x), training=training)
        loss = (tf.reduce_mean(tf.reduce_sum(tf.square(out["rgb_coarse"] - target), -1))
                + tf.reduce_mean(tf.reduce_sum(tf.square(out["rgb"] - target), -1)))
        return loss, out["rgb"], target

    def train_step(self, data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        if y is None:
            raise ValueError("NeRF trains on (rays, colours): pass y, the colours (rays, 3).")
        with tf.GradientTape() as tape:
            loss, rgb, target = self._loss(x, y, training=True)
        minimize(self.optimizer, tape, loss, self.trainable_variables)
        return self._log(loss, rgb, target)

    def test_step(self, data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        return self._log(*self._loss(x, y, training=False))

    def _log(self, loss, rgb, target):
        self.loss_tracker.update_state(loss)
        self.psnr_metric.update_state(target, rgb)
        return {m.name: m.result() for m in self.metrics}

    # --- rendering -------------------------------------------------------------------------
    def render(self, pose, image_size=32, focal=None, chunk=4096):
        """The image ``[H, W, 3]`` (numpy, [0, 1]) seen from a camera-to-world ``pose``.

        Args:
            pose: 4x4 camera-to-world matrix (``keras_zoo.data.scenes`` convention).
            image_size: side of the square image.
            focal: focal length in pixels (default: the scenes' 40-degree field of view).
            chunk: rays per forward pass.
        """
        from keras_zoo.data import scenes

        focal = scenes.focal_length(image_size) if focal is None else focal
        origins, directions = scenes.camera_rays(pose, image_size, focal)
        origins, directions = origins.reshape(-1, 3), directions.reshape(-1, 3)
        parts = [keras.ops.convert_to_numpy(self({"origins": origins[i:i + chunk],
                                                  "directions": directions[i:i + chunk]})["rgb"])
                 for i in range(0, len(origins), chunk)]
        return np.concatenate(parts).reshape(image_size, image_size, 3)

    # --- config ----------------------------------------------------------------------------
    def get_config(self):
        return {**super().get_config(), "num_coarse": self.num_coarse,
                "num_fine": self.num_fine, "near": self.near, "far": self.far,
                "background": list(self.background), "seed": self.seed}


class RenderedViews(keras.callbacks.Callback):
    """Writes ``<directory>/views_epoch{NNN}.png`` after every epoch: the model's renderings
    of fixed poses (top row) above the true views (bottom row), with the PSNR in the title.

    Args:
        directory: where the PNGs go.
        views: a ``keras_zoo.data.scenes.Views`` (e.g. ``load_views("test", 32)``).
        n: how many of its views to render.
    """

    def __init__(self, directory, views, n=4):
        super().__init__()
        self.directory = str(directory)
        self.views = views
        self.n = _check_positive(n, "n")
        self.paths = []

    def on_epoch_end(self, epoch, logs=None):
        import os

        from keras_zoo.plots import image_grid

        truth = self.views.images[:self.n]
        size = truth.shape[1]
        rendered = np.stack([self.model.render(pose, size, self.views.focal)
                             for pose in self.views.poses[:self.n]])
        value = float(-10.0 * np.log10(np.mean((rendered - truth) ** 2)))
        path = os.path.join(self.directory, f"views_epoch{epoch + 1:03d}.png")
        os.makedirs(self.directory, exist_ok=True)
        image_grid(np.concatenate([rendered, truth]), path, columns=len(truth),
                   title=f"{self.model.name}, epoch {epoch + 1}: {value:.1f} dB")
        self.paths.append(path)


def NeRF(depth=8, width=256, skips=(4,), direction_width=128, position_frequencies=10,
         direction_frequencies=4, num_coarse=64, num_fine=128, near=2.0, far=6.0,
         background=(1.0, 1.0, 1.0), include_input=False, position_bound=4.0, seed=None,
         name="nerf"):
    """NeRF with the paper's defaults: two 8x256 networks (coarse and fine), gamma with L = 10
    for positions and L = 4 for directions, 64 coarse + 128 fine samples per ray.

    Args:
        depth, width, skips, direction_width: the networks (``nerf_mlp``).
        position_frequencies, direction_frequencies: L of gamma for x and d.
        num_coarse, num_fine: N_c and N_f.
        near, far: default ray bounds; the scenes' cameras are 4 from the origin, the spheres
            within 1.6 of it, hence 2 and 6.
        background: the colour of empty space.
        include_input: whether gamma carries p itself (the authors' code).
        position_bound: the half-size of the scene's box, mapped to [-1, 1] before gamma.
        seed: seed of the training samples.
        name: model name.

    Example:
        >>> model = NeRF(depth=2, width=16, skips=(1,), num_coarse=8, num_fine=8)
        >>> model({"origins": np.zeros((2, 3)), "directions": np.ones((2, 3))})["rgb"].shape
        TensorShape([2, 3])
    """
    networks = [nerf_mlp(depth, width, skips, direction_width, position_frequencies,
                         direction_frequencies, include_input, position_bound,
                         name=f"{name}_{part}")
                for part in ("coarse", "fine")]
    return NeRFModel(*networks, num_coarse=num_coarse, num_fine=num_fine, near=near, far=far,
                     background=background, seed=seed, name=name)


register("nerf", task="rendering", family="nerf",
         tiny=dict(depth=2, width=16, skips=(1,), direction_width=8, position_frequencies=4,
                   direction_frequencies=2, num_coarse=8, num_fine=8),
         canonical=dict(), data="scenes", recipe="nerf", paper=PAPER,
         params=2 * nerf_mlp_params(),
         debts={"int8": "full-integer quantisation of the renderer: the inverse-CDF divides by "
                        "bin probabilities that quantise to the zero point (TFLite's int8 DIV "
                        "kernel refuses them), and the last interval (1e10) and gamma's "
                        "sin(2^(L-1) pi x) need a range no int8 scale covers."},
         notes="Trained on rays of keras_zoo.data.scenes (coloured spheres, 48 training and 8 "
               "held-out 32x32 views on the upper hemisphere).")(NeRF)

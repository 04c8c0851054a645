"""NeRF: gamma(p), stratified and hierarchical sampling and volume rendering against NumPy, the
network's structure and size, training by fit, rendering, serving; and (slow) >= 20 dB PSNR on
held-out views of the synthetic scene."""

import math
import time

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_zoo
from keras_zoo.data import scenes
from keras_zoo.layers import NeRFPositionalEncoding
from keras_zoo.models.generative.nerf import (
    PSNR,
    RenderedViews,
    nerf_mlp,
    sample_pdf,
    sort_samples,
    stratified_samples,
    volume_render,
)
from keras_zoo.tasks import get_task
from training.recipes.nerf import CPU_CONFIG

# --- NumPy references, written from the paper's formulas -----------------------------------------


def gamma_numpy(p, num_frequencies):
    # Equation 4, per coordinate: (sin(2^0 pi p), cos(2^0 pi p), ..., cos(2^(L-1) pi p)).
    p = np.asarray(p, np.float64)
    return np.concatenate([f(2.0 ** k * np.pi * p) for k in range(num_frequencies)
                           for f in (np.sin, np.cos)], -1)


def render_numpy(sigma, rgb, t, background=None):
    # Equation 3 with an explicit double loop: T_i = exp(-sum_{j<i} sigma_j delta_j).
    rays, n = sigma.shape
    colour = np.zeros((rays, 3))
    weights = np.zeros((rays, n))
    for r in range(rays):
        delta = np.append(np.diff(t[r]), 1e10)
        for i in range(n):
            transmittance = math.exp(-sum(sigma[r, j] * delta[j] for j in range(i)))
            weights[r, i] = transmittance * (1.0 - math.exp(-sigma[r, i] * delta[i]))
            colour[r] += weights[r, i] * rgb[r, i]
        if background is not None:
            colour[r] += (1.0 - weights[r].sum()) * np.asarray(background)
    return colour, weights


def inverse_cdf_numpy(edges, weights, u):
    out = np.zeros_like(u, dtype=np.float64)
    for r in range(len(u)):
        w = weights[r] + 1e-5
        pdf = w / w.sum()
        cdf = np.concatenate([[0.0], np.cumsum(pdf)])
        for m, value in enumerate(u[r]):
            k = min(np.searchsorted(cdf, value, side="right") - 1, len(pdf) - 1)
            out[r, m] = edges[r, k] + (value - cdf[k]) / pdf[k] * (edges[r, k + 1] - edges[r, k])
    return out


# --- positional encoding -------------------------------------------------------------------------


def test_gamma_matches_numpy_with_the_papers_frequencies():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (7, 3)).astype(np.float32)
    d = rng.normal(size=(7, 3)).astype(np.float32)
    d /= np.linalg.norm(d, axis=-1, keepdims=True)
    gx = np.asarray(NeRFPositionalEncoding(10)(x))
    gd = np.asarray(NeRFPositionalEncoding(4)(d))
    assert gx.shape == (7, 60) and gd.shape == (7, 24)  # figure 7's input widths
    np.testing.assert_allclose(gx, gamma_numpy(x, 10), atol=2e-3)  # sin(2^9 pi x) in float32
    np.testing.assert_allclose(gd, gamma_numpy(d, 4), atol=1e-5)
    with pytest.raises(ValueError, match="frequencies"):
        NeRFPositionalEncoding(0)


# --- volume rendering ----------------------------------------------------------------------------


def test_volume_rendering_matches_numpy():
    rng = np.random.default_rng(1)
    sigma = rng.uniform(0, 3, (4, 6)).astype(np.float32)
    rgb = rng.uniform(0, 1, (4, 6, 3)).astype(np.float32)
    t = np.sort(rng.uniform(2, 6, (4, 6)), -1).astype(np.float32)
    colour, weights, opacity = volume_render(sigma, rgb, t, (0.2, 0.5, 0.9))
    want_colour, want_weights = render_numpy(sigma, rgb, t, (0.2, 0.5, 0.9))
    np.testing.assert_allclose(colour, want_colour, atol=1e-5)
    np.testing.assert_allclose(weights, want_weights, atol=1e-6)
    np.testing.assert_allclose(opacity, want_weights.sum(-1), atol=1e-6)


def test_an_opaque_sample_shows_its_colour_and_empty_space_the_background():
    t = np.tile(np.linspace(2, 6, 5, dtype=np.float32), (2, 1))
    rgb = np.random.default_rng(2).uniform(0, 1, (2, 5, 3)).astype(np.float32)
    sigma = np.zeros((2, 5), np.float32)
    sigma[0, 2] = 1e4  # ray 0: one opaque sample, in front of which nothing absorbs
    colour, weights, opacity = volume_render(sigma, rgb, t, (0.3, 0.6, 0.1))
    np.testing.assert_allclose(colour[0], rgb[0, 2], atol=1e-6)
    np.testing.assert_allclose(weights[0], np.eye(5)[2], atol=1e-6)
    np.testing.assert_allclose(colour[1], (0.3, 0.6, 0.1), atol=1e-7)  # no density at all
    assert float(opacity[1]) == 0.0
    black, _, _ = volume_render(sigma, rgb, t)
    np.testing.assert_allclose(black[1], 0.0)
    # The last sample's interval is 1e10: any density there absorbs the rest of the ray.
    sigma = np.zeros((1, 5), np.float32)
    sigma[0, -1] = 1e-3
    colour, _, opacity = volume_render(sigma, rgb[:1], t[:1], (1.0, 1.0, 1.0))
    np.testing.assert_allclose(colour[0], rgb[0, -1], atol=1e-6)


# --- sampling ------------------------------------------------------------------------------------


def test_stratified_samples_lie_in_their_bins():
    near = np.array([2.0, 1.0, 0.5], np.float32)
    far = np.array([6.0, 3.0, 4.5], np.float32)
    u = np.random.default_rng(3).uniform(0, 1, (3, 16)).astype(np.float32)
    t, edges = stratified_samples(near, far, 16, u)
    t, edges = np.asarray(t), np.asarray(edges)
    width = (far - near)[:, None] / 16
    np.testing.assert_allclose(edges, near[:, None] + width * np.arange(17), atol=1e-5)
    assert np.all(t >= edges[:, :-1] - 1e-6) and np.all(t <= edges[:, 1:] + 1e-6)
    np.testing.assert_allclose(t, edges[:, :-1] + u * width, atol=1e-5)
    midpoints, _ = stratified_samples(near, far, 16)
    np.testing.assert_allclose(midpoints, (edges[:, :-1] + edges[:, 1:]) / 2, atol=1e-5)


def test_hierarchical_samples_follow_the_inverse_cdf_and_concentrate_on_high_weights():
    rng = np.random.default_rng(4)
    edges = np.tile(np.linspace(2, 6, 9, dtype=np.float32), (3, 1))
    weights = rng.uniform(0, 1, (3, 8)).astype(np.float32)
    weights[1] = 0.0
    weights[1, 5] = 1.0  # all the mass in bin 5: (4.5, 5.0)
    weights[2] = 0.0     # no mass at all: uniform
    u = rng.uniform(0, 1, (3, 50)).astype(np.float32)
    t = np.asarray(sample_pdf(edges, weights, u))
    np.testing.assert_allclose(t, inverse_cdf_numpy(edges, weights, u), atol=1e-4)
    inside = (t[1] >= 4.5) & (t[1] <= 5.0)
    assert inside.mean() > 0.99
    np.testing.assert_allclose(t[2], 2 + 4 * u[2], atol=1e-4)  # uniform on [2, 6]
    assert np.all(t >= 2) and np.all(t <= 6)


def test_sorting_merges_coarse_and_fine_samples():
    t = np.random.default_rng(5).uniform(0, 1, (4, 12)).astype(np.float32)
    np.testing.assert_array_equal(np.asarray(sort_samples(t)), np.sort(t, -1))


# --- network and model ---------------------------------------------------------------------------


def test_canonical_parameter_count_matches_the_hand_formula():
    trunk = (60 * 256 + 256) + 3 * (256 * 256 + 256) + ((256 + 60) * 256 + 256) \
        + 3 * (256 * 256 + 256)
    heads = (256 + 1) + (256 * 256 + 256) + ((256 + 24) * 128 + 128) + (128 * 3 + 3)
    want = 2 * (trunk + heads)  # coarse and fine networks
    entry = keras_zoo.models.info("nerf")
    model = entry.build("canonical")
    assert model.count_params() == want == entry.params == 1_187_848
    assert (model.num_coarse, model.num_fine) == (64, 128)
    units = {layer.name.rsplit("_", 1)[-1]: layer.units for layer in model.coarse.layers
             if isinstance(layer, keras.layers.Dense)}
    assert units == {**{f"dense{i}": 256 for i in range(1, 9)}, "sigma": 1, "feature": 256,
                     "direction": 128, "rgb": 3}
    skip = model.coarse.get_layer("nerf_coarse_dense5")
    assert skip.kernel.shape == (256 + 60, 256)  # gamma(x) joins the 5th layer's input


def test_density_does_not_depend_on_the_viewing_direction():
    keras.utils.set_random_seed(0)
    net = nerf_mlp(depth=3, width=16, skips=(2,), direction_width=8, position_frequencies=3,
                   direction_frequencies=2)
    points = tf.constant(np.random.default_rng(6).uniform(-1, 1, (5, 3)), tf.float32)
    directions = tf.constant(np.random.default_rng(7).normal(size=(5, 3)), tf.float32)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(directions)
        out = net({"points": points, "directions": directions})
    assert tape.gradient(out["sigma"], directions) is None
    assert tape.gradient(out["rgb"], directions) is not None


def _tiny():
    keras.utils.set_random_seed(0)
    return keras_zoo.models.get("nerf", preset="tiny")


def test_psnr_metric_matches_numpy():
    rng = np.random.default_rng(8)
    a, b = rng.uniform(0, 1, (2, 10, 3)), rng.uniform(0, 1, (2, 10, 3))
    metric = PSNR()
    metric.update_state(a[0], b[0])
    metric.update_state(a[1], b[1])
    want = -10 * np.log10(np.mean((a - b) ** 2))
    assert float(metric.result()) == pytest.approx(want, rel=1e-5)


def test_fit_on_rays_raises_psnr_and_render_gives_an_image(tmp_path, graph_optimizer_off):
    model = _tiny()
    task = get_task("rendering")
    entry = keras_zoo.models.info("nerf")
    task.compile(model, entry, learning_rate=5e-3)
    train = task.dataset(model, entry, "train", batch_size=256, image_size=8).take(12)
    views = RenderedViews(tmp_path / "views", scenes.load_views("test", 8), n=2)
    history = model.fit(train, epochs=2, verbose=0, callbacks=[views])
    assert [p.rsplit("/", 1)[-1] for p in views.paths] == ["views_epoch001.png",
                                                           "views_epoch002.png"]
    assert all((tmp_path / "views" / name).stat().st_size > 0
               for name in ("views_epoch001.png", "views_epoch002.png"))
    assert history.history["psnr"][-1] > history.history["psnr"][0]
    ok, message = task.learned(history)
    assert ok, message
    pose = scenes.split_poses("test")[0]
    image = model.render(pose, image_size=8)
    assert image.shape == (8, 8, 3) and np.all((image >= 0) & (image <= 1))
    np.testing.assert_array_equal(image, model.render(pose, image_size=8))  # deterministic
    # The serving function gives the same colours as uint8.
    origins, directions = scenes.camera_rays(pose, 8, scenes.focal_length(8))
    inputs = {"origins": origins.reshape(-1, 3), "directions": directions.reshape(-1, 3),
              "near": np.full(64, 2.0, np.float32), "far": np.full(64, 6.0, np.float32)}
    served = task.serving_fn(model)(**inputs)["rgb"].numpy()
    assert served.dtype == np.uint8
    np.testing.assert_allclose(served, np.round(image.reshape(-1, 3) * 255), atol=1)


def test_per_ray_bounds_are_used():
    model = _tiny()
    origins = np.array([[0.0, 0.0, 4.0]] * 2, np.float32)
    directions = np.array([[0.0, 0.0, -1.0]] * 2, np.float32)
    default = model({"origins": origins, "directions": directions})["depth"].numpy()
    bounded = model({"origins": origins, "directions": directions,
                     "near": np.array([0.5, 0.5], np.float32),
                     "far": np.array([1.0, 1.0], np.float32)})["depth"].numpy()
    opacity = model({"origins": origins, "directions": directions,
                     "near": np.array([0.5, 0.5], np.float32),
                     "far": np.array([1.0, 1.0], np.float32)})["opacity"].numpy()
    # The expected depth sum_i w_i t_i lies in [near, far] times the opacity.
    assert np.all(bounded <= 1.0 * opacity + 1e-5) and np.all(bounded >= 0.5 * opacity - 1e-5)
    assert not np.allclose(default, bounded)


def test_bad_inputs_raise():
    model = _tiny()
    with pytest.raises(ValueError, match=r"origins must have shape \(rays, 3\)"):
        model({"origins": np.zeros((2, 2), np.float32), "directions": np.ones((2, 3))})
    with pytest.raises(ValueError, match="origins.*directions"):
        model(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match="near and far"):
        keras_zoo.models.get("nerf", preset="tiny", near=3.0, far=2.0)
    with pytest.raises(ValueError, match="skips"):
        keras_zoo.models.get("nerf", preset="tiny", skips=(5,))
    with pytest.raises(ValueError, match="y, the colours"):
        task = get_task("rendering")
        task.compile(model, None)
        model.fit({"origins": np.zeros((2, 3), np.float32),
                   "directions": np.ones((2, 3), np.float32)}, epochs=1, verbose=0)


# --- slow: the paper's claim on our scene --------------------------------------------------------

#: Held-out PSNR the slow run must reach (the issue's threshold).
HELD_OUT_PSNR_DB = 20.0


@pytest.mark.slow
def test_nerf_reaches_20_db_on_held_out_views():
    keras.utils.set_random_seed(0)
    model = keras_zoo.models.get("nerf", **CPU_CONFIG)  # the recipe's networks
    task = get_task("rendering")
    entry = keras_zoo.models.info("nerf")
    train = task.dataset(model, entry, "train", batch_size=512, seed=0).repeat()
    test = task.dataset(model, entry, "test", batch_size=4096)
    task.compile(model, entry, learning_rate=1e-3)
    start = time.time()
    model.fit(train, epochs=4, steps_per_epoch=100, verbose=0)
    held_out = model.evaluate(test, return_dict=True, verbose=0)["psnr"]
    print(f"NeRF: held-out PSNR {held_out:.2f} dB after 400 steps, {time.time() - start:.0f} s")
    assert held_out >= HELD_OUT_PSNR_DB
    # The same number from rendered images (render + PSNR by hand), on two held-out views.
    views = scenes.load_views("test", 32)
    images = np.stack([model.render(pose, 32) for pose in views.poses[:2]])
    by_hand = -10 * np.log10(np.mean((images - views.images[:2]) ** 2))
    assert by_hand >= HELD_OUT_PSNR_DB - 2.0

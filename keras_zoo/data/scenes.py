"""A synthetic 3-D scene for NeRF (Mildenhall et al., "NeRF: Representing Scenes as Neural
Radiance Fields for View Synthesis", ECCV 2020): coloured spheres in front of a uniform
background, seen by pinhole cameras on the upper hemisphere looking at the origin, rendered by
analytic ray casting. Everything is a deterministic function of a seed; nothing is downloaded.

Camera convention (NeRF's, OpenGL's): a camera-to-world pose is a 4x4 matrix whose rotation
columns are the camera's right (+x), up (+y) and backward (+z) axes; the camera looks along -z.
Ray directions are unit vectors, so a ray parameter ``t`` is a distance (``near``/``far`` too).

    views = scenes.load_views("train", image_size=32)      # images, poses, focal
    origins, directions, colors = scenes.ray_arrays(views)   # one ray per pixel
    ds = scenes.ray_dataset("train", image_size=32, batch_size=1024)
"""

from __future__ import annotations

import dataclasses

import numpy as np

SPLITS = ("train", "validation", "test")
#: Distance of the cameras from the origin; every sphere lies within ``SCENE_RADIUS`` of it, so
#: ``near = CAMERA_RADIUS - 2`` and ``far = CAMERA_RADIUS + 2`` bound every visible surface.
CAMERA_RADIUS = 4.0
SCENE_RADIUS = 1.6
NEAR, FAR = 2.0, 6.0
#: Of the views on the hemisphere spiral, every 8th (offset 3) is a test view and every 8th
#: (offset 7) a validation view: held-out views lie between training views, never on them.
_HELD_OUT = {"test": 3, "validation": 7}
_PALETTE = np.array([[0.9, 0.1, 0.1], [0.1, 0.7, 0.2], [0.15, 0.3, 0.95], [0.95, 0.8, 0.1],
                     [0.7, 0.2, 0.8], [0.1, 0.8, 0.8]], np.float32)


@dataclasses.dataclass(frozen=True)
class Scene:
    """Spheres (``centers [K, 3]``, ``radii [K]``, ``colors [K, 3]`` in [0, 1]) before a uniform
    ``background`` colour, lit by a directional ``light`` (unit vector towards the light):
    a surface point of colour ``c`` and normal ``n`` shows ``c * (ambient + (1 - ambient) *
    max(0, n . light))``; ``ambient=1`` gives flat colours."""

    centers: np.ndarray
    radii: np.ndarray
    colors: np.ndarray
    background: tuple = (1.0, 1.0, 1.0)
    light: tuple = (0.0, 0.0, 1.0)
    ambient: float = 1.0


def make_scene(seed=0, num_spheres=3, ambient=0.6):
    """A scene of ``num_spheres`` spheres of distinct palette colours, placed from ``seed``.

    Args:
        seed: the placement's seed (same seed, same scene).
        num_spheres: 1 to 6.
        ambient: the ambient share of the shading (1: flat colours).
    """
    if isinstance(num_spheres, bool) or not isinstance(num_spheres, (int, np.integer)) or not (
            1 <= num_spheres <= len(_PALETTE)):
        raise ValueError(f"num_spheres must be an int in [1, {len(_PALETTE)}], "
                         f"got {num_spheres!r}.")
    if not 0.0 <= float(ambient) <= 1.0:
        raise ValueError(f"ambient must be in [0, 1], got {ambient!r}.")
    rng = np.random.default_rng(seed)
    radii = rng.uniform(0.35, 0.6, num_spheres)
    centers = []
    for r in radii:
        # Rejection sampling keeps spheres apart (no sphere hides inside another) and inside
        # SCENE_RADIUS, which bounds near/far.
        for _ in range(1000):
            c = rng.uniform(-1.0, 1.0, 3) * (SCENE_RADIUS - r) / np.sqrt(3.0)
            c[2] = abs(c[2]) * 0.5
            placed = zip(centers, radii, strict=False)  # the spheres placed so far
            if all(np.linalg.norm(c - o) > r + ro + 0.1 for o, ro in placed):
                break
        centers.append(c)
    colors = _PALETTE[rng.permutation(len(_PALETTE))[:num_spheres]]
    light = np.array([0.4, -0.3, 1.0])
    return Scene(np.asarray(centers, np.float32), radii.astype(np.float32),
                 colors.astype(np.float32), light=tuple(light / np.linalg.norm(light)),
                 ambient=float(ambient))


def look_at(position, target=(0.0, 0.0, 0.0), up=(0.0, 0.0, 1.0)):
    """The 4x4 camera-to-world pose of a camera at ``position`` looking at ``target``."""
    position = np.asarray(position, np.float64)
    forward = np.asarray(target, np.float64) - position
    norm = np.linalg.norm(forward)
    if norm == 0:
        raise ValueError("position must differ from target.")
    forward /= norm
    right = np.cross(forward, np.asarray(up, np.float64))
    if np.linalg.norm(right) < 1e-8:
        raise ValueError(f"up={up!r} must not be parallel to the viewing direction.")
    right /= np.linalg.norm(right)
    true_up = np.cross(right, forward)
    pose = np.eye(4)
    pose[:3, 0], pose[:3, 1], pose[:3, 2], pose[:3, 3] = right, true_up, -forward, position
    return pose.astype(np.float32)


def hemisphere_poses(n, radius=CAMERA_RADIUS, min_elevation=15.0, max_elevation=65.0):
    """``n`` poses ``[n, 4, 4]`` on a golden-angle spiral over the upper hemisphere (elevations
    between the bounds, in degrees), each looking at the origin."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}.")
    i = np.arange(n) + 0.5
    # Uniform in z (equal-area) between the elevation bounds; golden-angle azimuths.
    z_lo, z_hi = np.sin(np.radians([min_elevation, max_elevation]))
    z = z_lo + (z_hi - z_lo) * i / n
    azimuth = i * np.pi * (3.0 - np.sqrt(5.0))
    rho = np.sqrt(1.0 - z ** 2)
    positions = radius * np.stack([rho * np.cos(azimuth), rho * np.sin(azimuth), z], -1)
    return np.stack([look_at(p) for p in positions])


def focal_length(image_size, fov_degrees=40.0):
    """The pinhole focal length in pixels of a square image with this horizontal field of view."""
    return 0.5 * image_size / np.tan(np.radians(fov_degrees) / 2.0)


def camera_rays(pose, image_size, focal):
    """``(origins, directions)``, each ``[H, W, 3]`` float32, the rays through the pixel centres
    of a square image (directions are unit vectors in world space)."""
    pose = np.asarray(pose, np.float64)
    if pose.shape != (4, 4):
        raise ValueError(f"pose must be a 4x4 camera-to-world matrix, got shape {pose.shape}.")
    u, v = np.meshgrid(np.arange(image_size) + 0.5, np.arange(image_size) + 0.5)
    camera = np.stack([(u - image_size / 2) / focal, -(v - image_size / 2) / focal,
                       -np.ones_like(u)], -1)
    directions = camera @ pose[:3, :3].T
    directions /= np.linalg.norm(directions, axis=-1, keepdims=True)
    origins = np.broadcast_to(pose[:3, 3], directions.shape)
    return origins.astype(np.float32), directions.astype(np.float32)


def render_rays(scene, origins, directions):
    """Ray casting: the colour seen along each ray (``[..., 3]`` in [0, 1]) and the distance to
    the first hit (``inf`` for rays that hit nothing and see the background)."""
    o = np.asarray(origins, np.float64)[..., None, :]
    d = np.asarray(directions, np.float64)
    d = (d / np.linalg.norm(d, axis=-1, keepdims=True))[..., None, :]
    oc = o - scene.centers.astype(np.float64)  # [..., K, 3]
    # |o + t d - c|^2 = r^2 with |d| = 1: t^2 + 2 b t + q = 0.
    b = np.sum(d * oc, -1)
    q = np.sum(oc * oc, -1) - scene.radii.astype(np.float64) ** 2
    disc = b * b - q
    t = -b - np.sqrt(np.maximum(disc, 0.0))
    t = np.where((disc >= 0) & (t > 0), t, np.inf)
    nearest = np.argmin(t, -1)
    depth = np.take_along_axis(t, nearest[..., None], -1)[..., 0]
    hit = np.isfinite(depth)
    point = o[..., 0, :] + np.where(hit, depth, 0.0)[..., None] * d[..., 0, :]
    normal = point - scene.centers[nearest]
    normal /= np.maximum(np.linalg.norm(normal, axis=-1, keepdims=True), 1e-12)
    lambert = np.maximum(normal @ np.asarray(scene.light, np.float64), 0.0)
    shade = scene.ambient + (1.0 - scene.ambient) * lambert
    color = scene.colors[nearest] * shade[..., None]
    color = np.where(hit[..., None], color, np.asarray(scene.background, np.float64))
    return color.astype(np.float32), depth.astype(np.float32)


@dataclasses.dataclass(frozen=True)
class Views:
    """Rendered views of a scene: ``images [N, H, W, 3]`` float32 in [0, 1], camera-to-world
    ``poses [N, 4, 4]``, the ``focal`` length in pixels, and ``near``/``far`` bounds."""

    images: np.ndarray
    poses: np.ndarray
    focal: float
    near: float = NEAR
    far: float = FAR


def split_poses(split, num_views=64):
    """The poses of a split: the spiral of ``num_views`` views, every 8th held out for
    "test" and another 8th for "validation", the rest "train"."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}.")
    if isinstance(num_views, bool) or not isinstance(num_views, (int, np.integer)) or (
            num_views < 8):
        raise ValueError(f"num_views must be an int >= 8, got {num_views!r}.")
    index = np.arange(num_views) % 8
    keep = (index == _HELD_OUT[split]) if split in _HELD_OUT else ~np.isin(
        index, list(_HELD_OUT.values()))
    return hemisphere_poses(num_views)[keep]


def load_views(split="train", image_size=32, seed=0, num_views=64, scene=None):
    """The rendered views of one split of the scene of ``seed`` (or ``scene``).

    Args:
        split: "train" (48 of 64 views), "validation" (8) or "test" (8).
        image_size: the side of the square images.
        seed: the scene's seed (``make_scene``), when ``scene`` is None.
        num_views: views on the spiral (a multiple of 8 keeps the split sizes exact).
        scene: a ``Scene``, instead of ``make_scene(seed)``.
    """
    if isinstance(image_size, bool) or not isinstance(image_size, (int, np.integer)) or (
            image_size < 2):
        raise ValueError(f"image_size must be an int >= 2, got {image_size!r}.")
    scene = scene if scene is not None else make_scene(seed)
    poses = split_poses(split, num_views)
    focal = focal_length(image_size)
    images = np.stack([render_rays(scene, *camera_rays(p, image_size, focal))[0] for p in poses])
    return Views(images, poses, float(focal))


def ray_arrays(views):
    """``(origins, directions, colors)``, each ``[N * H * W, 3]`` float32: one ray per pixel of
    every view, views in order, pixels in raster order."""
    size = views.images.shape[1]
    rays = [camera_rays(p, size, views.focal) for p in views.poses]
    origins = np.concatenate([o.reshape(-1, 3) for o, _ in rays])
    directions = np.concatenate([d.reshape(-1, 3) for _, d in rays])
    return origins, directions, views.images.reshape(-1, 3).astype(np.float32)


def ray_dataset(split="train", image_size=32, batch_size=1024, seed=0, scene_seed=0,
                num_views=64):
    """A ``tf.data.Dataset`` of ``({"origins", "directions"}, colors)`` ray batches; the
    training split is shuffled across all views each epoch (NeRF's random ray batches).

    Args:
        split: "train", "validation" or "test".
        image_size: the side of the square views.
        batch_size: rays per batch.
        seed: the shuffling seed.
        scene_seed: the scene's seed.
        num_views: views on the spiral.
    """
    import tensorflow as tf

    origins, directions, colors = ray_arrays(load_views(split, image_size, scene_seed,
                                                        num_views))
    ds = tf.data.Dataset.from_tensor_slices(({"origins": origins, "directions": directions},
                                             colors))
    if split == "train":
        ds = ds.shuffle(len(colors), seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)

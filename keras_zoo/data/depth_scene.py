"""A synthetic scene for monocular depth: spheres resting on a checkered ground plane before a
wall, seen by a pinhole camera above the ground and pitched down, rendered by analytic ray
casting with the exact depth of every pixel. Each image is a deterministic function of its
seed (camera height and pitch, the spheres' places, sizes and colours).

Depth is the z-depth along the camera's optical axis (what a Kinect reports, as in NYU Depth
v2), in the scene's units (metres, say): the camera ray of pixel (u, v) is ``R [x, y, 1]``
with ``x = (u + 0.5 - W/2) / f``, so the ray parameter at a hit is its z-depth.
"""

from __future__ import annotations

import numpy as np

SPLIT_SEEDS = {"train": 300, "validation": 301, "test": 302}
SIZES = {"train": 512, "validation": 128, "test": 128}
#: The wall's distance along the ground from the camera's foot: the largest depth (with the
#: camera's pitch, depths stay below about 1.05 times it).
WALL_DISTANCE = 12.0
#: Horizontal field of view, degrees.
FIELD_OF_VIEW = 60.0


def _camera(rng):
    """The camera's position and its rotation (columns: right, up, forward in the world: x
    right, y up, z ahead), pitched down by 5-15 degrees at a height of 1.2-1.8."""
    height = rng.uniform(1.2, 1.8)
    pitch = np.radians(rng.uniform(5.0, 15.0))
    c, s = np.cos(pitch), np.sin(pitch)
    right, up, forward = np.array([1.0, 0.0, 0.0]), np.array([0.0, c, s]), np.array([0.0, -s, c])
    return np.array([0.0, height, 0.0]), np.stack([right, up, forward], axis=1)


def render(seed, image_size=(32, 32), max_objects=3):
    """``(image uint8 [H, W, 3], depth float32 [H, W])`` of the scene drawn from ``seed``."""
    h, w = image_size
    rng = np.random.default_rng(seed)
    origin, rotation = _camera(rng)
    focal = 0.5 * w / np.tan(np.radians(FIELD_OF_VIEW) / 2.0)
    v, u = np.mgrid[0:h, 0:w].astype(np.float64) + 0.5
    camera_dirs = np.stack([(u - w / 2) / focal, -(v - h / 2) / focal, np.ones_like(u)], -1)
    dirs = camera_dirs @ rotation.T  # world directions with unit z-depth per unit t
    t = np.full((h, w), np.inf)
    colour = np.zeros((h, w, 3))
    normal = np.zeros((h, w, 3))

    # The wall z = WALL_DISTANCE, facing the camera.
    wall_t = (WALL_DISTANCE - origin[2]) / np.where(dirs[..., 2] > 1e-9, dirs[..., 2], np.nan)
    hit = np.isfinite(wall_t) & (wall_t > 0) & (wall_t < t)
    t[hit] = wall_t[hit]
    colour[hit] = np.array([0.55, 0.6, 0.75]) * rng.uniform(0.8, 1.2)
    normal[hit] = [0.0, 0.0, -1.0]

    # The ground y = 0, a checkerboard of 1-unit squares.
    ground_t = -origin[1] / np.where(dirs[..., 1] < -1e-9, dirs[..., 1], np.nan)
    hit = np.isfinite(ground_t) & (ground_t > 0) & (ground_t < t)
    t[hit] = ground_t[hit]
    points = origin + ground_t[..., None] * dirs
    checker = (np.floor(points[..., 0]) + np.floor(points[..., 2])) % 2
    light, dark = np.array([0.8, 0.75, 0.6]), np.array([0.35, 0.3, 0.25])
    colour[hit] = np.where(checker[hit][:, None] > 0, light, dark)
    normal[hit] = [0.0, 1.0, 0.0]

    # Spheres resting on the ground (centre height = radius).
    for _ in range(int(rng.integers(1, max_objects + 1))):
        radius = rng.uniform(0.3, 1.0)
        depth = rng.uniform(3.0, WALL_DISTANCE - 2.0)
        half_width = depth * np.tan(np.radians(FIELD_OF_VIEW) / 2.0) * 0.8
        centre = np.array([rng.uniform(-half_width, half_width), radius, depth])
        oc = origin - centre
        a = np.sum(dirs * dirs, -1)
        b = 2.0 * np.sum(dirs * oc, -1)
        c = oc @ oc - radius ** 2
        disc = b * b - 4 * a * c
        root = np.where(disc >= 0, (-b - np.sqrt(np.maximum(disc, 0))) / (2 * a), np.inf)
        hit = (disc >= 0) & (root > 0) & (root < t)
        t[hit] = root[hit]
        rgb = rng.uniform(0.1, 1.0, 3)
        rgb[rng.integers(3)] = rng.uniform(0.0, 0.2)
        colour[hit] = rgb
        points = origin + root[..., None] * dirs
        normal[hit] = (points[hit] - centre) / radius

    sun = np.array([0.4, 0.8, -0.45])
    sun /= np.linalg.norm(sun)
    shade = 0.45 + 0.55 * np.clip(normal @ sun, 0.0, 1.0)
    image = colour * shade[..., None] + rng.normal(0.0, 0.01, (h, w, 3))
    image = np.clip(np.round(image * 255.0), 0, 255).astype(np.uint8)
    return image, t.astype(np.float32)


def load_arrays(split="train", image_size=(32, 32), n=None, seed=None, max_objects=3):
    """``(images uint8 [N, H, W, 3], depth float32 [N, H, W])`` of a split; image ``i`` is
    ``render(split_seed * 100003 + i)`` (splits disjoint by seed)."""
    if split not in SPLIT_SEEDS:
        raise ValueError(f"split must be one of {list(SPLIT_SEEDS)}, got {split!r}.")
    n = SIZES[split] if n is None else n
    base = (SPLIT_SEEDS[split] if seed is None else seed) * 100003
    pairs = [render(base + i, tuple(image_size), max_objects) for i in range(n)]
    return (np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs]))

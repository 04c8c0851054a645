"""Synthetic renders for viewpoint estimation in the manner of Render-for-CNN (Su, Qi, Li &
Guibas, "Render for CNN: Viewpoint Estimation in Images Using CNNs Trained with Rendered 3D
Model Views", ICCV 2015, section 4): 3-D objects rendered at known azimuth, elevation and
in-plane rotation and composited over random backgrounds.

The objects are rigid clusters of coloured spheres (one fixed cluster per class, asymmetric so
that every viewpoint looks different), rendered by ``keras_zoo.data.scenes``' analytic ray
caster. Everything is a deterministic function of the split and the seed; nothing is downloaded.

    images, labels, angles = viewpoints.load("train", image_size=32)
    # uint8 [N, 32, 32, 3], class ids [N], (azimuth, elevation, in-plane) degrees [N, 3]
"""

from __future__ import annotations

import functools

import numpy as np

from keras_zoo.data import scenes

SPLITS = ("train", "validation", "test")
_SPLIT_SEED = {"train": 0, "validation": 1, "test": 2}
_SIZES = {"train": 1600, "validation": 200, "test": 300}
#: Elevation and in-plane rotation ranges in degrees (azimuth covers the whole circle).
ELEVATION = (5.0, 45.0)
INPLANE = (-20.0, 20.0)
CAMERA_DISTANCE = 5.0
FOV_DEGREES = 45.0
MAX_CLASSES = 6


@functools.lru_cache(maxsize=MAX_CLASSES)
def make_object(class_id):
    """The sphere cluster of class ``class_id`` (0..5): 4 spheres of distinct colours."""
    if not 0 <= class_id < MAX_CLASSES:
        raise ValueError(f"class_id must be in [0, {MAX_CLASSES - 1}], got {class_id!r}.")
    return scenes.make_scene(seed=1000 + class_id, num_spheres=4, ambient=0.5)


def camera_pose(azimuth, elevation, inplane, distance=CAMERA_DISTANCE):
    """The 4x4 camera-to-world pose of a camera at ``azimuth`` (about +z, from +x),
    ``elevation`` (above the xy-plane) and ``inplane`` rotation (a roll about the viewing axis,
    counter-clockwise in the image), in degrees, looking at the origin."""
    a, e, r = np.radians([azimuth, elevation, inplane])
    position = distance * np.array([np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.sin(e)])
    pose = scenes.look_at(position).astype(np.float64)
    right, up = pose[:3, 0].copy(), pose[:3, 1].copy()
    # Rolling the camera by -r turns the image content by +r (counter-clockwise).
    pose[:3, 0] = np.cos(r) * right - np.sin(r) * up
    pose[:3, 1] = np.sin(r) * right + np.cos(r) * up
    return pose.astype(np.float32)


def random_background(rng, image_size):
    """A random background: a colour gradient in a random direction plus pixel noise."""
    c0, c1 = rng.uniform(0, 1, size=(2, 3))
    theta = rng.uniform(0, 2 * np.pi)
    u, v = np.meshgrid(np.linspace(-1, 1, image_size), np.linspace(-1, 1, image_size))
    t = np.clip(0.5 + 0.5 * (np.cos(theta) * u + np.sin(theta) * v), 0, 1)[..., None]
    image = (1 - t) * c0 + t * c1 + rng.normal(0, 0.08, size=(image_size, image_size, 3))
    return np.clip(image, 0, 1)


def render(class_id, azimuth, elevation, inplane, image_size=32, background=None):
    """One render ``[H, W, 3]`` float in [0, 1] of class ``class_id``'s object at the given
    angles (degrees) over ``background`` (``[H, W, 3]``; None: white)."""
    pose = camera_pose(azimuth, elevation, inplane)
    origins, directions = scenes.camera_rays(pose, image_size,
                                             scenes.focal_length(image_size, FOV_DEGREES))
    color, depth = scenes.render_rays(make_object(class_id), origins, directions)
    if background is None:
        return color
    return np.where(np.isfinite(depth)[..., None], color, background).astype(np.float32)


@functools.lru_cache(maxsize=16)
def _load(split, image_size, n, num_classes, seed):
    rng = np.random.default_rng([seed, _SPLIT_SEED[split]])
    labels = rng.integers(0, num_classes, size=n)
    angles = np.stack([rng.uniform(0, 360, n), rng.uniform(*ELEVATION, n),
                       rng.uniform(*INPLANE, n)], -1)
    images = np.stack([
        render(int(k), *angle, image_size=image_size,
               background=random_background(rng, image_size))
        for k, angle in zip(labels, angles, strict=True)])
    return (np.round(images * 255).astype(np.uint8), labels.astype(np.int32),
            angles.astype(np.float32))


def load(split="train", image_size=32, n=None, num_classes=3, seed=0):
    """``(uint8 images [N, H, W, 3], class ids [N], angles [N, 3])`` of a split, the angles
    (azimuth in [0, 360), elevation, in-plane rotation) in degrees.

    Args:
        split: "train", "validation" or "test" (independent draws).
        image_size: the side of the square renders.
        n: the number of renders (default 1600 / 200 / 300).
        num_classes: how many object classes (1..6).
        seed: the seed of the draws (with the split).
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}.")
    if not 1 <= num_classes <= MAX_CLASSES:
        raise ValueError(f"num_classes must be in [1, {MAX_CLASSES}], got {num_classes!r}.")
    images, labels, angles = _load(split, int(image_size), int(n or _SIZES[split]),
                                   int(num_classes), int(seed))
    return images.copy(), labels.copy(), angles.copy()

"""The synthetic NeRF scene: cameras look at the origin, the ray caster sees spheres and the
background where it should, and everything is a deterministic function of the seed."""

import numpy as np
import pytest

from keras_zoo.data import scenes


def test_poses_look_at_the_origin_from_the_upper_hemisphere():
    poses = scenes.hemisphere_poses(16)
    for pose in poses:
        rotation, position = pose[:3, :3], pose[:3, 3]
        np.testing.assert_allclose(rotation.T @ rotation, np.eye(3), atol=1e-6)
        assert np.linalg.det(rotation) == pytest.approx(1.0, abs=1e-6)
        forward = -rotation[:, 2]  # the camera looks along its -z axis
        np.testing.assert_allclose(forward, -position / np.linalg.norm(position), atol=1e-6)
        assert np.linalg.norm(position) == pytest.approx(scenes.CAMERA_RADIUS, rel=1e-6)
        assert position[2] > 0
        # The central pixel's ray passes through the origin.
    size = 9
    origins, directions = scenes.camera_rays(poses[3], size, scenes.focal_length(size))
    o, d = origins[size // 2, size // 2], directions[size // 2, size // 2]
    np.testing.assert_allclose(np.cross(d, -o), 0.0, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(directions, axis=-1), 1.0, atol=1e-6)


def test_a_ray_at_a_sphere_centre_sees_its_colour_and_a_missing_ray_the_background():
    scene = scenes.Scene(centers=np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0]], np.float32),
                         radii=np.array([0.5, 0.3], np.float32),
                         colors=np.array([[0.9, 0.1, 0.1], [0.1, 0.2, 0.9]], np.float32),
                         background=(0.2, 0.3, 0.4), ambient=1.0)
    origins = np.array([[0.0, 0.0, 4.0], [1.0, 0.0, 4.0], [-1.0, -1.0, 4.0], [4.0, 0.0, 0.0]],
                       np.float32)
    targets = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [-1.0, -1.0, 0.0], [0.0, 0.0, 0.0]])
    directions = targets - origins
    seen, depth = scenes.render_rays(scene, origins, directions)
    np.testing.assert_allclose(seen[0], scene.colors[0], atol=1e-6)
    np.testing.assert_allclose(seen[1], scene.colors[1], atol=1e-6)
    np.testing.assert_allclose(seen[2], scene.background, atol=1e-6)  # misses both
    np.testing.assert_allclose(seen[3], scene.colors[1], atol=1e-6)   # the near sphere hides
    np.testing.assert_allclose(depth[:2], [3.5, 3.7], atol=1e-5)
    assert np.isinf(depth[2])
    np.testing.assert_allclose(depth[3], 4.0 - 1.0 - 0.3, atol=1e-5)


def test_lambertian_shading_peaks_where_the_normal_faces_the_light():
    scene = scenes.make_scene(0, num_spheres=1, ambient=0.5)
    center, color = scene.centers[0], scene.colors[0]
    light = np.asarray(scene.light)
    origin = center + 5.0 * light  # on the light's side, looking back at the centre
    seen, _ = scenes.render_rays(scene, origin[None], -light[None])
    np.testing.assert_allclose(seen[0], color, atol=1e-5)  # ambient + (1 - ambient) * 1
    # A point whose normal is perpendicular to the light gets the ambient share only.
    side = np.cross(light, [1.0, 0.0, 0.0])
    side /= np.linalg.norm(side)
    seen, _ = scenes.render_rays(scene, (center + 5.0 * side)[None], -side[None])
    np.testing.assert_allclose(seen[0], 0.5 * color, atol=1e-5)


def test_views_are_deterministic_and_the_splits_are_disjoint():
    a = scenes.load_views("test", 16, seed=1)
    b = scenes.load_views("test", 16, seed=1)
    np.testing.assert_array_equal(a.images, b.images)
    assert not np.array_equal(a.images, scenes.load_views("test", 16, seed=2).images)
    train = scenes.split_poses("train")
    test = scenes.split_poses("test")
    validation = scenes.split_poses("validation")
    assert (len(train), len(validation), len(test)) == (48, 8, 8)
    positions = [p[:, :3, 3] for p in (train, validation, test)]
    for i in range(3):
        for j in range(i + 1, 3):
            gaps = np.linalg.norm(positions[i][:, None] - positions[j][None], axis=-1)
            assert gaps.min() > 0.1
    # Every view shows some sphere and some background.
    hit = a.images.min(-1) < 0.999
    assert np.all(hit.mean((1, 2)) > 0.02) and np.all(hit.mean((1, 2)) < 0.9)


def test_rays_of_a_view_reproduce_its_image():
    views = scenes.load_views("validation", 8)
    origins, directions, colors = scenes.ray_arrays(views)
    assert origins.shape == directions.shape == colors.shape == (8 * 64, 3)
    np.testing.assert_array_equal(scenes.render_rays(scenes.make_scene(0), origins,
                                                     directions)[0], colors)


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="split"):
        scenes.load_views("val")
    with pytest.raises(ValueError, match="num_spheres"):
        scenes.make_scene(num_spheres=0)
    with pytest.raises(ValueError, match="pose"):
        scenes.camera_rays(np.eye(3), 8, 10.0)
    with pytest.raises(ValueError, match="image_size"):
        scenes.load_views("train", image_size=1)

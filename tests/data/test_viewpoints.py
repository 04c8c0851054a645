"""The Render-for-CNN renders: deterministic, angles as documented (an in-plane rotation turns
the image, azimuth is periodic), objects over random backgrounds."""

import numpy as np
import pytest

from keras_zoo.data import viewpoints


def test_in_plane_rotation_turns_the_image():
    upright = viewpoints.render(1, 40.0, 20.0, 0.0, image_size=24)
    turned = viewpoints.render(1, 40.0, 20.0, 90.0, image_size=24)
    # +90 degrees in-plane: the content turns counter-clockwise (np.rot90).
    np.testing.assert_allclose(turned, np.rot90(upright, 1), atol=1e-4)
    assert not np.allclose(turned, upright, atol=1e-2)


def test_azimuth_is_periodic_and_changes_the_view():
    a = viewpoints.render(0, 30.0, 25.0, 5.0, image_size=16)
    np.testing.assert_allclose(viewpoints.render(0, 390.0, 25.0, 5.0, image_size=16), a,
                               atol=1e-4)
    assert np.abs(viewpoints.render(0, 60.0, 25.0, 5.0, image_size=16) - a).max() > 0.1


def test_load_is_deterministic_with_random_backgrounds():
    images, labels, angles = viewpoints.load("validation", image_size=16, n=12)
    again = viewpoints.load("validation", image_size=16, n=12)
    np.testing.assert_array_equal(images, again[0])
    assert images.shape == (12, 16, 16, 3) and images.dtype == np.uint8
    assert set(labels) <= {0, 1, 2}
    assert np.all((angles[:, 0] >= 0) & (angles[:, 0] < 360))
    assert np.all((angles[:, 1] >= 5) & (angles[:, 1] <= 45))
    assert np.all((angles[:, 2] >= -20) & (angles[:, 2] <= 20))
    corners = images[:, 0, 0].astype(float)
    assert corners.std(axis=0).min() > 10  # the backgrounds differ from render to render
    test = viewpoints.load("test", image_size=16, n=12)[2]
    assert not np.allclose(test, angles)
    with pytest.raises(ValueError, match="split"):
        viewpoints.load("dev")
    with pytest.raises(ValueError, match="num_classes"):
        viewpoints.load("train", num_classes=7)

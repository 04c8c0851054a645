"""``verify`` compares what a model serves: its float outputs, or, for a model that serves only
integers (a GAN's or autoencoder's uint8 pixels), those, within the task's own tolerance. It
used to raise "max() arg is an empty sequence" on every generator (the deployment table's 19
export failures). Pure numpy here; the real exports are in the deployment table's slow test."""

import numpy as np
import pytest

from keras_zoo.export import bundle
from keras_zoo.tasks import get_task


def test_uint8_only_outputs_are_compared_within_the_task_tolerance():
    keras_out = {"images": np.array([[0, 10, 255]], np.uint8)}
    served = {"images": np.array([[1, 10, 254]], np.uint8)}
    assert bundle._max_diff(keras_out, served) == 1.0  # no uint8 wrap-around
    # One grey level: float rounding at a .5 boundary (GenerativeTask.parity_tolerance).
    assert bundle._tolerance(get_task("generative"), keras_out, 1e-4) == 1.0


def test_float_outputs_are_compared_and_integer_ones_beside_them_are_not():
    keras_out = {"probs": np.array([[0.5, 0.5]], np.float32), "classes": np.array([0])}
    served = {"probs": np.array([[0.5, 0.50001]], np.float32), "classes": np.array([1])}
    assert bundle._max_diff(keras_out, served) == pytest.approx(1e-5, rel=1e-2)
    assert bundle._tolerance(get_task("classification"), keras_out, 1e-4) == 1e-4


def test_no_numeric_output_is_a_clear_error():
    with pytest.raises(ValueError, match="no numeric outputs to compare"):
        bundle._max_diff({"caption": np.array([b"a"])}, {"caption": np.array([b"a"])})

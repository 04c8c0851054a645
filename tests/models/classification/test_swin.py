"""Swin: paper sizes and parameter counts, the W-MSA / SW-MSA schedule, clear errors for windows
that do not divide a stage, and resolution change by construction."""

import gc
import os

import keras
import numpy as np
import pytest

import keras_zoo
from keras_zoo.layers import WindowAttention
from keras_zoo.layers.window_attention import shifted_window_mask
from tests.deferred import assert_deferred, deferred_weights


@pytest.mark.parametrize("name,paper_millions", [
    ("swin_t", 28.29), pytest.param("swin_s", 49.61, marks=pytest.mark.slow),
    pytest.param("swin_b", 87.77, marks=pytest.mark.slow)])
def test_parameter_counts_and_schedule(name, paper_millions):
    # Built in a StatelessScope that defers the weights' initialization (tests/deferred.py):
    # the same layers and variable shapes, no random draws; the counts are checked after.
    with deferred_weights():
        model = keras_zoo.models.get(name, preset="canonical")
        assert_deferred(model.weights)
    count = model.count_params()
    assert count == keras_zoo.models.info(name).params
    assert abs(count / 1e6 - paper_millions) <= 0.005 + 1e-9, count  # Table 1, 0.01M rounding
    attention = [layer for layer in model.layers if isinstance(layer, WindowAttention)]
    depths = {"swin_t": (2, 2, 6, 2), "swin_s": (2, 2, 18, 2), "swin_b": (2, 2, 18, 2)}[name]
    assert len(attention) == sum(depths)
    # Stages 1-3 (56, 28, 14 at 224) alternate W-MSA and SW-MSA with M=7, shift 3; stage 4's
    # 7x7 map is a single window, which is not shifted.
    shifts = [layer.shift_size for layer in attention]
    expected = [0, 3] * (sum(depths[:3]) // 2) + [0, 0]
    assert shifts == expected
    assert {layer.window_size for layer in attention} == {7}
    sizes = [layer.height for layer in attention]
    assert sizes[0] == 56 and sizes[-1] == 7
    del model
    keras.backend.clear_session()
    gc.collect()


def test_window_must_divide_each_stage():
    with pytest.raises(ValueError, match=r"window size 4 does not divide stage 1's feature map "
                                         r"10x10"):
        keras_zoo.models.get("swin_t", preset="tiny", input_shape=(40, 40, 1))
    with pytest.raises(ValueError, match=r"height 30 is not divisible by the patch size 4"):
        keras_zoo.models.get("swin_t", preset="tiny", input_shape=(30, 32, 1))
    with pytest.raises(ValueError, match=r"height 10 is not divisible by the window size 4"):
        WindowAttention(2, 4)(keras.Input((10, 8, 8)))


def test_shifted_window_mask_counts():
    # 8x8 map, windows of 4, shift 2: the top-left window is whole; the right column's windows
    # hold two regions of 2 columns; the bottom-right window four 2x2 regions.
    mask = shifted_window_mask(8, 8, 4, 2)
    assert mask.shape == (4, 16, 16)
    allowed = (mask == 0).sum(axis=(1, 2))
    assert list(allowed) == [256, 128, 128, 64]


def test_weights_load_at_another_image_size(tmp_path):
    # Two blocks in both stages (the tiny config has one in the second since 2026-12-04).
    small = keras_zoo.models.get("swin_t", preset="tiny", depths=(2, 2))
    path = os.fspath(tmp_path / "swin.weights.h5")
    small.save_weights(path)
    # 64x64: stage maps 16x16 and 8x8, both shifted windows of 4; same tables, new masks.
    large = keras_zoo.models.get("swin_t", preset="tiny", depths=(2, 2), input_shape=(64, 64, 1),
                                 weights=path)
    assert len(small.weights) == len(large.weights)
    for a, b in zip(small.weights, large.weights, strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=a.path)
    shifts = [layer.shift_size for layer in large.layers if isinstance(layer, WindowAttention)]
    assert shifts == [0, 2, 0, 2]
    out = np.asarray(large(np.random.default_rng(0).uniform(size=(2, 64, 64, 1))))
    assert out.shape == (2, 10) and np.all(np.isfinite(out))

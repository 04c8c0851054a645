"""PixelRNN (Row LSTM and Diagonal BiLSTM): causality in raster (and colour) order, NLL in bits/dim against NumPy,
the canonical size against a hand count, training and autoregressive sampling."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_zoo
from tests.deferred import assert_deferred, deferred_weights

NAMES = ("pixelrnn", "pixelrnn_diagonal")


def _tiny(name="pixelrnn", **overrides):
    # These tests read 8x8 images (the tiny configs are 3x3 since 2026-12-05).
    keras.utils.set_random_seed(0)
    return keras_zoo.models.get(name, preset="tiny", **{"image_shape": (8, 8, 1), **overrides})


def _gradient_fn(network):
    """(x, i, j, k) -> |d (random projection of the logits at pixel (i, j), channel k, or all
    channels if k < 0) / d x| [H, W, C]: one traced function for all pixels."""
    levels_shape = network.outputs[0].shape[-2:]
    weights = tf.constant(np.random.default_rng(0).normal(size=levels_shape), tf.float32)

    @tf.function
    def grad(x, i, j, k):
        with tf.GradientTape() as tape:
            tape.watch(x)
            logits = network(x)[0, i, j] * weights  # [C, levels]
            channels = tf.range(levels_shape[0])
            keep = tf.cast((channels == k) | (k < 0), tf.float32)[:, None]
            value = tf.reduce_sum(logits * keep)
        return tf.abs(tape.gradient(value, x)[0])

    # Tensors, not Python ints: one trace serves every pixel.
    return lambda x, i, j, k=-1: grad(tf.constant(x), tf.constant(i), tf.constant(j),
                                      tf.constant(k)).numpy()


def _dependence(model, seed=0):
    """``[64, 8, 8]``: whether the logits at (i, j) move when pixel k (raster order) does, from
    one forward pass over 65 images: the original and 64 copies each with one pixel changed."""
    x = np.random.default_rng(seed).uniform(0, 1, (1, 8, 8, 1)).astype(np.float32)
    batch = np.repeat(x, 65, axis=0)
    for k in range(64):
        batch[k + 1, k // 8, k % 8, 0] = 1.0 - batch[k + 1, k // 8, k % 8, 0]
    out = np.asarray(model(batch))
    return np.abs(out[1:] - out[:1]).max(axis=(-1, -2)) > 0


@pytest.mark.parametrize("name", NAMES)
def test_every_pixel_depends_only_on_the_pixels_before_it_in_raster_order(name):
    dependence = _dependence(_tiny(name))
    order = np.arange(64).reshape(8, 8)
    later_or_same = np.arange(64)[:, None, None] >= order[None]
    assert not np.any(dependence & later_or_same)
    for i in range(8):
        for j in range(8):
            if order[i, j] > 0:
                assert dependence[:order[i, j], i, j].any(), (i, j)
    assert dependence[order[2, 2], 2, 3]  # the pixel just before


def test_row_lstm_sees_the_triangle_above_its_pixel():
    # One Row LSTM layer (k = 3) after the 7x7 mask-A features: pixel (3, 1) sees row r < 3
    # up to column 1 + 3 (the features' reach) + (2 - r) (one column more per row of state-to-
    # state steps): a triangle widening upwards, not the whole context.
    reach = _dependence(_tiny())[:, 3, 1].reshape(8, 8)
    columns = np.arange(8)
    for r in range(3):
        np.testing.assert_array_equal(reach[r], columns <= 1 + 3 + (2 - r), err_msg=str(r))


@pytest.mark.parametrize("lstm", ["row", "diagonal"])
def test_colour_channels_are_conditioned_r_then_g_then_b(lstm):
    keras.utils.set_random_seed(0)
    # Wide enough that no colour group's ReLUs are all dead at the pixel checked.
    model = keras_zoo.models.get("pixelrnn", image_shape=(4, 4, 3), units=12, num_layers=1,
                                 output_filters=48, levels=4, lstm=lstm)
    x = np.random.default_rng(2).uniform(0, 1, (1, 4, 4, 3)).astype(np.float32)
    gradient = _gradient_fn(model.network)
    for k in range(3):
        grad = gradient(x, 2, 1, k)
        assert np.all(grad[2, 1, k:] == 0), k           # not itself, not later colours
        if k > 0:
            assert grad[2, 1, :k].max() > 0, k          # earlier colours of the same pixel
        assert np.all(grad[2, 2:] == 0) and np.all(grad[3] == 0)


def test_bits_per_dim_matches_numpy():
    model = _tiny()
    rng = np.random.default_rng(3)
    images = (rng.integers(0, 17, (3, 8, 8, 1)) / 16).astype(np.float32)
    logits = np.asarray(model(images), np.float64)
    log_p = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    targets = np.round(images * 16).astype(int)
    nll = -np.take_along_axis(log_p, targets[..., None], -1)[..., 0]
    want = nll.reshape(3, -1).mean(-1) / math.log(2)
    np.testing.assert_allclose(model.bits_per_dim(images), want, rtol=1e-5)


def test_canonical_parameter_count_matches_the_hand_formula():
    h = 128
    conv_a = 7 * 7 * 1 * 2 * h + 2 * h
    layer = (3 * 2 * h * 4 * h + 4 * h) + 3 * h * 4 * h + (h * 2 * h + 2 * h)
    head = (2 * h * 1024 + 1024) + (1024 * 1024 + 1024) + (1024 * 256 + 256)
    want = conv_a + 12 * layer + head
    entry = keras_zoo.models.info("pixelrnn")
    with deferred_weights():  # counts and configs only (tests/deferred.py)
        model = entry.build("canonical")
        assert_deferred(model.weights)
    assert model.count_params() == want == entry.params
    lstms = [layer for layer in model.network.layers
             if isinstance(layer, keras_zoo.layers.RowLSTM)]
    assert len(lstms) == 12 and all(layer.units == 128 for layer in lstms)


def test_diagonal_canonical_parameter_count_matches_the_hand_formula():
    h = 128
    # Per direction: input-to-state 1x1 (2h -> 4h, bias), state-to-state 2x1 (h -> 4h).
    direction = (2 * h * 4 * h + 4 * h) + 2 * h * 4 * h
    layer = 2 * direction + (h * 2 * h + 2 * h)
    conv_a = 7 * 7 * 1 * 2 * h + 2 * h
    head = (2 * h * 1024 + 1024) + (1024 * 1024 + 1024) + (1024 * 256 + 256)
    entry = keras_zoo.models.info("pixelrnn_diagonal")
    with deferred_weights():  # counted only (tests/deferred.py)
        model = entry.build("canonical")
        assert_deferred(model.weights)
    assert model.count_params() == conv_a + 12 * layer + head == entry.params


def test_diagonal_bilstm_reaches_far_right_pixels_above_in_one_layer():
    # Unlike the Row LSTM's triangle, one Diagonal BiLSTM layer reaches every pixel two or more
    # rows above, however far to the right. (The last pixels of the row just above enter the
    # LSTM only through the 7x7 mask-A features of the current row, so one layer misses those
    # more than 3 columns to the right; deeper stacks see them.)
    diagonal = _dependence(_tiny("pixelrnn_diagonal"))[:, 3, 1].reshape(8, 8)
    row = _dependence(_tiny())[:, 3, 1].reshape(8, 8)
    assert np.all(diagonal[:2])
    assert diagonal[2, :7].all()
    assert not row[0, 7] and not row[1, 7]  # outside the Row LSTM's triangle


def test_fit_lowers_bits_per_dim_and_sampling_is_autoregressive():
    # The Row LSTM model; the Diagonal BiLSTM's fit is checked by the conformance battery.
    model = _tiny()
    images, _ = keras_zoo.data.load_arrays("digits", "train", (8, 8), 1)
    x = images[:192].astype(np.float32) / 255.0
    model.compile(optimizer=keras.optimizers.Adam(3e-3))
    before = float(model.bits_per_dim(x).mean())
    history = model.fit(x, batch_size=32, epochs=2, verbose=0)
    after = float(model.bits_per_dim(x).mean())
    assert after < before - 0.5, (before, after)
    assert history.history["bits_per_dim"][-1] == pytest.approx(
        history.history["loss"][-1] / math.log(2), rel=1e-5)
    samples = model.sample(3, seed=3)
    assert samples.shape == (3, 8, 8, 1)
    assert samples.min() >= 0.0 and samples.max() <= 1.0
    levels = samples * (model.levels - 1)
    np.testing.assert_allclose(levels, np.round(levels), atol=1e-5)
    np.testing.assert_array_equal(samples, model.sample(3, seed=3))
    assert not np.array_equal(samples[0], samples[1])


def test_bad_arguments_raise():
    model = _tiny()
    with pytest.raises(ValueError, match=r"images must have shape \(batch, 8, 8, 1\)"):
        model.bits_per_dim(np.zeros((1, 8, 9, 1), np.float32))
    with pytest.raises(ValueError, match="units"):
        _tiny(units=0)
    with pytest.raises(ValueError, match="divisible by 3"):
        keras_zoo.models.get("pixelrnn", image_shape=(4, 4, 3), units=4, num_layers=1,
                             output_filters=6, levels=4)
    with pytest.raises(ValueError, match="kernel_size must be odd"):
        keras_zoo.layers.RowLSTM(4, kernel_size=2)
    with pytest.raises(ValueError, match="lstm must be one of"):
        _tiny(lstm="column")

"""The notes' normalisation worked example (``002``) against Keras' own layers.

``002`` gives a batch of N = 3 inputs a, b, c, each with 4 channels of 2 coefficients, and says
that BN, LN, IN and GN differ only in the set S_i over which mean and variance are taken. Its
example sets are not consistent with each other (an erratum of the lecture notes): "S_i = a_1 U b_2 U c_3" for BN mixes
channels, and IN's "S_i = c_2" repeats LN's example. We take the statistics from the
definitions instead (Ioffe & Szegedy 2015; Ba et al. 2016; Ulyanov et al. 2016; Wu & He 2018):

- BN: one set per channel, over the batch and the coefficients (6 numbers);
- LN: one set per sample, over all its channels and coefficients (8 numbers);
- IN: one set per sample and channel (2 numbers);
- GN: one set per sample and group of channels (here 2 groups of 2 channels: 4 numbers).

Keras has these layers; we do not write our own: BatchNormalization, LayerNormalization over
both non-batch axes, GroupNormalization(groups=-1) for IN and GroupNormalization(groups=k) for GN.
"""

import keras
import numpy as np
import pytest

EPS = 1e-5

# [sample, coefficient, channel]: the notes write each sample as four channels [x, y]. The
# first listing has a "?" in a's channel 2, the second listing gives 7.
NOTES_BATCH = np.array([
    [[2, 3], [5, 7], [21, 13], [17, 19]],   # a
    [[0, 1], [1, 2], [3, 5], [8, 13]],      # b
    [[1, 2], [3, 4], [5, 6], [7, 8]],       # c
], dtype=np.float32).transpose(0, 2, 1)


def normalize_over(x, sets):
    """``(x_i - mu_S) / sqrt(sigma_S^2 + eps)`` for each set S (a boolean mask of x)."""
    out = np.full(x.shape, np.nan, dtype=np.float64)
    for s in sets:
        values = x[s].astype(np.float64)
        out[s] = (values - values.mean()) / np.sqrt(values.var() + EPS)
    assert not np.isnan(out).any(), "the sets must cover every coefficient"
    return out


def sets(x, by_sample, channel_groups):
    """Boolean masks: per sample (or across the batch) and per group of channels."""
    n, _, c = x.shape
    samples = [[i] for i in range(n)] if by_sample else [list(range(n))]
    masks = []
    for sample in samples:
        for group in channel_groups:
            mask = np.zeros(x.shape, dtype=bool)
            mask[np.ix_(sample, range(x.shape[1]), group)] = True
            masks.append(mask)
    return masks


BN_SETS = sets(NOTES_BATCH, by_sample=False, channel_groups=[[0], [1], [2], [3]])
LN_SETS = sets(NOTES_BATCH, by_sample=True, channel_groups=[[0, 1, 2, 3]])
IN_SETS = sets(NOTES_BATCH, by_sample=True, channel_groups=[[0], [1], [2], [3]])
GN_SETS = sets(NOTES_BATCH, by_sample=True, channel_groups=[[0, 1], [2, 3]])


def test_notes_batch_shape_and_hand_statistics():
    assert NOTES_BATCH.shape == (3, 2, 4)
    # Worked by hand. BN, channel 1: {2, 3, 0, 1, 1, 2}: mean 9/6, variance 5.5/6.
    channel1 = NOTES_BATCH[:, :, 0]
    assert channel1.mean() == pytest.approx(1.5)
    assert channel1.var() == pytest.approx(5.5 / 6)
    # LN, sample a: {2, 3, 5, 7, 21, 13, 17, 19}: mean 87/8.
    assert NOTES_BATCH[0].mean() == pytest.approx(87 / 8)
    # IN: any two distinct numbers normalise to -1, +1 (up to epsilon): a's channel 3 {21, 13}.
    in_a3 = normalize_over(NOTES_BATCH, IN_SETS)[0, :, 2]
    np.testing.assert_allclose(in_a3, [1.0, -1.0], atol=1e-5)
    # GN, sample b, channels 3-4: {3, 5, 8, 13}: mean 29/4.
    assert NOTES_BATCH[1, :, 2:].mean() == pytest.approx(29 / 4)


def test_batch_normalization():
    layer = keras.layers.BatchNormalization(epsilon=EPS)
    out = layer(NOTES_BATCH, training=True)
    np.testing.assert_allclose(np.asarray(out), normalize_over(NOTES_BATCH, BN_SETS), atol=1e-4)


def test_layer_normalization():
    layer = keras.layers.LayerNormalization(axis=(1, 2), epsilon=EPS)
    out = layer(NOTES_BATCH)
    np.testing.assert_allclose(np.asarray(out), normalize_over(NOTES_BATCH, LN_SETS), atol=1e-4)


def test_layer_normalization_is_group_normalization_with_one_group():
    # The notes (001): "Layer normalization is equal to GN with group = 1".
    out = keras.layers.GroupNormalization(groups=1, epsilon=EPS)(NOTES_BATCH)
    np.testing.assert_allclose(np.asarray(out), normalize_over(NOTES_BATCH, LN_SETS), atol=1e-4)


def test_instance_normalization():
    out = keras.layers.GroupNormalization(groups=-1, epsilon=EPS)(NOTES_BATCH)
    np.testing.assert_allclose(np.asarray(out), normalize_over(NOTES_BATCH, IN_SETS), atol=1e-4)


def test_group_normalization_two_groups():
    out = keras.layers.GroupNormalization(groups=2, epsilon=EPS)(NOTES_BATCH)
    np.testing.assert_allclose(np.asarray(out), normalize_over(NOTES_BATCH, GN_SETS), atol=1e-4)


def test_the_four_normalisations_differ_on_this_batch():
    results = [normalize_over(NOTES_BATCH, s) for s in (BN_SETS, LN_SETS, IN_SETS, GN_SETS)]
    for i in range(4):
        for j in range(i + 1, 4):
            assert np.abs(results[i] - results[j]).max() > 0.1

"""The paired bootstrap interval the slow comparisons print and assert on."""

import numpy as np

from tests.paired import bootstrap_interval


def test_interval_brackets_the_mean_and_repeats():
    difference = np.r_[np.ones(30), np.zeros(70)]
    low, high = bootstrap_interval(difference)
    assert low < 0.3 < high and high - low < 0.25
    assert bootstrap_interval(difference) == (low, high)
    assert bootstrap_interval(np.full(10, 0.5)) == (0.5, 0.5)

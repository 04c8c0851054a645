"""The interleaved rounds and their statistics, on fake timings (nothing is timed here)."""

import itertools
import math

import pytest

from keras_zoo.benchmarks import rounds


def test_every_timer_runs_in_every_round_in_a_rotating_order():
    ran = []
    speeds = rounds.run([lambda: 1.0, lambda: 2.0, lambda: 3.0], rounds=4, log=ran.append)
    assert ran == [0, 1, 2, 1, 2, 0, 2, 0, 1, 0, 1, 2]
    assert speeds == [[1.0] * 4, [2.0] * 4, [3.0] * 4]


def test_adaptive_rounds_stop_at_the_minimum_when_the_ratios_are_steady():
    speeds = rounds.run([lambda: 10.0, lambda: 10.0, lambda: 10.0], pairs=((0, 1), (2, 1)))
    assert len(speeds[0]) == rounds.MIN_ROUNDS


def test_adaptive_rounds_go_on_while_the_interval_is_wider_than_5_percent():
    noisy = itertools.cycle([8.0, 12.0])  # ratios alternate 0.8 and 1.2: never resolved
    speeds = rounds.run([lambda: next(noisy), lambda: 10.0])
    assert len(speeds[0]) == rounds.MAX_ROUNDS


def test_adaptive_rounds_stop_once_noise_settles():
    # 9 noisy rounds, then the same speed: the median's interval narrows once enough rounds
    # are steady, well before the maximum.
    values = iter([8.0, 12.0] * 4 + [10.0] * 100)
    speeds = rounds.run([lambda: next(values), lambda: 10.0])
    assert rounds.MIN_ROUNDS < len(speeds[0]) < rounds.MAX_ROUNDS
    assert rounds.Summary.of(rounds.ratios(*speeds)).resolves()


def test_ratios_are_taken_within_a_round():
    # The machine slows down 2x between rounds; within each round ours is 10 % faster.
    ours, theirs = [11.0, 5.5, 2.75], [10.0, 5.0, 2.5]
    assert rounds.ratios(ours, theirs) == pytest.approx([1.1, 1.1, 1.1])
    with pytest.raises(ValueError):
        rounds.ratios([1.0], [1.0, 2.0])


def test_median_interval_is_the_order_statistic_one():
    # n = 7: only the range reaches 95 % (1 - 2/128 = 0.984; the next, 0.875).
    low, high, achieved = rounds.median_interval([5, 1, 4, 2, 7, 3, 6])
    assert (low, high) == (1, 7) and achieved == pytest.approx(1 - 2 / 2 ** 7)
    # n = 9: x(2)..x(8), coverage 1 - 2 * (1 + 9) / 512.
    low, high, achieved = rounds.median_interval(range(1, 10))
    assert (low, high) == (2, 8) and achieved == pytest.approx(1 - 20 / 512)
    # n = 21: k = 6 (1 - 2 * P(B < 6) = 0.973; k = 7 gives 0.922).
    low, high, achieved = rounds.median_interval(range(21))
    below = sum(math.comb(21, i) for i in range(6)) / 2 ** 21
    assert (low, high) == (5, 15) and achieved == pytest.approx(1 - 2 * below)
    # Too few values for 95 %: the range, with the confidence it has.
    low, high, achieved = rounds.median_interval([3.0, 1.0, 2.0])
    assert (low, high) == (1.0, 3.0) and achieved == pytest.approx(0.75)
    with pytest.raises(ValueError, match="no values"):
        rounds.median_interval([])


def test_summary_reports_median_interval_and_range():
    summary = rounds.Summary.of([1.00, 0.99, 1.01, 1.02, 0.98, 1.00, 0.90])
    assert summary.median == 1.00
    assert (summary.minimum, summary.maximum) == (0.90, 1.02)
    assert (summary.low, summary.high) == (0.90, 1.02)  # n = 7: the interval is the range
    assert not summary.resolves()  # 0.12 wide: more than 5 % of 1.0
    assert summary.text() == "1.000 [0.900-1.020] range 0.900-1.020"
    tight = rounds.Summary.of([1.00, 0.99, 1.01, 1.02, 0.98, 1.00, 1.00, 0.99, 1.01])
    assert tight.resolves() and not tight.resolves(tolerance=0.01)
    assert not rounds.Summary.of([1.0, 1.0, 1.0]).resolves()  # 75 %: too few rounds


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_bad_rounds_are_refused(bad):
    with pytest.raises(ValueError, match="rounds must be a positive int or None"):
        rounds.run([lambda: 1.0], rounds=bad)

"""Interleaved rounds and their statistics, shared by every ``keras-zoo benchmark``.

On a shared 2-core machine the load drifts by more than the differences worth measuring, so:

- every timed thing (ours, theirs, and the control: a second copy of theirs) runs in **every
  round**, the order rotating from round to round (``order``), so that each sees the same load
  and none always runs right after the same neighbour;
- a ratio is taken **within a round** (ours / theirs of the same round: the drift between rounds
  cancels), and reported over the rounds by its median, a distribution-free confidence interval
  of that median (``median_interval``) and its range, never only the best round;
- by default rounds are added until every ratio's interval is within ``TOLERANCE`` / 2 of its
  median (so that a 5 % difference moves the interval off 1.0), between ``MIN_ROUNDS`` and
  ``MAX_ROUNDS`` (``run``); the control's ratio is the noise floor that interval must be read
  against (two identical models ought to get 1.0).
"""

from __future__ import annotations

import dataclasses
import math
import statistics

#: The difference the default number of rounds is meant to resolve (±5 %).
TOLERANCE = 0.05
#: Default rounds: at least, and at most (adaptive between the two).
MIN_ROUNDS = 7
MAX_ROUNDS = 21
CONFIDENCE = 0.95


def order(count, round_index):
    """The order in which ``count`` timed things run in round ``round_index``: rotated by one
    each round (round 0: 0, 1, 2; round 1: 1, 2, 0; ...)."""
    return [(round_index + k) % count for k in range(count)]


def median_interval(values, confidence=CONFIDENCE):
    """``(low, high, achieved)``: the order-statistic confidence interval of the median of
    ``values`` (no assumption on their distribution). With n values sorted, ``(x[k-1],
    x[n-k])`` covers the median with probability ``1 - 2 P(Binomial(n, 1/2) < k)``; ``k`` is the
    largest that keeps it >= ``confidence``. Too few values for ``confidence`` give the range
    and the (lower) confidence it achieves."""
    xs = sorted(values)
    n = len(xs)
    if n == 0:
        raise ValueError("median_interval: no values.")

    def coverage(k):  # P(x[k-1] <= median <= x[n-k])
        return 1 - 2 * sum(math.comb(n, i) for i in range(k)) / 2 ** n

    k = 1
    while k + 1 <= (n + 1) // 2 and coverage(k + 1) >= confidence:
        k += 1
    return xs[k - 1], xs[n - k], coverage(k)


@dataclasses.dataclass(frozen=True)
class Summary:
    """Per-round values summarised: median, confidence interval of the median, range."""

    values: tuple
    median: float
    low: float
    high: float
    confidence: float
    minimum: float
    maximum: float

    @classmethod
    def of(cls, values, confidence=CONFIDENCE):
        values = tuple(float(v) for v in values)
        low, high, achieved = median_interval(values, confidence)
        return cls(values, statistics.median(values), low, high, achieved, min(values),
                   max(values))

    def resolves(self, tolerance=TOLERANCE):
        """Whether the interval lies within ``tolerance`` / 2 of the median on both sides (a
        difference of ``tolerance`` would then leave it), at the confidence asked for."""
        return (self.confidence >= CONFIDENCE - 1e-12
                and self.high - self.low <= tolerance * self.median)

    def text(self):
        return (f"{self.median:.3f} [{self.low:.3f}-{self.high:.3f}] "
                f"range {self.minimum:.3f}-{self.maximum:.3f}")


def ratios(numerator, denominator):
    """Per-round ratios of two equally long lists of per-round speeds."""
    return [a / b for a, b in zip(numerator, denominator, strict=True)]


def run(timers, rounds=None, pairs=((0, 1),), log=None):
    """Runs ``timers`` (callables returning a speed, higher is faster) in interleaved rounds;
    returns their per-round speeds, a list per timer.

    Args:
        timers: the timed things, each called once per round.
        rounds: a fixed number of rounds, or None: at least ``MIN_ROUNDS``, then one more
            round at a time until the ratio of every pair in ``pairs`` resolves ``TOLERANCE``
            (``Summary.resolves``), at most ``MAX_ROUNDS``.
        pairs: ``(numerator, denominator)`` indices of the ratios the adaptive stop watches.
        log: if given, called with the index of each timer as it runs (tests check the order).
    """
    if rounds is not None and (not isinstance(rounds, int) or isinstance(rounds, bool)
                               or rounds < 1):
        raise ValueError(f"rounds must be a positive int or None, got {rounds!r}.")
    speeds = [[] for _ in timers]
    r = 0
    while True:
        for i in order(len(timers), r):
            if log is not None:
                log(i)
            speeds[i].append(float(timers[i]()))
        r += 1
        if rounds is not None:
            if r == rounds:
                return speeds
        elif r >= MAX_ROUNDS or (r >= MIN_ROUNDS and all(
                Summary.of(ratios(speeds[a], speeds[b])).resolves() for a, b in pairs)):
            return speeds


def rounds_text(rounds):
    return (f"{rounds} rounds" if rounds is not None else
            f"{MIN_ROUNDS}-{MAX_ROUNDS} rounds, until ±{TOLERANCE:.0%} is resolved")


def verdict(*summaries, tolerance=TOLERANCE):
    """One word for a line: whether every summary resolves ``tolerance``."""
    return (f"resolves ±{tolerance:.0%}" if all(s.resolves(tolerance) for s in summaries)
            else f"does NOT resolve ±{tolerance:.0%} (more --rounds or a quieter machine)")

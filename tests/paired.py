"""A paired bootstrap interval, for slow tests that compare two trainings on the same examples."""

import numpy as np


def bootstrap_interval(difference, rounds=2000, seed=0) -> tuple[float, float]:
    """The 95 % percentile-bootstrap interval of the mean of ``difference`` (per-example
    differences of two models scored on the same held-out examples: pairing removes the
    examples' own difficulty from the spread). Seeded, so a rerun prints the same interval.

    Args:
        difference: per-example differences (e.g. correct_a - correct_b as floats).
        rounds: bootstrap resamples.
        seed: seed of the resampling.
    """
    difference = np.asarray(difference, np.float64)
    rng = np.random.default_rng(seed)
    boot = [difference[rng.integers(0, len(difference), len(difference))].mean()
            for _ in range(rounds)]
    low, high = np.percentile(boot, [2.5, 97.5])
    return float(low), float(high)


"""Seed noise and the rule every decision uses: a difference smaller than the noise margin is
not a choice.

Seed noise is the standard deviation of one training's accuracy (or reward) across training
seeds, pooled over candidates trained more than once. Two single-seed results differ by noise
alone with standard deviation √2·σ; a result is *within noise* of the best when it is less than
``NOISE_MULTIPLE`` (2) such standard deviations below it, i.e. within 2·√2·σ (about 95 % of
pure-noise gaps are smaller). Without repeated candidates there is no estimate, the margin is 0
and only exact ties are ties.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence

NOISE_MULTIPLE = 2.0


def pooled_seed_std(groups: Iterable[Sequence[float]]) -> float | None:
    """The pooled within-group standard deviation of the groups with two or more values
    (weighted by degrees of freedom); None when no group has two."""
    squares, freedom = 0.0, 0
    for values in groups:
        if len(values) >= 2:
            mean = statistics.fmean(values)
            squares += sum((value - mean) ** 2 for value in values)
            freedom += len(values) - 1
    return math.sqrt(squares / freedom) if freedom else None


def noise_margin(seed_std: float | None) -> float:
    """How far below the best a result may be and still be within noise (0 if unknown)."""
    return 0.0 if seed_std is None else NOISE_MULTIPLE * math.sqrt(2) * seed_std


def within_noise(value: float, best: float, seed_std: float | None) -> bool:
    """Whether ``value`` is within noise of ``best`` (see the module docstring)."""
    return best - value <= noise_margin(seed_std) + 1e-12

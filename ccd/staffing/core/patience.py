"""Callers' patience from the queue's own abandon data (pure).

Patience is modelled as exponential (Erlang A's assumption). Every caller who waited gives
an observation: an abandoned caller's wait is their patience; an answered caller's wait is
a lower bound (censored: they would have waited longer). The maximum-likelihood estimate of
the mean patience under right censoring is

    patience = (total seconds waited by all callers) / (number of callers who abandoned)

with an approximate 95 % interval from the abandons count (relative error ≈ 1.96/√k).
Below ``MIN_ABANDONS`` abandons the figure is too noisy to plan with and is refused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MIN_ABANDONS = 30  # relative standard error 1/√30 ≈ 18 %


@dataclass(frozen=True, slots=True)
class PatienceEstimate:
    patience_s: float
    abandons: int
    callers: int
    waited_s: float
    low_s: float  # approximate 95 % interval
    high_s: float


class NotEnoughAbandons(ValueError):
    pass


def estimate_patience(
    waited_s: float, abandons: int, callers: int, min_abandons: int = MIN_ABANDONS
) -> PatienceEstimate:
    """The censored MLE from the total wait of ``callers`` callers and their ``abandons``."""
    if waited_s < 0 or abandons < 0 or callers < abandons:
        raise ValueError("waited seconds and abandons must be >= 0, abandons <= callers")
    if abandons < min_abandons:
        raise NotEnoughAbandons(
            f"only {abandons} abandoned calls in the history; at least {min_abandons} are "
            "needed to estimate patience (give it by hand, or use Erlang C)"
        )
    if waited_s <= 0:
        raise ValueError("abandoned calls with no waiting time: the wait data is missing")
    mean = waited_s / abandons
    spread = 1.96 / math.sqrt(abandons)
    return PatienceEstimate(
        mean, abandons, callers, waited_s, mean / (1 + spread), mean / max(1e-9, 1 - spread)
    )

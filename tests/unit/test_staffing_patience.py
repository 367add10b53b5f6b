"""Patience estimation: the censored exponential MLE recovers a known mean."""

from __future__ import annotations

import random

import pytest

from ccd.staffing.core.patience import NotEnoughAbandons, estimate_patience


def test_recovers_the_mean_patience_of_simulated_callers() -> None:
    rng = random.Random(7)
    true_patience = 90.0
    waited, abandons, callers = 0.0, 0, 20_000
    for _ in range(callers):
        patience = rng.expovariate(1 / true_patience)
        offered_wait = rng.expovariate(1 / 60.0)  # time until an agent would answer
        waited += min(patience, offered_wait)
        abandons += patience < offered_wait
    est = estimate_patience(waited, abandons, callers)
    assert est.patience_s == pytest.approx(true_patience, rel=0.05)
    assert est.low_s < true_patience < est.high_s


def test_too_few_abandons_is_refused_with_the_reason() -> None:
    with pytest.raises(NotEnoughAbandons, match="at least 30"):
        estimate_patience(1000.0, 29, 500)
    assert estimate_patience(3000.0, 30, 500).patience_s == 100.0


def test_inconsistent_counts_are_refused() -> None:
    with pytest.raises(ValueError):
        estimate_patience(100.0, 10, 5)

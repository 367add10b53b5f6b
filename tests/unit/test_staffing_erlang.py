"""Erlang B / C against published worked examples and against exact rational arithmetic.

Every published figure below was also recomputed here with exact fractions (the textbook
A^N/N! formula, ``_exact_c``) before being written down, so a typo in a source cannot
silently become the expected value.
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from ccd.staffing.core.erlang import (
    Target,
    agents_for_target,
    asa,
    erlang_b,
    erlang_c,
    evaluate,
    occupancy,
    scheduled,
    service_level,
    traffic_erlangs,
)

SL_TOL = 0.001  # acceptance: service level to 0.1 %


def _exact_c(n: int, a: Fraction) -> Fraction:
    """Erlang C straight from the textbook definition, in exact arithmetic."""
    top = a**n / math.factorial(n) * Fraction(n) / (n - a)
    return top / (sum(a**k / math.factorial(k) for k in range(n)) + top)


# -- Example 1 -------------------------------------------------------------------------
# Call Centre Helper, "Erlang C Formula – Made Simple With an Easy Worked Example"
# (https://www.callcentrehelper.com/erlang-c-formula-example-121281.htm): 100 calls in
# 30 minutes, AHT 180 s, target 80 % answered in 20 s, max occupancy 85 %, shrinkage 30 %;
# traffic A = 10 Erlangs and the walk-through starts at N = A + 1 = 11 agents. Its figures
# (Pw = 68.21 % at 11 agents, SL = 1 - 0.6821·e^(-20/180) = 39 %, 14 agents needed,
# 14 / (1 - 0.3) = 20 to schedule) were recomputed exactly here: at 11 agents Pw = 0.682118,
# SL = 0.389614, ASA = 122.78 s, occupancy 90.9 %; 13 agents give 79.56 %, 14 give 88.84 %.


def test_callcentrehelper_traffic_and_first_step() -> None:
    a = traffic_erlangs(100, 30 * 60, 180)
    assert a == pytest.approx(10.0)
    assert erlang_c(11, a) == pytest.approx(0.6821, abs=5e-5)
    assert float(_exact_c(11, Fraction(10))) == pytest.approx(0.6821, abs=5e-5)
    assert service_level(11, a, 180, 20) == pytest.approx(0.390, abs=SL_TOL)
    assert asa(11, a, 180) == pytest.approx(122.8, abs=0.05)
    assert occupancy(11, a) == pytest.approx(0.909, abs=5e-4)


def test_callcentrehelper_agents_needed() -> None:
    target = Target(service_level=0.8, answer_within_s=20, max_occupancy=0.85, shrinkage=0.3)
    r = agents_for_target(10.0, 180, target)
    assert r.agents == 14
    assert r.service_level == pytest.approx(0.888, abs=SL_TOL)
    assert r.scheduled == 20
    assert r.occupancy == pytest.approx(0.714, abs=5e-4)
    # one agent fewer misses the target, which is what makes 14 the answer
    assert service_level(13, 10.0, 180, 20) == pytest.approx(0.796, abs=SL_TOL)


# -- Example 2 -------------------------------------------------------------------------
# Mitan Ltd, "The Erlang-C Formula" (http://www.mitan.co.uk/erlang/elgcmath.htm):
# 360 calls per half hour (λ = 0.2 /s), call duration 4 min (240 s), 55 agents, target
# answer time 15 s. Published: A = 48 E, occupancy 87.3 %, Ec = 0.2387, ASA = 8.184 s,
# service level 84.59 %. (Reproduced independently with Maxima in "Expressing well-known
# formulas for service waiting time", which reports the same three figures.)


def test_mitan_example() -> None:
    a = traffic_erlangs(360, 30 * 60, 240)
    assert a == pytest.approx(48.0)
    r = evaluate(55, a, 240, 15)
    assert r.occupancy == pytest.approx(0.873, abs=5e-4)
    assert r.p_wait == pytest.approx(0.2387, abs=5e-5)
    assert float(_exact_c(55, Fraction(48))) == pytest.approx(0.2387, abs=5e-5)
    assert r.asa_s == pytest.approx(8.184, abs=5e-4)
    assert r.service_level == pytest.approx(0.8459, abs=SL_TOL)
    # and 55 is exactly the staffing an "80 % in 15 s" target asks for
    assert agents_for_target(a, 240, Target(0.8, 15)).agents == 55
    assert service_level(54, a, 240, 15) < 0.8


# -- Example 3 -------------------------------------------------------------------------
# Abstract Microsystems, "Erlang Library for Excel – Function Reference: ErlcWait4"
# (http://abstractmicro.com/erlang/helppages/ref-erlcwait4.htm): average wait with
# 20 agents, a 1800 s period, 100 calls per period:
#   AHT 240 s (A = 13.33 E) -> 2.243505841 s;  AHT 300 s (A = 16.67 E) -> 30.4312286 s.
# Exact arithmetic gives 2.2435058... and 30.4312291...: the second published figure is off
# in its 8th digit (their float arithmetic), hence a relative tolerance of 1e-7.


@pytest.mark.parametrize(("aht", "published_asa"), [(240, 2.243505841), (300, 30.4312286)])
def test_abstractmicro_erlcwait4(aht: int, published_asa: float) -> None:
    a = traffic_erlangs(100, 1800, aht)
    assert asa(20, a, aht) == pytest.approx(published_asa, rel=1e-7)
    fa = Fraction(100 * aht, 1800)
    exact = _exact_c(20, fa) * aht / (20 - fa)
    assert asa(20, a, aht) == pytest.approx(float(exact), rel=1e-12)


# -- Erlang B recursion vs. the closed form ---------------------------------------------


@pytest.mark.parametrize(("n", "a"), [(1, 0.5), (10, 10.0), (20, 13.5), (30, 45.0)])
def test_erlang_b_matches_closed_form(n: int, a: float) -> None:
    fa = Fraction(a)
    exact = fa**n / math.factorial(n) / sum(fa**k / math.factorial(k) for k in range(n + 1))
    assert erlang_b(n, a) == pytest.approx(float(exact), rel=1e-12)


def test_erlang_b_classic_table_value() -> None:
    # 10 circuits offered 10 Erlangs block 21.46 % of calls (standard Erlang B tables).
    assert erlang_b(10, 10.0) == pytest.approx(0.2146, abs=5e-5)


# -- edges and targets ---------------------------------------------------------------


def test_unstable_and_empty_queues() -> None:
    assert erlang_c(10, 10.0) == 1.0
    assert service_level(9, 10.0, 180, 20) == 0.0
    assert math.isinf(asa(10, 10.0, 180))
    assert erlang_c(3, 0.0) == 0.0
    r = agents_for_target(0.0, 180, Target())
    assert (r.agents, r.scheduled, r.service_level, r.asa_s) == (0, 0, 1.0, 0.0)


def test_small_traffic_still_needs_one_agent() -> None:
    r = agents_for_target(0.01, 120, Target(0.8, 20))
    assert r.agents == 1


def test_asa_and_occupancy_targets() -> None:
    # A = 10 E, AHT 180 s: ASA is 17.1 s with 13 agents and 7.8 s with 14.
    only_asa = Target(service_level=None, max_asa_s=10.0)
    assert agents_for_target(10.0, 180, only_asa).agents == 14
    # occupancy <= 85 % alone needs ceil(10 / 0.85) = 12 agents
    only_occ = Target(service_level=None, max_occupancy=0.85)
    assert agents_for_target(10.0, 180, only_occ).agents == 12
    # a stricter combined target takes the largest requirement
    both = Target(service_level=0.8, answer_within_s=20, max_asa_s=5.0)
    assert agents_for_target(10.0, 180, both).agents == 15


def test_answer_within_zero_is_probability_of_no_wait() -> None:
    assert service_level(12, 10.0, 180, 0) == pytest.approx(1 - erlang_c(12, 10.0))


def test_scheduled_with_shrinkage() -> None:
    assert scheduled(14, 0.3) == 20
    assert scheduled(14, 0.0) == 14
    assert scheduled(0, 0.3) == 0
    assert scheduled(10, 0.35) == 16  # 15.38 -> 16
    with pytest.raises(ValueError):
        scheduled(10, 1.0)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"service_level": 1.0},
        {"service_level": 0.0},
        {"answer_within_s": -1},
        {"max_asa_s": 0},
        {"max_occupancy": 1.5},
        {"shrinkage": 1.0},
    ],
)
def test_target_validation(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Target(**kwargs)  # type: ignore[arg-type]


def test_bad_inputs() -> None:
    with pytest.raises(ValueError):
        erlang_b(-1, 1.0)
    with pytest.raises(ValueError):
        erlang_b(1, math.nan)
    with pytest.raises(ValueError):
        agents_for_target(5.0, 0.0, Target())
    with pytest.raises(ValueError):
        traffic_erlangs(10, 0, 100)

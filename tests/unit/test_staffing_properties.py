"""Property tests for the Erlang maths: monotonicity, bounds, and no overflow at scale."""

from __future__ import annotations

import math
import time
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from ccd.staffing.core.erlang import (
    Target,
    agents_for_target,
    asa,
    erlang_b,
    erlang_c,
    evaluate,
    service_level,
)

traffic = st.floats(min_value=0.0, max_value=800.0, allow_nan=False)
aht = st.floats(min_value=1.0, max_value=3600.0)
within = st.floats(min_value=0.0, max_value=600.0)
targets = st.builds(
    Target,
    service_level=st.floats(min_value=0.05, max_value=0.99),
    answer_within_s=within,
    max_asa_s=st.one_of(st.none(), st.floats(min_value=1.0, max_value=600.0)),
    max_occupancy=st.one_of(st.none(), st.floats(min_value=0.3, max_value=1.0)),
    shrinkage=st.floats(min_value=0.0, max_value=0.6),
)


@given(n=st.integers(min_value=0, max_value=1200), a=traffic, h=aht, t=within)
def test_adding_an_agent_never_lowers_service_level(n: int, a: float, h: float, t: float) -> None:
    assert service_level(n + 1, a, h, t) >= service_level(n, a, h, t)


@given(n=st.integers(min_value=1, max_value=1200), a=traffic, h=aht)
def test_adding_an_agent_never_raises_wait(n: int, a: float, h: float) -> None:
    assert erlang_c(n + 1, a) <= erlang_c(n, a)
    assert asa(n + 1, a, h) <= asa(n, a, h)


@given(a=traffic, extra=st.floats(min_value=0.0, max_value=200.0), h=aht, target=targets)
def test_more_traffic_never_needs_fewer_agents(
    a: float, extra: float, h: float, target: Target
) -> None:
    low = agents_for_target(a, h, target)
    high = agents_for_target(a + extra, h, target)
    assert high.agents >= low.agents
    assert high.scheduled >= low.scheduled


@given(a=traffic, h=aht, target=targets)
def test_the_answer_meets_the_target_and_is_the_smallest(a: float, h: float, target: Target) -> None:
    r = agents_for_target(a, h, target)
    assert target.service_level is not None
    if a == 0:
        assert r.agents == 0
        return
    assert r.agents > a
    assert r.service_level >= target.service_level - 1e-12
    if target.max_asa_s is not None:
        assert r.asa_s <= target.max_asa_s + 1e-12
    if target.max_occupancy is not None:
        assert r.occupancy <= target.max_occupancy + 1e-12
    if r.agents - 1 > a:
        fewer = evaluate(r.agents - 1, a, h, target.answer_within_s)
        missed = (
            fewer.service_level < target.service_level - 1e-12
            or (target.max_asa_s is not None and fewer.asa_s > target.max_asa_s + 1e-12)
            or (target.max_occupancy is not None and fewer.occupancy > target.max_occupancy + 1e-12)
        )
        assert missed


@given(n=st.integers(min_value=0, max_value=3000), a=traffic, h=aht, t=within)
def test_results_are_probabilities(n: int, a: float, h: float, t: float) -> None:
    r = evaluate(n, a, h, t)
    assert 0.0 <= erlang_b(n, a) <= 1.0
    assert 0.0 <= r.p_wait <= 1.0
    assert 0.0 <= r.service_level <= 1.0
    assert 0.0 <= r.occupancy <= 1.0
    assert r.asa_s >= 0.0


@settings(max_examples=50)
@given(n=st.integers(min_value=1, max_value=40), num=st.integers(min_value=0, max_value=4000))
def test_erlang_c_matches_exact_arithmetic(n: int, num: int) -> None:
    a = Fraction(num, 100)  # 0 .. 40 Erlangs
    if a >= n or a == 0:
        return
    top = a**n / math.factorial(n) * Fraction(n) / (n - a)
    exact = top / (sum(a**k / math.factorial(k) for k in range(n)) + top)
    assert math.isclose(erlang_c(n, float(a)), float(exact), rel_tol=1e-10, abs_tol=1e-300)


def test_300_erlangs_without_overflow() -> None:
    # 300 E would need 300^320 / 320! in the textbook form: far past float range.
    t0 = time.perf_counter()
    r = agents_for_target(300.0, 180.0, Target(0.8, 20, shrinkage=0.3))
    ms = (time.perf_counter() - t0) * 1000
    print(f"\n300 Erlangs: {r.agents} agents, SL {r.service_level:.4f}, {ms:.2f} ms")
    assert 300 < r.agents < 330
    assert all(math.isfinite(x) for x in (r.p_wait, r.service_level, r.asa_s, r.occupancy))
    assert r.service_level >= 0.8
    assert service_level(r.agents - 1, 300.0, 180.0, 20) < 0.8
    assert 0.0 < erlang_c(301, 300.0) < 1.0


def test_thousands_of_erlangs() -> None:
    r = agents_for_target(5000.0, 300.0, Target(0.9, 10))
    assert 5000 < r.agents < 5200
    assert math.isfinite(r.asa_s)

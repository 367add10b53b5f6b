"""Erlang A against an independent model: the raw Markov chain, solved with numpy.

The module under test uses the closed forms (incomplete-gamma series) and uniformisation;
here the same queue is a truncated birth-death chain (stationary law from detailed balance)
plus the tagged caller's absorbing chain, solved with a matrix exponential (scaling and
squaring) and the fundamental matrix. Both must agree to 3 decimals.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccd.staffing.core.erlang import Target, agents_for_target
from ccd.staffing.core.erlang_a import agents_for_target_a, evaluate_a


def _expm(m: np.ndarray) -> np.ndarray:
    norm = float(np.abs(m).sum(axis=1).max())
    squarings = max(0, math.ceil(math.log2(norm)) + 4) if norm > 0 else 0
    a = m / (2 ** squarings)
    out, term = np.eye(len(m)), np.eye(len(m))
    for k in range(1, 30):
        term = term @ a / k
        out = out + term
    for _ in range(squarings):
        out = out @ out
    return out


def reference(n: int, traffic: float, aht: float, t: float, patience: float) -> dict[str, float]:
    mu, theta = 1 / aht, 1 / patience
    lam = traffic * mu
    weights = [1.0]
    while len(weights) <= n or weights[-1] > 1e-16 * sum(weights):
        k = len(weights)
        death = min(k, n) * mu + max(0, k - n) * theta
        weights.append(weights[-1] * lam / death)
    size = len(weights)
    pi = np.array(weights) / sum(weights)
    p_wait = float(pi[n:].sum())
    queue = float(sum((k - n) * pi[k] for k in range(n, size)))
    p_ab = theta * queue / lam
    # tagged caller: transient states = position in queue 1..M, absorbing answered/abandoned
    m_states = size - n
    q = np.zeros((m_states, m_states))
    to_answer = np.zeros(m_states)
    for pos in range(1, m_states + 1):
        i = pos - 1
        forward = n * mu + (pos - 1) * theta
        q[i, i] = -(forward + theta)
        if pos == 1:
            to_answer[i] = forward
        else:
            q[i, i - 1] = forward
    alpha = pi[n:]
    gen = np.zeros((m_states + 1, m_states + 1))
    gen[:m_states, :m_states] = q
    gen[:m_states, m_states] = to_answer
    p_t = _expm(gen * t)
    answered_by_t = float(alpha @ p_t[:m_states, m_states])
    sl = float(pi[:n].sum()) + answered_by_t
    inv = np.linalg.inv(-q)
    answered_wait = float(alpha @ inv @ inv @ to_answer)
    asa = answered_wait / (1 - p_ab)
    return {"p_wait": p_wait, "abandon_rate": p_ab, "service_level": sl, "asa_s": asa,
            "mean_wait_s": queue / lam}


CASES = [
    (12, 10.0, 180.0, 20.0, 120.0),
    (14, 10.0, 180.0, 20.0, 60.0),
    (8, 10.0, 180.0, 20.0, 300.0),  # overloaded: stable only because callers leave
    (3, 2.0, 360.0, 30.0, 90.0),
    (50, 45.0, 240.0, 15.0, 200.0),
    (1, 0.5, 120.0, 10.0, 30.0),
]


@pytest.mark.parametrize(("n", "a", "aht", "t", "patience"), CASES)
def test_matches_the_markov_chain(n: int, a: float, aht: float, t: float, patience: float) -> None:
    ref = reference(n, a, aht, t, patience)
    got = evaluate_a(n, a, aht, t, patience)
    for key, value in ref.items():
        assert getattr(got, key) == pytest.approx(value, abs=5e-4), key


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 40),
    load=st.floats(0.05, 1.3),
    aht=st.floats(30.0, 600.0),
    t=st.floats(0.0, 60.0),
    patience=st.floats(10.0, 900.0),
)
def test_random_cases_match(n: int, load: float, aht: float, t: float, patience: float) -> None:
    a = n * load  # up to 30 % overload, so the reference chain stays small
    ref = reference(n, a, aht, t, patience)
    got = evaluate_a(n, a, aht, t, patience)
    for key in ("p_wait", "abandon_rate", "service_level"):
        assert getattr(got, key) == pytest.approx(ref[key], abs=5e-4), key
    for key in ("asa_s", "mean_wait_s"):  # seconds, to 3 decimals too
        assert getattr(got, key) == pytest.approx(ref[key], abs=5e-4), key


def test_published_worked_example() -> None:
    """pyworkforce's Erlang A guide (https://pyworkforce.rodrigo-arenas.com/stable/guide/erlanga):
    100 calls in 30 min, AHT 3 min, patience 5 min, 80 % within 20 s, occupancy <= 85 %,
    abandonment <= 5 %, shrinkage 30 % -> 13 positions (19 with shrinkage), service level
    0.858, occupancy 0.750, abandonment 0.025, waiting probability 0.226 and "average speed
    of answer" 0.125 min (there: the mean wait of all callers, answered or not)."""
    target = Target(0.8, 20, max_occupancy=0.85, shrinkage=0.3)
    r = agents_for_target_a(10.0, 180.0, 300.0, target, max_abandon=0.05)
    assert (r.agents, r.scheduled) == (13, 19)
    published = {"service_level": 0.858, "occupancy": 0.750, "abandon_rate": 0.025, "p_wait": 0.226}
    assert {k: round(getattr(r, k), 3) for k in published} == published
    assert round(r.mean_wait_s / 60, 3) == 0.125
    ref = reference(13, 10.0, 180.0, 20.0, 300.0)  # and the Markov chain agrees
    assert round(ref["mean_wait_s"] / 60, 3) == 0.125 and round(ref["service_level"], 3) == 0.858


def test_very_patient_callers_give_erlang_c() -> None:
    c = agents_for_target(10.0, 180.0, Target(0.8, 20))
    a = evaluate_a(c.agents, 10.0, 180.0, 20.0, patience_s=1e9)
    assert a.p_wait == pytest.approx(c.p_wait, abs=1e-4)
    assert a.service_level == pytest.approx(c.service_level, abs=1e-4)
    assert a.asa_s == pytest.approx(c.asa_s, abs=1e-2)
    assert a.abandon_rate < 1e-6


def test_erlang_a_needs_no_more_agents_than_erlang_c() -> None:
    for traffic in (0.5, 3.0, 10.0, 40.0, 120.0):
        c = agents_for_target(traffic, 200.0, Target(0.8, 20))
        a = agents_for_target_a(traffic, 200.0, 90.0, Target(0.8, 20))
        assert a.agents <= c.agents
        assert a.service_level >= 0.8
        assert evaluate_a(a.agents - 1, traffic, 200.0, 20.0, 90.0).service_level < 0.8


def test_abandon_ceiling_and_zero_traffic() -> None:
    loose = agents_for_target_a(10.0, 180.0, 60.0, Target(0.5, 20))
    strict = agents_for_target_a(10.0, 180.0, 60.0, Target(0.5, 20), max_abandon=0.01)
    assert strict.agents > loose.agents and strict.abandon_rate <= 0.01
    zero = agents_for_target_a(0.0, 180.0, 60.0, Target())
    assert (zero.agents, zero.abandon_rate, zero.service_level) == (0, 0.0, 1.0)


def test_bad_patience_is_refused() -> None:
    with pytest.raises(ValueError, match="patience"):
        evaluate_a(3, 2.0, 180.0, 20.0, 0.0)

"""Erlang B / Erlang C maths for staffing (M/M/N queue, no abandonment).

Pure functions, no I/O. Everything is built on the iterative Erlang B recursion

    B(0) = 1,   B(k) = A·B(k-1) / (k + A·B(k-1))

which never forms A^N or N!, so hundreds (or thousands) of Erlangs stay finite and
accurate; Erlang C then follows as C = N·B / (N - A·(1 - B)).

Conventions: ``traffic`` is the offered load in Erlangs (calls per second × AHT in
seconds), ``agents`` the number of productive agents, times are in seconds.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

# Float slack for threshold comparisons, so e.g. SL = 0.8 - 1e-16 still meets 0.8.
_EPS = 1e-12
# Hard stop for the agent search; no sane target needs this many agents above the load.
_MAX_EXTRA_AGENTS = 100_000


def traffic_erlangs(calls: float, period_s: float, aht_s: float) -> float:
    """Offered load of ``calls`` arriving per ``period_s`` seconds, each taking ``aht_s``."""
    if calls < 0 or aht_s < 0 or period_s <= 0:
        raise ValueError("calls and aht must be >= 0 and the period > 0")
    return calls * aht_s / period_s


def _check(agents: int, traffic: float) -> None:
    if agents < 0:
        raise ValueError(f"agents must be >= 0, got {agents}")
    if not math.isfinite(traffic) or traffic < 0:
        raise ValueError(f"traffic must be a finite number >= 0, got {traffic}")


def _b_next(b_prev: float, k: int, traffic: float) -> float:
    ab = traffic * b_prev
    return ab / (k + ab)


def erlang_b(agents: int, traffic: float) -> float:
    """Blocking probability with ``agents`` servers and no queue (Erlang B)."""
    _check(agents, traffic)
    b = 1.0
    for k in range(1, agents + 1):
        b = _b_next(b, k, traffic)
    return b


def _c_from_b(agents: int, traffic: float, b: float) -> float:
    if agents <= traffic:
        return 1.0  # unstable: the queue grows without bound, everyone waits
    return agents * b / (agents - traffic * (1.0 - b))


def erlang_c(agents: int, traffic: float) -> float:
    """Probability that a call has to wait (Erlang C); 1.0 when agents <= traffic."""
    if traffic == 0:
        return 0.0
    return _c_from_b(agents, traffic, erlang_b(agents, traffic))


def _sl_from_c(p_wait: float, agents: int, traffic: float, aht_s: float, t_s: float) -> float:
    if traffic == 0:
        return 1.0
    if agents <= traffic:
        return 0.0
    return 1.0 - p_wait * math.exp(-(agents - traffic) * t_s / aht_s)


def _asa_from_c(p_wait: float, agents: int, traffic: float, aht_s: float) -> float:
    if traffic == 0:
        return 0.0
    if agents <= traffic:
        return math.inf
    return p_wait * aht_s / (agents - traffic)


def service_level(agents: int, traffic: float, aht_s: float, answer_within_s: float) -> float:
    """Share of calls answered within ``answer_within_s``: 1 - C·e^(-(N-A)·t/AHT)."""
    _check(agents, traffic)
    return _sl_from_c(erlang_c(agents, traffic), agents, traffic, aht_s, answer_within_s)


def asa(agents: int, traffic: float, aht_s: float) -> float:
    """Average speed of answer in seconds (inf when the queue is unstable)."""
    return _asa_from_c(erlang_c(agents, traffic), agents, traffic, aht_s)


def occupancy(agents: int, traffic: float) -> float:
    """Share of time productive agents are busy; capped at 1 (overload)."""
    _check(agents, traffic)
    if agents == 0:
        return 1.0 if traffic > 0 else 0.0
    return min(1.0, traffic / agents)


def scheduled(agents: int, shrinkage: float) -> int:
    """Agents to put on the schedule so ``agents`` remain after shrinkage (breaks, absence)."""
    if not 0.0 <= shrinkage < 1.0:
        raise ValueError(f"shrinkage must be in [0, 1), got {shrinkage}")
    # The slack keeps 14 / (1 - 0.3) at 20 even if the division lands a hair above.
    return max(agents, math.ceil(agents / (1.0 - shrinkage) - 1e-9))


@dataclass(frozen=True, slots=True)
class Target:
    """What "enough agents" means; every given criterion must hold."""

    service_level: float | None = 0.8
    answer_within_s: float = 20.0
    max_asa_s: float | None = None
    max_occupancy: float | None = None
    shrinkage: float = 0.0

    def __post_init__(self) -> None:
        if self.service_level is not None and not 0.0 < self.service_level < 1.0:
            raise ValueError("target service level must be in (0, 1)")
        if self.answer_within_s < 0:
            raise ValueError("answer-within must be >= 0 seconds")
        if self.max_asa_s is not None and self.max_asa_s <= 0:
            raise ValueError("max ASA must be > 0 seconds")
        if self.max_occupancy is not None and not 0.0 < self.max_occupancy <= 1.0:
            raise ValueError("max occupancy must be in (0, 1]")
        if not 0.0 <= self.shrinkage < 1.0:
            raise ValueError("shrinkage must be in [0, 1)")


@dataclass(frozen=True, slots=True)
class ErlangResult:
    """Queue performance with ``agents`` productive agents on ``traffic`` Erlangs."""

    agents: int
    traffic: float
    p_wait: float
    service_level: float
    asa_s: float
    occupancy: float
    scheduled: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _result(
    agents: int, traffic: float, b: float, aht_s: float, t_s: float, shrinkage: float
) -> ErlangResult:
    p_wait = 0.0 if traffic == 0 else _c_from_b(agents, traffic, b)
    return ErlangResult(
        agents=agents,
        traffic=traffic,
        p_wait=p_wait,
        service_level=_sl_from_c(p_wait, agents, traffic, aht_s, t_s),
        asa_s=_asa_from_c(p_wait, agents, traffic, aht_s),
        occupancy=occupancy(agents, traffic),
        scheduled=scheduled(agents, shrinkage),
    )


def evaluate(
    agents: int, traffic: float, aht_s: float, answer_within_s: float, shrinkage: float = 0.0
) -> ErlangResult:
    """Everything about a given staffing level (e.g. the agents actually logged in)."""
    _check(agents, traffic)
    return _result(
        agents, traffic, erlang_b(agents, traffic), aht_s, answer_within_s, shrinkage
    )


def _meets(r: ErlangResult, target: Target) -> bool:
    if r.agents <= r.traffic:
        return False
    if target.service_level is not None and r.service_level < target.service_level - _EPS:
        return False
    if target.max_asa_s is not None and r.asa_s > target.max_asa_s + _EPS:
        return False
    return target.max_occupancy is None or r.occupancy <= target.max_occupancy + _EPS


def agents_for_target(traffic: float, aht_s: float, target: Target) -> ErlangResult:
    """The smallest number of agents meeting every criterion of ``target``.

    Walks N upwards carrying Erlang B along, so the whole search is O(N) and never
    overflows. Zero traffic needs zero agents.
    """
    _check(0, traffic)
    if traffic == 0:
        return _result(0, 0.0, 1.0, aht_s, target.answer_within_s, target.shrinkage)
    if aht_s <= 0:
        raise ValueError("AHT must be > 0 seconds when there is traffic")
    b = 1.0
    limit = math.floor(traffic) + _MAX_EXTRA_AGENTS
    for n in range(1, limit + 1):
        b = _b_next(b, n, traffic)
        if n <= traffic:
            continue
        r = _result(n, traffic, b, aht_s, target.answer_within_s, target.shrinkage)
        if _meets(r, target):
            return r
    raise ValueError(f"no staffing up to {limit} agents meets the target")

"""Erlang A (M/M/n+M): Erlang C plus callers who hang up after an exponential patience.

Pure functions, no I/O. ``traffic`` is the offered load in Erlangs, times in seconds,
``patience_s`` the callers' mean patience (1/θ).

Closed forms (Garnett, Mandelbaum & Reiman 2002; Mandelbaum & Zeltyn), with μ = 1/AHT,
θ = 1/patience, λ = traffic·μ, x = nμ/θ, y = λ/θ, E = Erlang B(n, traffic) and

    A(x, y) = Σ_{j≥0} y^j / ((x+1)(x+2)…(x+j))        (a positive, convergent series)

  P(wait)            = A·E / (1 + (A - 1)·E)
  P(abandon | wait)  = 1/(ρ·A) + 1 - 1/ρ,   ρ = λ / (nμ)
  P(abandon)         = P(abandon | wait) · P(wait),   mean wait (all callers) = P(abandon)/θ

Service level and ASA need the wait of a caller who finds i callers ahead of them: each
step forward takes Exp(nμ + (i+1)θ) (an agent frees up, someone ahead gives up, or they
give up themselves), so a caller is answered with probability Π (nμ+jθ)/(nμ+(j+1)θ), and
the time to answer is that sum of exponentials whichever way it ends. The queue length
seen on arrival is the birth-death stationary law (PASTA). The sum-of-exponentials CDF
for every i is one backward equation solved by uniformisation.

Service level = share of all offered calls answered within t (as the records measure it);
ASA = mean wait of the answered calls.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from ccd.staffing.core.erlang import Target, erlang_b, occupancy, scheduled

_TAIL = 1e-13  # stop summing queue states once their probability is this small
_MAX_EXTRA_AGENTS = 100_000


@dataclass(frozen=True, slots=True)
class ErlangAResult:
    agents: int
    traffic: float
    patience_s: float
    p_wait: float
    service_level: float
    asa_s: float  # mean wait of answered calls
    mean_wait_s: float  # mean wait of all calls (answered or not)
    abandon_rate: float
    occupancy: float  # of the agents, by the calls actually served
    scheduled: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _series_a(x: float, y: float) -> float:
    total, term, j = 1.0, 1.0, 0
    while True:
        j += 1
        term *= y / (x + j)
        total += term
        if term < 1e-17 * total and j > y - x:
            return total


def _check(agents: int, traffic: float, aht_s: float, patience_s: float) -> None:
    if agents < 0:
        raise ValueError(f"agents must be >= 0, got {agents}")
    if not math.isfinite(traffic) or traffic < 0:
        raise ValueError(f"traffic must be a finite number >= 0, got {traffic}")
    if traffic > 0 and aht_s <= 0:
        raise ValueError("AHT must be > 0 seconds when there is traffic")
    if not math.isfinite(patience_s) or patience_s <= 0:
        raise ValueError(f"patience must be a finite number of seconds > 0, got {patience_s}")


def _queue_law(agents: int, lam: float, mu: float, theta: float, p_wait: float) -> list[float]:
    """P(arriving caller finds i callers waiting), i = 0, 1, ... (sums to p_wait)."""
    if p_wait <= 0:
        return []
    # π_{n+i} ∝ Π_{j=1..i} λ / (nμ + jθ); normalised to p_wait.
    weights, w, i = [1.0], 1.0, 0
    total = 1.0
    while True:
        i += 1
        w *= lam / (agents * mu + i * theta)
        weights.append(w)
        total += w
        if w < _TAIL * total and agents * mu + i * theta > lam:
            break
    return [p_wait * x / total for x in weights]


def _answered_within(agents: int, mu: float, theta: float, t: float, states: int) -> list[float]:
    """h[i] = P(the i+1 steps forward of a caller with i ahead take <= t)."""
    rates = [agents * mu + (i + 1) * theta for i in range(states)]
    if t <= 0:
        return [0.0] * states
    lam_u = max(rates)
    x = lam_u * t
    if x < 1e-9:  # no time to move at all
        return [0.0] * states
    # h(t) = Σ_k Pois(x; k) · P^k 1_absorbed, P = I + Q/Λ on the pure-death chain.
    v = [0.0] * (states + 1)
    v[0] = 1.0  # state 0 = answered
    h = [0.0] * (states + 1)
    log_p = -x
    k = 0
    cumulative = 0.0
    limit = x + 12.0 * math.sqrt(x) + 30.0
    while k <= limit or cumulative < 1.0 - 1e-15:
        p = math.exp(log_p)
        cumulative += p
        for m in range(states + 1):
            h[m] += p * v[m]
        nv = [1.0] + [0.0] * states
        for m in range(1, states + 1):
            r = rates[m - 1] / lam_u
            nv[m] = r * v[m - 1] + (1.0 - r) * v[m]
        v = nv
        k += 1
        log_p += math.log(x) - math.log(k)
        if k > limit and p < 1e-18:
            break
    return [min(1.0, h[m]) for m in range(1, states + 1)]


def evaluate_a(
    agents: int, traffic: float, aht_s: float, answer_within_s: float, patience_s: float,
    shrinkage: float = 0.0,
) -> ErlangAResult:
    """Everything about ``agents`` agents on ``traffic`` Erlangs with impatient callers."""
    _check(agents, traffic, aht_s, patience_s)
    if traffic == 0:
        return ErlangAResult(agents, 0.0, patience_s, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0,
                             scheduled(agents, shrinkage))
    mu, theta = 1.0 / aht_s, 1.0 / patience_s
    lam = traffic * mu
    if agents == 0:  # everyone waits until they give up
        return ErlangAResult(0, traffic, patience_s, 1.0, 0.0, math.inf, patience_s, 1.0,
                             1.0, scheduled(0, shrinkage))
    e = erlang_b(agents, traffic)
    big_a = _series_a(agents * mu / theta, lam / theta)
    p_wait = big_a * e / (1.0 + (big_a - 1.0) * e)
    rho = lam / (agents * mu)
    p_ab = max(0.0, (1.0 / (rho * big_a) + 1.0 - 1.0 / rho) * p_wait)
    law = _queue_law(agents, lam, mu, theta, p_wait)
    reach = _answered_within(agents, mu, theta, answer_within_s, len(law))
    within, answered_wait, q = 1.0 - p_wait, 0.0, 1.0
    mean_steps = 0.0
    for i, pi in enumerate(law):
        q *= (agents * mu + i * theta) / (agents * mu + (i + 1) * theta)
        mean_steps += 1.0 / (agents * mu + (i + 1) * theta)
        within += pi * q * reach[i]
        answered_wait += pi * q * mean_steps
    p_answered = 1.0 - p_ab
    asa = answered_wait / p_answered if p_answered > 0 else math.inf
    return ErlangAResult(
        agents=agents, traffic=traffic, patience_s=patience_s, p_wait=p_wait,
        service_level=min(1.0, within), asa_s=asa, mean_wait_s=p_ab / theta,
        abandon_rate=p_ab, occupancy=occupancy(agents, traffic * p_answered),
        scheduled=scheduled(agents, shrinkage),
    )


def _meets(r: ErlangAResult, target: Target, max_abandon: float | None) -> bool:
    eps = 1e-12
    if target.service_level is not None and r.service_level < target.service_level - eps:
        return False
    if target.max_asa_s is not None and r.asa_s > target.max_asa_s + eps:
        return False
    if max_abandon is not None and r.abandon_rate > max_abandon + eps:
        return False
    return target.max_occupancy is None or r.occupancy <= target.max_occupancy + eps


def agents_for_target_a(
    traffic: float, aht_s: float, patience_s: float, target: Target,
    max_abandon: float | None = None,
) -> ErlangAResult:
    """The smallest head count meeting ``target`` (and the abandon ceiling, if given).

    Every criterion improves with more agents, so the answer is found by bisection: grow a
    bracket from near the load until the target holds, then halve it (O(log n) evaluations,
    which matters at hundreds of Erlangs).
    """
    _check(0, traffic, aht_s, patience_s)
    t, shrink = target.answer_within_s, target.shrinkage
    if traffic == 0:
        return evaluate_a(0, 0.0, aht_s, t, patience_s, shrink)

    def ok(n: int) -> ErlangAResult | None:
        r = evaluate_a(n, traffic, aht_s, t, patience_s, shrink)
        return r if _meets(r, target, max_abandon) else None

    lo = 0  # known to fail (nobody answers)
    hi = max(1, math.ceil(traffic))
    best = ok(hi)
    while best is None:
        lo, hi = hi, 2 * hi
        if hi > math.floor(traffic) + _MAX_EXTRA_AGENTS:
            raise ValueError("no staffing meets the target")
        best = ok(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        got = ok(mid)
        if got is None:
            lo = mid
        else:
            hi, best = mid, got
    return best

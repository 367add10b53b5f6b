"""From aggregated history to the staffing table, and from logged-in time to the comparison.

Pure: the loader (``history.py``) hands in plain aggregates, this module does the
arithmetic. A forecast row is one (weekday, local interval); a comparison row is one real
past interval with the agents that were actually there beside the agents it needed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ccd.staffing.core.erlang import ErlangResult, Target, agents_for_target, evaluate
from ccd.staffing.core.slots import WEEKDAYS, local_slot, slot_label, slots_per_day


@dataclass(frozen=True, slots=True)
class SlotStats:
    """History of one local (weekday, slot), summed over the window."""

    weekday: int  # 0 = Monday
    slot: int  # index of the interval in the local day
    calls: int  # offered calls (all records)
    answered: int  # answered calls with a known talk time
    handle_s: float  # sum of talk + wrap-up over those answered calls


@dataclass(frozen=True, slots=True)
class ForecastRow:
    weekday: int
    slot: int
    interval_min: int
    weeks: int  # days of this weekday in the history used
    occurrences: int  # times this local interval really happened (DST aware)
    calls: float  # expected calls per interval
    aht_s: float
    erlang: ErlangResult

    def as_dict(self) -> dict[str, Any]:
        e = self.erlang
        return {
            "day": WEEKDAYS[self.weekday],
            "weekday": self.weekday,
            "time": slot_label(self.slot, self.interval_min),
            "interval_min": self.interval_min,
            "weeks": self.weeks,
            "calls": round(self.calls, 3),
            "aht_s": round(self.aht_s, 1) if self.calls else None,
            "traffic": round(e.traffic, 4),
            "agents": e.agents,
            "scheduled": e.scheduled,
            "service_level": round(e.service_level, 4),
            "asa_s": _finite(e.asa_s, 1),
            "p_wait": round(e.p_wait, 4),
            "occupancy": round(e.occupancy, 4),
        }


def _finite(x: float, digits: int) -> float | None:
    return round(x, digits) if math.isfinite(x) else None  # JSON has no infinity


def overall_aht(answered: int, handle_s: float) -> float | None:
    return handle_s / answered if answered > 0 else None


def queue_aht(stats: Iterable[SlotStats]) -> float | None:
    """Queue-wide AHT, the fallback for intervals with calls but no answered call."""
    items = list(stats)
    return overall_aht(sum(s.answered for s in items), sum(s.handle_s for s in items))


def build_forecast(
    stats: Iterable[SlotStats],
    exposure: Mapping[tuple[int, int], int],
    weeks: Mapping[int, int],
    interval_min: int,
    target: Target,
    aht_fallback_s: float | None = None,
) -> list[ForecastRow]:
    """One row per weekday × interval (Monday 00:00 first), empty intervals included."""
    by_key = {(s.weekday, s.slot): s for s in stats}
    fallback = queue_aht(by_key.values()) or aht_fallback_s
    period_s = interval_min * 60.0
    rows: list[ForecastRow] = []
    for wd in range(7):
        for slot in range(slots_per_day(interval_min)):
            s = by_key.get((wd, slot), SlotStats(wd, slot, 0, 0, 0.0))
            occ = exposure.get((wd, slot), 0)
            # A call in a slot the calendar says never happened can only be clock skew.
            mean_calls = s.calls / max(occ, 1) if s.calls else 0.0
            aht = overall_aht(s.answered, s.handle_s) or fallback
            if aht is None:
                if mean_calls > 0:
                    raise ValueError("no answered calls to take the AHT from; give --aht")
                aht = 0.0
            traffic = mean_calls * aht / period_s
            rows.append(
                ForecastRow(
                    wd, slot, interval_min, weeks.get(wd, 0), occ, mean_calls, aht,
                    agents_for_target(traffic, aht, target),
                )
            )
    return rows


# -- compare with reality --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IntervalStats:
    """One real past interval of a queue (keyed by its UTC start)."""

    start: datetime
    calls: int
    answered: int
    handle_s: float
    answered_within: int  # answered within the target answer time


@dataclass(frozen=True, slots=True)
class StateSpan:
    agent_id: str
    state: str
    started_at: datetime
    ended_at: datetime | None  # None: still in that state


@dataclass(frozen=True, slots=True)
class Staffed:
    logged_in: float  # mean agents logged in (any state) over the interval
    productive: float  # mean agents logged in and not paused


def staffed_by_interval(
    spans: Iterable[StateSpan], starts: Sequence[datetime], interval_min: int, now: datetime
) -> list[Staffed]:
    """Time-weighted mean head count per interval; ``starts`` are contiguous steps.

    The state intervals are layered: a ``logged_in`` span covers the whole session from
    login to logout and ``paused`` / ``on_call`` / ``wrap_up`` spans lie inside it. So
    logged in = the ``logged_in`` layer, productive = logged in minus paused.
    """
    n = len(starts)
    if n == 0:
        return []
    seconds = {"logged_in": [0.0] * n, "paused": [0.0] * n}
    step = timedelta(minutes=interval_min)
    lo, hi = starts[0], starts[-1] + step
    for sp in spans:
        acc = seconds.get(sp.state)
        if acc is None:
            continue  # on_call / wrap_up happen inside the logged-in layer
        a, b = max(sp.started_at, lo), min(sp.ended_at or now, hi)
        while a < b:
            i = int((a - lo) / step)
            end = min(b, starts[i] + step)
            acc[i] += (end - a).total_seconds()
            a = end
    span_s = step.total_seconds()
    logged, paused = seconds["logged_in"], seconds["paused"]
    return [
        Staffed(logged[i] / span_s, max(0.0, logged[i] - paused[i]) / span_s) for i in range(n)
    ]


@dataclass(frozen=True, slots=True)
class ComparisonRow:
    start: datetime  # UTC
    local: datetime  # the same instant in the configured zone
    slot: int
    interval_min: int
    calls: int
    aht_s: float
    needed: ErlangResult  # Erlang C staffing for the load that really came
    staffed: Staffed
    actual_sl: float | None  # share answered within the target, from the records

    @property
    def status(self) -> str:
        """under: fewer productive agents than needed; over: at least one spare."""
        if self.staffed.productive < self.needed.agents - 1e-9:
            return "under"
        if self.staffed.productive >= self.needed.agents + 1:
            return "over"
        return "ok"

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": self.local.isoformat(),
            "day": WEEKDAYS[self.local.weekday()],
            "time": slot_label(self.slot, self.interval_min),
            "calls": self.calls,
            "aht_s": round(self.aht_s, 1) if self.calls else None,
            "agents_needed": self.needed.agents,
            "scheduled": self.needed.scheduled,
            "logged_in": round(self.staffed.logged_in, 2),
            "productive": round(self.staffed.productive, 2),
            "gap": round(self.staffed.productive - self.needed.agents, 2),
            "status": self.status,
            "actual_sl": None if self.actual_sl is None else round(self.actual_sl, 4),
        }


def build_comparison(
    starts: Sequence[datetime],
    observed: Iterable[IntervalStats],
    staffed: Sequence[Staffed],
    tz: ZoneInfo,
    interval_min: int,
    target: Target,
    aht_fallback_s: float | None = None,
) -> list[ComparisonRow]:
    """Needed vs. present for every real interval in ``starts`` (one per UTC step)."""
    by_start = {o.start: o for o in observed}
    items = list(by_start.values())
    fallback = overall_aht(sum(o.answered for o in items), sum(o.handle_s for o in items))
    fallback = fallback or aht_fallback_s
    period_s = interval_min * 60.0
    rows: list[ComparisonRow] = []
    for start, have in zip(starts, staffed, strict=True):
        o = by_start.get(start, IntervalStats(start, 0, 0, 0.0, 0))
        aht = overall_aht(o.answered, o.handle_s) or fallback or 0.0
        traffic = o.calls * aht / period_s
        if traffic > 0:
            needed = agents_for_target(traffic, aht, target)
        else:
            needed = evaluate(0, 0.0, aht, target.answer_within_s, target.shrinkage)
        rows.append(
            ComparisonRow(
                start=start,
                local=start.astimezone(tz),
                slot=local_slot(start, tz, interval_min)[1],
                interval_min=interval_min,
                calls=o.calls,
                aht_s=aht,
                needed=needed,
                staffed=have,
                actual_sl=o.answered_within / o.calls if o.calls else None,
            )
        )
    return rows

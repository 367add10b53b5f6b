"""The need per interval of a horizon, from the weekday × interval forecast (pure).

Both models side by side: Erlang C (callers wait forever) and Erlang A (callers hang up
after their patience). The plan uses the configured one; Erlang C over-staffs where callers
abandon, Erlang A is the better estimate once patience is known.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from ccd.staffing.core.erlang import Target
from ccd.staffing.core.erlang_a import agents_for_target_a
from ccd.staffing.core.forecast import ForecastRow
from ccd.staffing.core.slots import WEEKDAYS, slot_label, slots_per_day


@dataclass(frozen=True, slots=True)
class NeedRow:
    weekday: int
    slot: int
    interval_min: int
    calls: float
    aht_s: float
    erlang_c: int  # agents to schedule (after shrinkage)
    erlang_a: int | None  # None without a patience
    abandon_rate_a: float | None
    model: str  # the one the plan uses
    # expected service level and ASA with each model's agents (None: no calls or no patience)
    sl_c: float | None = None
    asa_c_s: float | None = None
    sl_a: float | None = None
    asa_a_s: float | None = None

    @property
    def need(self) -> int:
        if self.model == "erlang_a" and self.erlang_a is not None:
            return self.erlang_a
        return self.erlang_c

    def as_dict(self) -> dict[str, Any]:
        return {
            "day": WEEKDAYS[self.weekday], "time": slot_label(self.slot, self.interval_min),
            "calls": round(self.calls, 3), "aht_s": round(self.aht_s, 1),
            "erlang_c": self.erlang_c, "erlang_a": self.erlang_a,
            "abandon_rate_a": None if self.abandon_rate_a is None else round(self.abandon_rate_a, 4),
            "sl_c": _r(self.sl_c, 4), "asa_c_s": _r(self.asa_c_s, 1),
            "sl_a": _r(self.sl_a, 4), "asa_a_s": _r(self.asa_a_s, 1),
            "model": self.model, "need": self.need,
        }


def _r(x: float | None, digits: int) -> float | None:
    return None if x is None or not math.isfinite(x) else round(x, digits)  # JSON has no inf


def need_rows(
    rows: Sequence[ForecastRow], target: Target, model: str, patience_s: float | None,
    max_abandon: float | None = None,
) -> list[NeedRow]:
    if model == "erlang_a" and patience_s is None:
        raise ValueError("Erlang A needs the callers' patience (configured or estimated)")
    out = []
    for r in rows:
        ra = None
        if patience_s is not None:
            ra = agents_for_target_a(r.erlang.traffic, r.aht_s or 1.0, patience_s, target,
                                     max_abandon)
        quiet = r.calls == 0  # no calls: no service level or ASA to expect
        out.append(NeedRow(
            r.weekday, r.slot, r.interval_min, r.calls, r.aht_s, r.erlang.scheduled,
            None if ra is None else ra.scheduled, None if ra is None else ra.abandon_rate, model,
            sl_c=None if quiet else r.erlang.service_level,
            asa_c_s=None if quiet else r.erlang.asa_s,
            sl_a=None if quiet or ra is None else ra.service_level,
            asa_a_s=None if quiet or ra is None else ra.asa_s))
    return out


def horizon_need(rows: Sequence[NeedRow], first_day: date, days: int) -> list[int]:
    """Need per interval for ``days`` local days from ``first_day`` (weekday pattern)."""
    if not rows:
        return []
    interval = rows[0].interval_min
    by = {(r.weekday, r.slot): r.need for r in rows}
    out = []
    for d in range(days):
        wd = (first_day + timedelta(days=d)).weekday()
        out += [by.get((wd, s), 0) for s in range(slots_per_day(interval))]
    return out

"""Backtest: how far the forecast missed, per interval, weekday and time of day (pure).

For every day of the last N weeks, the forecast of each interval is what the staffing
forecast would have said that morning: the mean over the ``history_weeks`` previous same
weekdays (calls per interval; AHT, service level and abandon rate pooled over those calls).
Errors: MAPE = mean |forecast - actual| / actual over intervals with a non-zero actual;
bias = mean (forecast - actual), signed (positive: the forecast was too high).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from ccd.staffing.core.slots import WEEKDAYS, slot_label

METRICS = ("calls", "aht_s", "service_level", "abandon_rate")


@dataclass(frozen=True, slots=True)
class Actual:
    """One local interval as it happened."""

    day: date
    slot: int
    calls: int
    answered: int
    handle_s: float
    within: int  # answered within the target answer time
    abandoned: int


def _figures(items: list[Actual], days: int) -> dict[str, float | None]:
    calls = sum(a.calls for a in items)
    answered = sum(a.answered for a in items)
    return {
        "calls": calls / days if days else None,
        "aht_s": sum(a.handle_s for a in items) / answered if answered else None,
        "service_level": sum(a.within for a in items) / calls if calls else None,
        "abandon_rate": sum(a.abandoned for a in items) / calls if calls else None,
    }


@dataclass(frozen=True, slots=True)
class Error:
    n: int
    mape: float | None
    bias: float | None

    def as_dict(self) -> dict[str, Any]:
        return {"n": self.n, "mape": None if self.mape is None else round(self.mape, 4),
                "bias": None if self.bias is None else round(self.bias, 4)}


def _error(pairs: list[tuple[float, float]]) -> Error:
    if not pairs:
        return Error(0, None, None)
    ape = [abs(f - a) / a for f, a in pairs if a != 0]
    return Error(len(pairs), sum(ape) / len(ape) if ape else None,
                 sum(f - a for f, a in pairs) / len(pairs))


def backtest(
    actuals: Iterable[Actual], first_day: date, end_day: date, history_weeks: int,
    interval_min: int, slots: int, history_from: date | None = None,
) -> dict[str, Any]:
    """Errors for days [first_day, end_day); ``actuals`` must reach back ``history_weeks``.

    ``history_from``: the first day the queue had data; earlier days are not "zero calls"
    but unknown, so they are left out of the forecast (as the staffing forecast does).
    """
    items = list(actuals)
    by: dict[tuple[date, int], Actual] = {(a.day, a.slot): a for a in items}
    if history_from is None and items:
        history_from = min(a.day for a in items)
    pairs: dict[str, dict[tuple[str, Any], list[tuple[float, float]]]] = {
        m: defaultdict(list) for m in METRICS}
    intervals = []
    day = first_day
    while day < end_day:
        past = [day - timedelta(days=7 * k) for k in range(1, history_weeks + 1)]
        past = [d for d in past if history_from is not None and d >= history_from]
        for slot in range(slots):
            hist = [by[(d, slot)] for d in past if (d, slot) in by]
            fc = _figures(hist, len(past)) if past else dict.fromkeys(METRICS)
            now = by.get((day, slot))
            act = _figures([now] if now else [], 1)
            row: dict[str, Any] = {"date": day.isoformat(), "day": WEEKDAYS[day.weekday()],
                                   "time": slot_label(slot, interval_min)}
            for m in METRICS:
                f, a = fc[m], act[m]
                row[f"{m}_forecast"], row[f"{m}_actual"] = f, a
                if f is None or a is None or (m == "calls" and f == 0 and a == 0):
                    continue
                for key in (("weekday", WEEKDAYS[day.weekday()]),
                            ("interval", slot_label(slot, interval_min)),
                            ("cell", f"{WEEKDAYS[day.weekday()]} {slot_label(slot, interval_min)}"),
                            ("all", "all")):
                    pairs[m][key].append((f, a))
            intervals.append(row)
        day += timedelta(days=1)
    return {"intervals": intervals, "errors": _summarise(pairs)}


def _summarise(
    pairs: Mapping[str, Mapping[tuple[str, Any], list[tuple[float, float]]]],
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for m, groups in pairs.items():
        per: dict[str, dict[str, Any]] = defaultdict(dict)
        for (kind, key), ps in groups.items():
            per[kind][key] = _error(ps).as_dict()
        out[m] = {"all": per.get("all", {}).get("all", Error(0, None, None).as_dict()),
                  "by_weekday": dict(per.get("weekday", {})),
                  "by_interval": dict(sorted(per.get("interval", {}).items())),
                  "by_cell": dict(per.get("cell", {}))}
    return out

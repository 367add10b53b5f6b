"""KPI reports (definitions: docs/kpis.md), for ``ccd report`` and the HTTP API."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

import asyncpg

from ccd.store.buckets import buckets, check_bounds, parse_by
from ccd.store.report_sql import KPI_SQL

DEFAULT_SL_SECONDS: Final = 20.0
DEFAULT_SHORT_ABANDON_S: Final = 5.0
DEFAULT_REPEAT_WINDOW_S: Final = 24 * 3600.0

METRICS: Final = (
    "offered", "answered", "abandoned", "short_abandons", "overflowed", "abandon_rate",
    "service_level", "asa_s", "awt_s", "aht_s", "longest_wait_s", "repeat_rate", "missed",
    "occupancy", "avg_rating", "rating_response_rate",
)
# queue-side figures that mean nothing for one agent or a team (their calls were answered)
_QUEUE_ONLY: Final = ("abandoned", "short_abandons", "overflowed", "abandon_rate",
                      "service_level", "awt_s", "longest_wait_s")

Threshold = float | Mapping[str, float]


def _split(value: Threshold, default: float) -> tuple[float, list[str], list[float]]:
    if isinstance(value, Mapping):
        return default, list(value), [float(v) for v in value.values()]
    return float(value), [], []


def _ratio(num: float, den: float) -> float | None:
    return num / den if den > 0 else None


async def kpi_report(
    pool_or_conn: Any,
    *,
    start: datetime,
    end: datetime,
    by: str,
    tz: str | ZoneInfo = "UTC",
    teams: Mapping[str, Sequence[str]] | None = None,
    sl_seconds: Threshold = DEFAULT_SL_SECONDS,
    short_abandon_s: Threshold = DEFAULT_SHORT_ABANDON_S,
    repeat_window_s: float = DEFAULT_REPEAT_WINDOW_S,
) -> list[dict[str, Any]]:
    """KPI rows for [start, end) grouped ``by`` queue|agent|team|interval:<unit>.

    ``sl_seconds`` / ``short_abandon_s`` are one value for all queues or a per-queue mapping
    (queues missing from it get the defaults, 20 s and 5 s). ``teams`` maps agent id -> team
    names (an agent may be in several). Interval rows are labelled with the bucket start in
    ``tz`` (ISO 8601 with offset) and include empty buckets.
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be timezone-aware")
    check_bounds(start, end, by)
    zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
    mode, unit = parse_by(by)
    # up to MAX_BUCKETS zone conversions: in a thread, so the event loop keeps its turns
    bounds, labels = await asyncio.to_thread(buckets, start, end, unit, zone)
    sl_def, sl_q, sl_v = _split(sl_seconds, DEFAULT_SL_SECONDS)
    sa_def, sa_q, sa_v = _split(short_abandon_s, DEFAULT_SHORT_ABANDON_S)
    # one threshold row per queue named in either mapping
    queues = sorted(set(sl_q) | set(sa_q))
    sl_map, sa_map = dict(zip(sl_q, sl_v, strict=True)), dict(zip(sa_q, sa_v, strict=True))
    team_agents = [a for a, ts in (teams or {}).items() for _ in ts]
    team_names = [t for ts in (teams or {}).values() for t in ts]
    rows = await _fetch_without_jit(
        pool_or_conn, start, end, bounds, mode, team_agents, team_names, queues,
        [sl_map.get(q, sl_def) for q in queues], [sa_map.get(q, sa_def) for q in queues],
        sl_def, sa_def, float(repeat_window_s),
    )
    return await asyncio.to_thread(_rows, rows, mode, labels)


async def _fetch_without_jit(pool_or_conn: Any, *args: Any) -> list[Any]:
    """The KPI query with PostgreSQL's JIT off: the query is large, so its estimated cost
    crosses jit_above_cost, and compiling it took seconds (4.5 s measured) for a month's
    report that runs in a fraction of that."""
    if isinstance(pool_or_conn, asyncpg.Pool):
        async with pool_or_conn.acquire() as conn:
            return await _fetch_without_jit(conn, *args)
    async with pool_or_conn.transaction():
        await pool_or_conn.execute("SET LOCAL jit = off")
        rows: list[Any] = await pool_or_conn.fetch(KPI_SQL, *args)
        return rows


def _rows(rows: Sequence[Mapping[str, Any]], mode: str, labels: list[datetime]) -> list[dict[str, Any]]:
    return [_row(r, mode, labels) for r in rows]


def _row(r: Mapping[str, Any], mode: str, labels: list[datetime]) -> dict[str, Any]:
    # Short abandons and callers who left with a booked callback are not in the SL and
    # abandon-rate denominators (docs/kpis.md).
    base = r["calls"] - r["short_abandons"] - r.get("callbacks", 0)
    avail, busy = r["avail_s"], r["busy_s"]
    out: dict[str, Any] = {
        mode: labels[r["b"] - 1].isoformat() if mode == "interval" else r["key"],
        "offered": r["offers"] if mode in ("agent", "team") else r["calls"],
        "answered": r["answered"],
        "abandoned": r["abandoned"],
        "short_abandons": r["short_abandons"],
        "overflowed": r["overflowed"],
        "abandon_rate": _ratio(r["abandoned"], base),
        "service_level": _ratio(r["answered_in_sl"], base),
        "asa_s": r["asa_s"],
        "awt_s": r["awt_s"],
        "aht_s": r["aht_s"],
        "longest_wait_s": r["longest_wait_s"],
        "repeat_rate": _ratio(r["repeats"], r["repeat_base"]),
        "missed": r["missed"],
        "occupancy": None if avail is None or busy is None else _ratio(busy, avail),
        "avg_rating": r["avg_rating"],
        "rating_response_rate": _ratio(r["rated"], r["surveys"]),
    }
    if mode in ("agent", "team"):
        out.update(dict.fromkeys(_QUEUE_ONLY))
    return out


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".") if value % 1 else f"{value:.0f}"
    return str(value)


def format_report(rows: Sequence[Mapping[str, Any]], fmt: str) -> str:
    """Render rows as ``table`` (aligned text), ``csv`` or ``json``."""
    if fmt == "json":
        return json.dumps(list(rows), indent=2, default=str)
    if not rows:
        return "" if fmt == "csv" else "(no data)"
    columns = list(rows[0])
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(columns)
        w.writerows([[_cell(row.get(c)) for c in columns] for row in rows])
        return buf.getvalue()
    if fmt != "table":
        raise ValueError(f"unknown format {fmt!r}: use table|csv|json")
    cells = [columns] + [[_cell(row.get(c)) or "-" for c in columns] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    lines = ["  ".join(v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in
                       enumerate(zip(line, widths, strict=True))) for line in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)

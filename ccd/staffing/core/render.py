"""Text, CSV and JSON output of staffing results (no I/O beyond returning strings)."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from ccd.staffing.core.forecast import ComparisonRow, ForecastRow


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def _secs(x: float | None) -> str:
    return "-" if x is None or not math.isfinite(x) else f"{x:.1f}"


def _aht(calls: float, aht_s: float) -> str:
    return f"{aht_s:.0f}" if calls else "-"  # an empty interval only has the fallback AHT


def as_json(meta: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> str:
    return json.dumps({**meta, "rows": list(rows)}, indent=2)


def as_csv(rows: Sequence[Mapping[str, Any]]) -> str:
    if not rows:
        return ""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def _table(header: Sequence[str], lines: Sequence[Sequence[str]]) -> str:
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(header)]
    fmt = "  ".join(f"{{:>{w}}}" for w in widths)
    out = [fmt.format(*header), fmt.format(*("-" * w for w in widths))]
    out += [fmt.format(*line) for line in lines]
    return "\n".join(out)


def forecast_table(meta: Mapping[str, Any], rows: Sequence[ForecastRow], show_all: bool) -> str:
    header = ("day", "time", "weeks", "calls", "aht_s", "erlang", "agents", "sched",
              "SL", "ASA_s", "occ")
    shown = [r for r in rows if show_all or r.calls > 0]
    lines = [
        (d["day"], d["time"], str(r.weeks), f"{r.calls:.2f}", _aht(r.calls, r.aht_s),
         f"{r.erlang.traffic:.2f}", str(r.erlang.agents), str(r.erlang.scheduled),
         _pct(r.erlang.service_level), _secs(r.erlang.asa_s), _pct(r.erlang.occupancy))
        for r in shown
        for d in (r.as_dict(),)
    ]
    head = _meta_line(meta)
    if not lines:
        return f"{head}\nno calls in the history window"
    omitted = len(rows) - len(shown)
    tail = f"\n({omitted} intervals without calls omitted; --all shows them)" if omitted else ""
    return f"{head}\n{_table(header, lines)}{tail}"


def comparison_table(
    meta: Mapping[str, Any], rows: Sequence[ComparisonRow], show_all: bool
) -> str:
    header = ("start", "calls", "aht_s", "needed", "sched", "logged_in", "productive",
              "gap", "status", "actual_SL")
    shown = [r for r in rows if show_all or r.calls or r.staffed.logged_in > 0]
    lines = [
        (r.local.strftime("%a %Y-%m-%d %H:%M %Z"), str(r.calls), _aht(r.calls, r.aht_s),
         str(r.needed.agents), str(r.needed.scheduled), f"{r.staffed.logged_in:.1f}",
         f"{r.staffed.productive:.1f}", f"{r.staffed.productive - r.needed.agents:+.1f}",
         r.status, _pct(r.actual_sl))
        for r in shown
    ]
    head = _meta_line(meta)
    if not lines:
        return f"{head}\nno calls and no logged-in agents in the window"
    under = sum(r.status == "under" for r in shown)
    over = sum(r.status == "over" for r in shown)
    return f"{head}\n{_table(header, lines)}\n{under} under-staffed, {over} over-staffed intervals"


def _meta_line(meta: Mapping[str, Any]) -> str:
    return " · ".join(f"{k}: {v}" for k, v in meta.items() if not isinstance(v, dict))


def whatif_dict_from(r: Mapping[str, Any], *, calls: float, per_min: int, aht_s: float,
                     target_sl: float | None, answer_within_s: float,
                     shrinkage: float) -> dict[str, Any]:
    """What-if output of either model (Erlang A adds abandonment and patience)."""
    d: dict[str, Any] = {
        "model": r.get("model", "erlang_c"),
        "calls": calls,
        "per_min": per_min,
        "aht_s": aht_s,
        "traffic": round(r["traffic"], 4),
        "target_sl": target_sl,
        "answer_within_s": answer_within_s,
        "shrinkage": shrinkage,
        "agents": r["agents"],
        "service_level": round(r["service_level"], 6),
        "asa_s": None if not math.isfinite(r["asa_s"]) else round(r["asa_s"], 3),
        "p_wait": round(r["p_wait"], 6),
        "occupancy": round(r["occupancy"], 6),
        "scheduled": r["scheduled"],
    }
    if r.get("given"):
        d["given"] = True  # --agents N: evaluated, not searched
    if "abandon_rate" in r:
        d["patience_s"] = r["patience_s"]
        d["abandon_rate"] = round(r["abandon_rate"], 6)
        d["mean_wait_s"] = round(r["mean_wait_s"], 3)
    return d


def whatif_text(d: Mapping[str, Any]) -> str:
    return "\n".join([
        f"traffic            {d['traffic']:.2f} Erlangs "
        f"({d['calls']:g} calls per {d['per_min']} min, AHT {d['aht_s']:g} s)",
        f"{'agents' if d.get('given') else 'agents needed':<19}{d['agents']}",
        f"service level      {_pct(d['service_level'])} answered within "
        f"{d['answer_within_s']:g} s",
        f"ASA                {_secs(d['asa_s'])} s",
        f"probability wait   {_pct(d['p_wait'])}",
        f"occupancy          {_pct(d['occupancy'])}",
        f"scheduled          {d['scheduled']} (shrinkage {_pct(d['shrinkage'])})",
    ] + ([f"abandon rate       {_pct(d['abandon_rate'])} (patience {d['patience_s']:g} s)"]
         if "abandon_rate" in d else []))

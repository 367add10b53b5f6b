"""Text output of ``ccd schedule`` (returns strings; the CLI prints them)."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from ccd.schedule.core.export import ShiftRow
from ccd.schedule.core.need import NeedRow
from ccd.schedule.store import StoredPlan


def table(header: Sequence[str], lines: Sequence[Sequence[str]]) -> str:
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(header)]
    fmt = "  ".join(f"{{:>{w}}}" for w in widths)
    return "\n".join([fmt.format(*header), fmt.format(*("-" * w for w in widths)),
                      *(fmt.format(*line) for line in lines)])


def emit(fmt: str, meta: Mapping[str, Any], rows: Sequence[Mapping[str, Any]],
         text: Callable[[], str]) -> None:
    if fmt == "json":
        print(json.dumps({**meta, "rows": list(rows)}))
    elif fmt == "csv":
        if rows:
            buf = io.StringIO()
            w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
            w.writeheader()
            w.writerows(rows)
            print(buf.getvalue(), end="")
    else:
        print(text())


def _meta(meta: Mapping[str, Any]) -> str:
    return " · ".join(f"{k}: {v}" for k, v in meta.items()
                      if not isinstance(v, dict | list))


def need_table(meta: Mapping[str, Any], rows: Sequence[NeedRow]) -> str:
    shown = [r for r in rows if r.calls > 0]
    lines = [(d["day"], d["time"], f"{r.calls:.1f}", f"{r.aht_s:.0f}", str(r.erlang_c),
              _pct(r.sl_c), _secs(r.asa_c_s), "-" if r.erlang_a is None else str(r.erlang_a),
              _pct(r.sl_a), _secs(r.asa_a_s), _pct(r.abandon_rate_a), str(r.need))
             for r in shown for d in (r.as_dict(),)]
    pat = meta.get("patience", {})
    head = f"{_meta(meta)} · patience: {pat.get('seconds', '-')} s ({pat.get('source')})"
    if not lines:
        return f"{head}\nno calls in the history window"
    return head + "\n" + table(("day", "time", "calls", "aht_s", "erlang_c", "sl_c", "asa_c",
                                "erlang_a", "sl_a", "asa_a", "abandon_a", "plan uses"), lines)


def plan_text(plan_id: int, version: int, info: Mapping[str, Any]) -> str:
    return "\n".join([
        f"plan {plan_id} version {version}: draft ({info['model']})",
        f"shifts {info['shifts']}, paid hours {info['paid_hours']:g}, solver "
        f"{info['plan_status']} (gap {100 * info['optimality_gap']:.2f}%), {info['solve_s']} s",
        f"shortfall {info['shortfall_agent_intervals']:g} agent-intervals; roster "
        f"{info['roster_status']}, {info['unfilled_shifts']} unfilled shifts",
        *(f"note: {n}" for n in info.get("notes", [])),
    ])


def plans_table(plans: Sequence[StoredPlan]) -> str:
    if not plans:
        return "no plans"
    return table(("id", "queue", "from", "days", "version", "status", "model", "approved_by"), [
        (str(p.id), p.queue, p.first_day.isoformat(), str(p.days), str(p.version), p.status,
         p.model, p.approved_by or "-") for p in plans])


def coverage_table(meta: Mapping[str, Any], rows: Sequence[Mapping[str, Any]], show_all: bool) -> str:
    shown = [r for r in rows if show_all or r["short"] > 0]
    head = _meta(meta)
    if not shown:
        return f"{head}\nevery interval covered (--all lists them)"
    lines = [(r["date"], r["day"], r["time"], str(r["need"]), f"{r['scheduled']:.2f}",
              f"{r['gap']:+.2f}") for r in shown]
    short = sum(r["short"] for r in rows)
    return (f"{head}\n" + table(("date", "day", "time", "need", "scheduled", "gap"), lines)
            + f"\nshortfall: {short:g} agent-intervals in {sum(r['short'] > 0 for r in rows)} intervals")


def shift_dict(r: ShiftRow) -> dict[str, Any]:
    return {"agent": r.agent_id, "template": r.template, "start": r.start.isoformat(),
            "end": r.end.isoformat(), "paid_min": r.paid_min,
            "breaks": [[a.isoformat(), b.isoformat()] for a, b in r.breaks]}


def roster_table(rows: Sequence[ShiftRow], tz: ZoneInfo) -> str:
    if not rows:
        return "no shifts"
    return table(("agent", "day", "start", "end", "template", "breaks"), [
        (r.agent_id or "(unfilled)", r.start.astimezone(tz).strftime("%a %Y-%m-%d"),
         r.start.astimezone(tz).strftime("%H:%M"), r.end.astimezone(tz).strftime("%H:%M"),
         r.template, " ".join(f"{a.astimezone(tz):%H:%M}-{b.astimezone(tz):%H:%M}"
                              for a, b in r.breaks))
        for r in sorted(rows, key=lambda r: (r.agent_id or "~", r.start))])


def backtest_text(report: Mapping[str, Any]) -> str:
    out = [f"queue {report['queue']}: {report['from']} .. {report['until']} "
           f"(forecast from the {report['history_weeks']} weeks before each day)"]
    for metric, errs in report["errors"].items():
        a = errs["all"]
        out.append(f"\n{metric}: n={a['n']} MAPE={_pct(a['mape'])} bias={_num(a['bias'])}")
        lines = [(wd, str(e["n"]), _pct(e["mape"]), _num(e["bias"]))
                 for wd, e in errs["by_weekday"].items()]
        if lines:
            out.append(table(("weekday", "n", "MAPE", "bias"), lines))
    return "\n".join(out)


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def _secs(x: float | None) -> str:
    return "-" if x is None or not math.isfinite(x) else f"{x:.1f}s"


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:+.3f}"

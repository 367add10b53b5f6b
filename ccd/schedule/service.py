"""Shell: stored history -> need -> shift plan -> roster -> draft in PostgreSQL; backtest.

The solvers are CPU-bound, so they run in a worker thread and never stall the event loop.
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

from ccd.config import CcdConfig
from ccd.schedule import store
from ccd.schedule.core.backtest import Actual, backtest
from ccd.schedule.core.inputs import plan_request, roster_agents, roster_rules
from ccd.schedule.core.model import Plan
from ccd.schedule.core.need import NeedRow, horizon_need, need_rows
from ccd.schedule.core.planner import solve_plan
from ccd.schedule.core.roster import Roster, solve_roster
from ccd.staffing.core.erlang import Target
from ccd.staffing.core.patience import NotEnoughAbandons, PatienceEstimate, estimate_patience
from ccd.staffing.core.slots import Window, slots_per_day
from ccd.staffing.history import Db, forecast

# Every caller who waited: abandoned ones (their patience ran out) and answered ones (censored).
_PATIENCE_SQL = """
SELECT coalesce(sum(wait_s), 0)::float8 AS waited,
       count(*) FILTER (WHERE outcome = 'abandoned') AS abandons,
       count(*) AS callers
FROM call_records
WHERE queue = $1 AND enqueued_at >= $2 AND enqueued_at < $3
  AND outcome IN ('answered', 'abandoned') AND wait_s IS NOT NULL
"""

_ACTUALS_SQL = """
SELECT (l)::date AS day,
       ((extract(hour FROM l)::int * 60 + extract(minute FROM l)::int) / $5::int) AS slot,
       count(*) AS calls,
       count(*) FILTER (WHERE answered_at IS NOT NULL AND talk_s IS NOT NULL) AS answered,
       coalesce(sum(talk_s + coalesce(wrapup_s, 0))
                FILTER (WHERE answered_at IS NOT NULL AND talk_s IS NOT NULL), 0)::float8 AS handle_s,
       count(*) FILTER (WHERE answered_at IS NOT NULL AND wait_s <= $6::float8) AS within,
       count(*) FILTER (WHERE outcome = 'abandoned') AS abandoned
FROM (SELECT *, enqueued_at AT TIME ZONE $4::text AS l FROM call_records
      WHERE queue = $1 AND enqueued_at >= $2 AND enqueued_at < $3) c
GROUP BY 1, 2
"""


def target_of(cfg: CcdConfig) -> Target:
    sc = cfg.schedule
    return Target(sc.target_sl, sc.answer_within, shrinkage=sc.shrinkage)


async def load_patience(db: Db, queue: str, window: Window) -> PatienceEstimate:
    r = (await db.fetch(_PATIENCE_SQL, queue, window.start_utc, window.end_utc))[0]
    return estimate_patience(float(r["waited"]), int(r["abandons"]), int(r["callers"]))


async def need_for(
    db: Db, cfg: CcdConfig, queue: str, until: date, model: str | None = None,
) -> tuple[list[NeedRow], dict[str, Any]]:
    """Need per weekday × interval with both models, from the weeks before ``until``."""
    sc = cfg.schedule
    chosen = model or sc.model
    window, rows = await forecast(
        db, queue, cfg.tz, interval_min=sc.interval, weeks=sc.weeks_of_history, until=until,
        target=target_of(cfg))
    meta: dict[str, Any] = {"model": chosen, "history_from": window.first_day.isoformat(),
                            "history_until": window.end_day.isoformat()}
    patience = sc.patience
    if patience is None:
        try:
            est = await load_patience(db, queue, window)
            patience = est.patience_s
            meta["patience"] = {"seconds": round(est.patience_s, 1), "abandons": est.abandons,
                                "callers": est.callers, "low_s": round(est.low_s, 1),
                                "high_s": round(est.high_s, 1), "source": "estimated"}
        except NotEnoughAbandons as exc:
            meta["patience"] = {"source": "none", "reason": str(exc)}
            if chosen == "erlang_a":
                raise ValueError(str(exc)) from exc
    else:
        meta["patience"] = {"seconds": patience, "source": "configured"}
    return need_rows(rows, target_of(cfg), chosen, patience, sc.max_abandon), meta


def solve(cfg: CcdConfig, queue: str, need: list[int], first_day: date, days: int,
          ) -> tuple[Plan, Roster]:
    plan = solve_plan(plan_request(cfg, need, first_day, days))
    roster = solve_roster(plan.shifts, roster_agents(cfg, queue, first_day, days),
                          roster_rules(cfg, queue, first_day, days))
    return plan, roster


def summary(plan: Plan, roster: Roster, meta: dict[str, Any]) -> dict[str, Any]:
    return {
        **meta, "plan_status": plan.status, "optimality_gap": round(plan.optimality_gap, 5),
        "solve_s": round(plan.solve_s + roster.solve_s, 3), "paid_hours": plan.paid_hours,
        "shifts": len(plan.shifts), "shortfall_agent_intervals": round(plan.total_shortfall, 2),
        "roster_status": roster.status, "unfilled_shifts": len(roster.unfilled),
        "preference_score": roster.preference_score, "notes": [*plan.notes, *roster.notes],
    }


async def build_plan(
    db: Any, cfg: CcdConfig, queue: str, first_day: date, days: int, *,
    model: str | None = None, created_by: str | None = None,
) -> tuple[int, int, dict[str, Any]]:
    """Forecast from the history before ``first_day``, plan, roster, store as a draft."""
    if not 1 <= days <= 62:
        raise ValueError("days must be between 1 and 62")
    if queue not in {q.name for q in cfg.queues}:
        raise ValueError(f"unknown queue {queue!r}")
    rows, meta = await need_for(db, cfg, queue, first_day, model)
    need = horizon_need(rows, first_day, days)
    plan, roster = await asyncio.to_thread(solve, cfg, queue, need, first_day, days)
    info = summary(plan, roster, meta) | {"need_by_model": [r.as_dict() for r in rows
                                                            if r.erlang_c or r.erlang_a]}
    shift_rows = store.shift_rows(plan, roster, first_day, cfg.tz)
    plan_id, version = await store.save_draft(
        db, queue=queue, first_day=first_day, days=days, tz=cfg.tz, model=meta["model"],
        plan=plan, rows=shift_rows, summary=info, created_by=created_by)
    return plan_id, version, info


async def backtest_report(
    db: Db, cfg: CcdConfig, queue: str, weeks: int, until: date,
) -> dict[str, Any]:
    """Forecast vs actual for the ``weeks`` whole weeks before ``until``."""
    sc = cfg.schedule
    first = until - timedelta(days=7 * weeks)
    history = Window(cfg.tz, first - timedelta(days=7 * sc.weeks_of_history), until)
    rows = await db.fetch(_ACTUALS_SQL, queue, history.start_utc, history.end_utc,
                          cfg.tz.key, sc.interval, sc.answer_within)
    actuals = [Actual(r["day"], int(r["slot"]), int(r["calls"]), int(r["answered"]),
                      float(r["handle_s"]), int(r["within"]), int(r["abandoned"])) for r in rows]
    out = backtest(actuals, first, until, sc.weeks_of_history, sc.interval,
                   slots_per_day(sc.interval))
    return {"queue": queue, "from": first.isoformat(), "until": until.isoformat(),
            "history_weeks": sc.weeks_of_history, **out}


"""Benchmark: a 4-week shift plan at 30-minute intervals and its roster for 60 agents.

Five shift templates (8 h early with a meal and a coffee break, 8 h late with a meal, 6 h
with a paid break, 4 h part time, 10 h with a meal and a break), a center open 07:00-22:00
with a two-peak weekday need and half of it at weekends. ``solve_s`` is plan + roster;
``optimality_gap`` is the plan's gap as CP-SAT reports it (objective vs. proven bound).

Prints one JSON object as its last line:
  {"bench": "schedule", "weeks": 4, "agents": 60, "templates": 5, "solve_s": ...,
   "optimality_gap": ..., ...}
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ccd.schedule.core.model import DAY_MIN, BreakRule, PlanRequest, ShiftTemplate
from ccd.schedule.core.planner import solve_plan
from ccd.schedule.core.roster import Preference, RosterAgent, RosterRules, solve_roster

INTERVAL = 30
SLOTS = DAY_MIN // INTERVAL


def _need(weeks: int) -> tuple[list[int], list[bool]]:
    need, open_ = [], []
    for day in range(7 * weeks):
        for slot in range(SLOTS):
            h = slot * INTERVAL / 60
            is_open = 7 <= h < 22
            base = 4 + 10 * math.exp(-((h - 11) / 3) ** 2) + 6 * math.exp(-((h - 17) / 2.5) ** 2)
            n = int(base) if is_open else 0
            need.append(n if day % 7 < 5 else n // 2)
            open_.append(is_open)
    return need, open_


def templates() -> list[ShiftTemplate]:
    meal = BreakRule(30, 180, 270, 30)
    return [
        ShiftTemplate("early8", 480, tuple(range(7 * 60, 11 * 60, 30)), (meal, BreakRule(10, 90, 120, 30, True))),
        ShiftTemplate("late8", 480, tuple(range(12 * 60, 14 * 60 + 1, 30)), (meal,)),
        ShiftTemplate("mid6", 360, tuple(range(9 * 60, 16 * 60 + 1, 30)), (BreakRule(15, 150, 210, 30, True),)),
        ShiftTemplate("part4", 240, tuple(range(7 * 60, 18 * 60 + 1, 30))),
        ShiftTemplate("long10", 600, tuple(range(7 * 60, 12 * 60 + 1, 30)), (BreakRule(30, 240, 330, 30), BreakRule(10, 120, 150, 30, True))),
    ]


def agents(n: int) -> list[RosterAgent]:
    out = []
    for i in range(n):
        seniority = "trainee" if i % 10 == 9 else ("senior" if i % 4 == 0 else "regular")
        off = ((3 * DAY_MIN, 5 * DAY_MIN),) if i % 7 == 3 else ()
        prefs = (Preference(2, template="early8"),) if i % 2 else (Preference(-1, weekday=5),)
        out.append(RosterAgent(f"a{i:02d}", seniority, mentor=i == 5, skills=frozenset({"sales"}),
                               min_week_min=16 * 60 if i % 3 == 0 else 0, max_week_min=40 * 60,
                               unavailable=off, preferences=prefs))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="one week instead of four")
    ap.add_argument("--plan-limit", type=float, default=4.0, help="plan solver budget, s")
    ap.add_argument("--roster-limit", type=float, default=4.0, help="roster solver budget, s")
    args = ap.parse_args()
    weeks, n_agents = (1, 60) if args.quick else (4, 60)
    need, open_ = _need(weeks)
    result: dict[str, object] = {"bench": "schedule", "weeks": weeks, "agents": n_agents,
                                 "templates": len(templates())}
    try:
        t0 = time.perf_counter()
        plan = solve_plan(PlanRequest(INTERVAL, need, templates(), open_=open_, time_limit_s=args.plan_limit))
        t1 = time.perf_counter()
        roster = solve_roster(plan.shifts, agents(n_agents), RosterRules(
            skill="sales", horizon_days=7 * weeks, time_limit_s=args.roster_limit))
        t2 = time.perf_counter()
        result |= {
            "solve_s": round(t2 - t0, 3), "plan_s": round(t1 - t0, 3), "roster_s": round(t2 - t1, 3),
            "optimality_gap": round(plan.optimality_gap, 5), "plan_status": plan.status,
            "roster_status": roster.status, "shifts": len(plan.shifts),
            "paid_hours": plan.paid_hours, "shortfall": plan.total_shortfall,
            "assigned": len(roster.assignments), "unfilled": len(roster.unfilled),
            "roster_notes": list(roster.notes),
        }
    except Exception as exc:  # the JSON contract: null figures and the reason
        result |= {"solve_s": None, "optimality_gap": None, "error": repr(exc)}
    print(json.dumps(result))


if __name__ == "__main__":
    main()

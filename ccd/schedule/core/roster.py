"""Roster: the planned shifts given to named agents with CP-SAT (pure).

Hard rules: an agent has the plan's skill, is available for the whole shift (time off),
works at most one shift a day, keeps ``min_rest_min`` between shifts, keeps ``rest_days``
free days in every week of the horizon, and works between their contracted minimum and
maximum paid hours per week (pro rata in a short last week). A shift with a trainee on it
has at least one senior or mentor on the same shift (same template and start). Soft:
preferences (template, start window, days off) add to the objective; an unfilled shift
costs more than every preference together, so shifts stay unfilled only when no agent may
take them; they are reported, not dropped.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Sequence

from ortools.sat.python import cp_model
from ortools.sat.python.cp_model import LinearExpr

from ccd.schedule.core.model import PlannedShift
from ccd.schedule.core.roster_hint import greedy
from ccd.schedule.core.staff import (
    Preference,
    Roster,
    RosterAgent,
    RosterRules,
    eligible,
    week_bounds,
)

__all__ = ["Preference", "Roster", "RosterAgent", "RosterRules", "eligible", "solve_roster",
           "week_bounds"]

def _groups(shifts: Sequence[PlannedShift]) -> dict[tuple[str, int], list[PlannedShift]]:
    out: dict[tuple[str, int], list[PlannedShift]] = defaultdict(list)
    for s in shifts:
        out[(s.template, s.start_min)].append(s)
    return dict(sorted(out.items(), key=lambda kv: (kv[0][1], kv[0][0])))


def _rest_conflicts(firsts: Sequence[PlannedShift], min_rest: int) -> list[tuple[int, int]]:
    """Pairs of shift groups on different days closer than the minimum rest."""
    order = sorted(range(len(firsts)), key=lambda g: firsts[g].start_min)
    starts = [firsts[g].start_min for g in order]
    out = []
    for gi, s in enumerate(firsts):
        for pos in range(bisect_right(starts, s.start_min), len(order)):
            if starts[pos] - s.end_min >= min_rest:
                break
            gj = order[pos]
            if firsts[gj].day != s.day:
                out.append((gi, gj))
    return out


def solve_roster(
    shifts: Sequence[PlannedShift], agents: Sequence[RosterAgent], rules: RosterRules
) -> Roster:
    """Week by week (the rules are weekly; the rest after the previous week's last shift
    carries over), which keeps each model small enough for seconds, not minutes."""
    weeks = -(-rules.horizon_days // 7)
    last_end: dict[str, int] = {}
    assignments: list[tuple[str, PlannedShift]] = []
    unfilled: list[PlannedShift] = []
    score, wall, optimal = 0, 0.0, True
    for w in range(weeks):
        mine = [s for s in shifts if s.day // 7 == w]
        got = _solve_week(mine, agents, rules, w, last_end, rules.time_limit_s / weeks)
        wall += got.solve_s
        if got.status == "infeasible":
            return Roster((), tuple(shifts), "infeasible", 0, wall,
                          (f"week {w + 1}: {got.notes[0]}",))
        optimal = optimal and got.status == "optimal"
        assignments += got.assignments
        unfilled += got.unfilled
        score += got.preference_score
        for a, sh in got.assignments:
            last_end[a] = max(last_end.get(a, sh.end_min), sh.end_min)
    assignments.sort(key=lambda x: (x[1].start_min, x[0]))
    return Roster(tuple(assignments), tuple(unfilled), "optimal" if optimal else "feasible",
                  score, wall)


def _solve_week(
    shifts: Sequence[PlannedShift], agents: Sequence[RosterAgent], rules: RosterRules,
    week: int, last_end: dict[str, int], time_limit_s: float,
) -> Roster:
    groups = _groups(shifts)
    keys = list(groups)
    firsts = [groups[k][0] for k in keys]
    m = cp_model.CpModel()
    y: dict[tuple[int, int], cp_model.IntVar] = {}
    by_group: dict[int, list[tuple[int, cp_model.IntVar]]] = defaultdict(list)
    by_agent: dict[int, list[int]] = defaultdict(list)
    for ai, a in enumerate(agents):
        rested = last_end.get(a.id, -rules.min_rest_min) + rules.min_rest_min
        for gi, first in enumerate(firsts):
            if first.start_min >= rested and eligible(a, first, rules):
                v = y[ai, gi] = m.new_bool_var(f"y{ai}_{gi}")
                by_group[gi].append((ai, v))
                by_agent[ai].append(gi)
    for gi, key in enumerate(keys):
        if by_group[gi]:
            m.add(LinearExpr.sum([v for _, v in by_group[gi]]) <= len(groups[key]))
    conflicts: dict[int, list[int]] = defaultdict(list)
    for gi, gj in _rest_conflicts(firsts, rules.min_rest_min):
        conflicts[gi].append(gj)
    days = [d for d in range(7 * week, min(7 * week + 7, rules.horizon_days))]
    for ai, a in enumerate(agents):
        mine = set(by_agent[ai])
        per_day: dict[int, list[cp_model.IntVar]] = defaultdict(list)
        for gi in mine:
            per_day[firsts[gi].day].append(y[ai, gi])
        for vs in per_day.values():
            if len(vs) > 1:
                m.add_at_most_one(vs)
        for gi in mine:
            for gj in conflicts.get(gi, ()):
                if gj in mine:
                    m.add_bool_or([y[ai, gi].Not(), y[ai, gj].Not()])
        order = sorted(mine)
        paid = LinearExpr.weighted_sum([y[ai, gi] for gi in order],
                                       [firsts[gi].paid_min for gi in order])
        lo, hi = week_bounds(a, week, rules.horizon_days)
        m.add(LinearExpr.sum([y[ai, gi] for gi in order]) <= max(0, len(days) - rules.rest_days))
        m.add(paid >= lo)
        m.add(paid <= hi)
    seniors = {ai for ai, a in enumerate(agents) if a.supervises_trainees}
    for gi in range(len(keys)):
        guard = [v for ai, v in by_group[gi] if ai in seniors]
        for ai, v in by_group[gi]:
            if agents[ai].seniority == "trainee":
                m.add(v <= LinearExpr.sum(guard))
    prefs = []
    for (ai, gi), v in y.items():
        w = sum(p.weight for p in agents[ai].preferences
                if p.matches(firsts[gi], rules.first_weekday))
        if w:
            prefs.append((w, v))
    weight = 1 + sum(abs(w) for w, _ in prefs)
    filled = LinearExpr.sum(list(y.values()))
    m.minimize(-weight * filled - LinearExpr.weighted_sum([v for _, v in prefs],
                                                          [w for w, _ in prefs]))
    hint = greedy([groups[k] for k in keys], agents, rules, week, last_end)
    for pair, v in y.items():
        m.add_hint(v, pair in hint)
    solver = cp_model.CpSolver()
    # most of the budget searches; the rest checks the greedy roster if nothing better came
    solver.parameters.max_time_in_seconds = 0.75 * time_limit_s
    solver.parameters.num_workers = rules.workers
    status = solver.solve(m)
    wall = solver.wall_time
    if status == cp_model.UNKNOWN:  # out of time before a solution: is the greedy one legal?
        solver = cp_model.CpSolver()
        solver.parameters.fix_variables_to_their_hinted_value = True
        solver.parameters.max_time_in_seconds = max(0.5, 0.25 * time_limit_s)
        status = solver.solve(m)
        wall += solver.wall_time
        status = cp_model.FEASIBLE if status == cp_model.OPTIMAL else cp_model.UNKNOWN
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        why = ("the hard rules cannot all hold (e.g. contracted minimum hours above the "
               "shifts on offer)" if status == cp_model.INFEASIBLE else "time limit reached")
        return Roster((), tuple(shifts), "infeasible", 0, wall, (why,))
    assignments: list[tuple[str, PlannedShift]] = []
    left: list[PlannedShift] = []
    for gi, key in enumerate(keys):
        pool = list(groups[key])
        for ai, v in by_group[gi]:
            if solver.value(v):
                assignments.append((agents[ai].id, pool.pop()))
        left += pool
    score = sum(w for w, v in prefs if solver.value(v))
    return Roster(tuple(assignments), tuple(left),
                  "optimal" if status == cp_model.OPTIMAL else "feasible", score, wall)

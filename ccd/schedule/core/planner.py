"""Shift plan: the cheapest set of shifts covering the need, solved with OR-Tools CP-SAT.

Variables: how many shifts of each (template, start, break placement). Coverage per
interval is counted in agent-minutes on the phones (so a 10-minute break inside a
30-minute interval removes a third of an agent), shortfall per interval is a variable
too, so an impossible need (max heads, opening hours) yields the best plan plus the
shortfall instead of no plan. The objective is paid minutes plus, per minute of
shortfall, more than the longest shift costs: a gap is left only where no extra shift
could fill it. Pure: the solver's own time limit is the only clock.
"""

from __future__ import annotations

from dataclasses import dataclass

from ortools.sat.python import cp_model

from ccd.schedule.core.model import DAY_MIN, Plan, PlannedShift, PlanRequest, ShiftTemplate


@dataclass(frozen=True, slots=True)
class Variant:
    template: ShiftTemplate
    start_min: int
    placement: tuple[int, ...]  # break offsets from the start

    def shift(self) -> PlannedShift:
        t = self.template
        breaks = tuple(
            (self.start_min + o, b.length_min)
            for o, b in zip(self.placement, t.breaks, strict=True)
        )
        return PlannedShift(t.name, self.start_min, t.length_min, tuple(sorted(breaks)),
                            t.paid_min)


def variants(req: PlanRequest) -> list[Variant]:
    """Every legal shift in the horizon: allowed start, whole shift inside opening hours."""
    horizon = req.intervals * req.interval_min
    days = -(-horizon // DAY_MIN)
    out: list[Variant] = []
    for t in req.templates:
        placements = t.placements()
        for day in range(days):
            for start in t.starts:
                s = day * DAY_MIN + start
                if s + t.length_min > horizon or not _inside_open(req, s, s + t.length_min):
                    continue
                out += [Variant(t, s, p) for p in placements]
    return out


def _inside_open(req: PlanRequest, lo: int, hi: int) -> bool:
    first, last = lo // req.interval_min, (hi - 1) // req.interval_min
    return all(req.is_open(i) for i in range(first, last + 1))


def shortfall_weight(req: PlanRequest) -> int:
    return max((t.paid_min for t in req.templates), default=0) + 1


class NoPlanInTime(RuntimeError):
    """The solver found no plan at all within its time limit (never for lack of agents:
    an impossible need is shortfall, not failure)."""


@dataclass(frozen=True, slots=True)
class _Block:
    lo: int  # first interval
    hi: int  # one past the last interval
    members: list[int]  # indices into the variant list


def blocks(req: PlanRequest, shifts: list[PlannedShift]) -> list[_Block]:
    """Independent pieces of the horizon: no shift crosses from one into the next (e.g. the
    nights a center is closed), so each is solved alone and identical days only once."""
    L = req.interval_min
    spans = sorted(
        ((sh.start_min // L, -(-sh.end_min // L), k) for k, sh in enumerate(shifts))
    )
    out: list[_Block] = []
    for lo, hi, k in spans:
        if out and lo < out[-1].hi:
            last = out[-1]
            out[-1] = _Block(last.lo, max(last.hi, hi), [*last.members, k])
        else:
            out.append(_Block(lo, hi, [k]))
    return out


@dataclass(frozen=True, slots=True)
class _Solved:
    counts: tuple[int, ...]
    objective: float
    bound: float
    optimal: bool
    wall_s: float


def _solve_block(req: PlanRequest, shifts: list[PlannedShift], blk: _Block,
                 time_limit_s: float) -> _Solved:
    L = req.interval_min
    m = cp_model.CpModel()
    top = max(req.need_at(i) for i in range(blk.lo, blk.hi))
    x = {k: m.new_int_var(0, top + 2, f"x{k}") for k in blk.members}
    worked: dict[int, list[tuple[int, int]]] = {i: [] for i in range(blk.lo, blk.hi)}
    present: dict[int, list[int]] = {i: [] for i in range(blk.lo, blk.hi)}
    for k in blk.members:
        sh = shifts[k]
        for i in range(sh.start_min // L, -(-sh.end_min // L)):
            present[i].append(k)
            w = sh.worked_in(i * L, (i + 1) * L)
            if w > 0:
                worked[i].append((k, w))
    short = []
    for i in range(blk.lo, blk.hi):
        need_min = req.need_at(i) * L
        if need_min:
            s = m.new_int_var(0, need_min, f"s{i}")
            short.append(s)
            m.add(sum(w * x[k] for k, w in worked[i]) + s >= need_min)
        cap = req.max_at(i)
        if cap is not None and present[i]:
            m.add(sum(x[k] for k in present[i]) <= cap)
    m.minimize(sum(shifts[k].paid_min * x[k] for k in blk.members)
               + shortfall_weight(req) * sum(short))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.num_workers = req.workers
    solver.parameters.linearization_level = 2  # the LP bound closes these models fast
    status = solver.solve(m)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):  # only a time-out gets here
        raise NoPlanInTime(f"no shift plan found in {time_limit_s:g} s; raise [schedule].time_limit")
    return _Solved(tuple(solver.value(x[k]) for k in blk.members), solver.objective_value,
                   solver.best_objective_bound, status == cp_model.OPTIMAL, solver.wall_time)


def _signature(req: PlanRequest, vs: list[Variant], blk: _Block) -> tuple[object, ...]:
    base = blk.lo * req.interval_min
    return (
        base % DAY_MIN, blk.hi - blk.lo,
        tuple(req.need_at(i) for i in range(blk.lo, blk.hi)),
        tuple(req.max_at(i) for i in range(blk.lo, blk.hi)),
        tuple((vs[k].template.name, vs[k].start_min - base, vs[k].placement)
              for k in blk.members),
    )


def solve_plan(req: PlanRequest) -> Plan:
    vs = variants(req)
    shifts = [v.shift() for v in vs]
    parts = [b for b in blocks(req, shifts)
             if any(req.need_at(i) for i in range(b.lo, b.hi))]
    cache: dict[tuple[object, ...], _Solved] = {}
    chosen: list[PlannedShift] = []
    objective = bound = wall = 0.0
    optimal = True
    budget = req.time_limit_s / max(1, len({_signature(req, vs, b) for b in parts}))
    for blk in parts:
        key = _signature(req, vs, blk)
        if key not in cache:
            cache[key] = _solve_block(req, shifts, blk, budget)
            wall += cache[key].wall_s
        got = cache[key]
        objective += got.objective
        bound += got.bound
        optimal = optimal and got.optimal
        for k, n in zip(blk.members, got.counts, strict=True):
            chosen += [shifts[k]] * n
    # need where no shift may stand at all is shortfall with nothing to solve
    weight = shortfall_weight(req)
    covered = {i for b in parts for i in range(b.lo, b.hi)}
    lost = sum(req.need_at(i) for i in range(req.intervals) if i not in covered)
    objective += weight * lost * req.interval_min
    bound += weight * lost * req.interval_min
    chosen.sort(key=lambda s: (s.start_min, s.template, s.breaks))
    return plan_from_shifts(
        req, chosen, status="optimal" if optimal else "feasible", objective=objective,
        bound=bound, solve_s=wall,
    )


def coverage_of(shifts: list[PlannedShift], intervals: int, interval_min: int) -> list[float]:
    cov = [0] * intervals
    for sh in shifts:
        for i in range(sh.start_min // interval_min, -(-sh.end_min // interval_min)):
            if i < intervals:
                cov[i] += sh.worked_in(i * interval_min, (i + 1) * interval_min)
    return [c / interval_min for c in cov]


def plan_from_shifts(
    req: PlanRequest, shifts: list[PlannedShift], *, status: str, objective: float,
    bound: float, solve_s: float,
) -> Plan:
    need = tuple(req.need_at(i) for i in range(req.intervals))
    cov = coverage_of(shifts, req.intervals, req.interval_min)
    short = tuple(round(max(0.0, n - c), 4) for n, c in zip(need, cov, strict=True))
    paid = sum(s.paid_min for s in shifts) / 60
    return Plan(req.interval_min, tuple(shifts), need, tuple(cov), short, status, paid,
                objective, bound, solve_s)

"""Shift plans checked by an independent verifier, and optimal against brute force."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccd.schedule.core.model import DAY_MIN, BreakRule, Plan, PlannedShift, PlanRequest, ShiftTemplate
from ccd.schedule.core.planner import shortfall_weight, solve_plan


def verify(req: PlanRequest, plan: Plan) -> None:
    """Written apart from the planner: legal shifts, breaks by the rules, coverage honest."""
    by_name = {t.name: t for t in req.templates}
    L = req.interval_min
    minutes = [0] * req.intervals
    for sh in plan.shifts:
        t = by_name[sh.template]
        _day, start = divmod(sh.start_min, DAY_MIN)
        assert start in t.starts, sh
        assert sh.length_min == t.length_min and sh.paid_min == t.paid_min
        assert sh.end_min <= req.intervals * L
        for i in range(sh.start_min // L, (sh.end_min - 1) // L + 1):
            assert req.open_ is None or req.open_[i], f"{sh} outside opening hours"
        assert len(sh.breaks) == len(t.breaks)
        offsets = sorted((b - sh.start_min, n) for b, n in sh.breaks)
        rules = sorted(t.breaks, key=lambda r: r.earliest_min)
        used = [False] * len(rules)
        for off, n in offsets:  # every break matches a distinct rule
            k = next(k for k, r in enumerate(rules) if not used[k] and r.length_min == n
                     and r.earliest_min <= off <= r.latest_min
                     and (off - r.earliest_min) % r.step_min == 0)
            used[k] = True
            assert off + n <= sh.length_min
        for (a, la), (b, _) in itertools.pairwise(offsets):
            assert a + la <= b, "breaks overlap"
        for minute in range(sh.start_min, sh.end_min):
            if not any(b <= minute < b + n for b, n in sh.breaks):
                minutes[minute // L] += 1
    for i in range(req.intervals):
        floor = 0 if req.min_heads is None else req.min_heads[i]
        need = max(req.need[i], floor) if req.open_ is None or req.open_[i] else 0
        cover = minutes[i] / L
        assert abs(plan.coverage[i] - cover) < 1e-9
        assert abs(plan.shortfall[i] - max(0.0, need - cover)) < 1e-3
        cap = None if req.max_heads is None else req.max_heads[i]
        if cap is not None:
            heads = sum(1 for s in plan.shifts if s.start_min < (i + 1) * L and s.end_min > i * L)
            assert heads <= cap
    assert abs(plan.paid_hours - sum(s.paid_min for s in plan.shifts) / 60) < 1e-9


def brute_force(req: PlanRequest, shifts: list[PlannedShift], limit: int) -> tuple[float, int | None]:
    """Over every multiset of shifts: the least (paid minutes + penalty·shortfall minutes),
    and the least paid minutes of the plans that cover the whole need (None: none does)."""
    L = req.interval_min
    best, cheapest_cover = float("inf"), None
    weight = shortfall_weight(req)
    for counts in itertools.product(range(limit + 1), repeat=len(shifts)):
        cov = [0] * req.intervals
        heads = [0] * req.intervals
        for sh, n in zip(shifts, counts, strict=True):
            for i in range(req.intervals):
                cov[i] += n * sh.worked_in(i * L, (i + 1) * L)
                heads[i] += n * (sh.start_min < (i + 1) * L and sh.end_min > i * L)
        caps = req.max_heads or [None] * req.intervals
        if any(m is not None and h > m for h, m in zip(heads, caps, strict=True)):
            continue
        short = sum(max(0, req.need[i] * L - cov[i]) for i in range(req.intervals))
        paid = sum(n * s.paid_min for s, n in zip(shifts, counts, strict=True))
        best = min(best, paid + weight * short)
        if short == 0 and (cheapest_cover is None or paid < cheapest_cover):
            cheapest_cover = paid
    return best, cheapest_cover


def legal_shifts(req: PlanRequest) -> list[PlannedShift]:
    """Every legal shift, enumerated here from the templates (not by the planner's code):
    an allowed start on some day, the whole shift in the horizon and in opening hours, each
    break on its rule's grid within its window, inside the shift, no two overlapping."""
    L, horizon = req.interval_min, req.intervals * req.interval_min
    out = []
    for t in req.templates:
        grids = [range(b.earliest_min, b.latest_min + 1, b.step_min) for b in t.breaks]
        for day in range(-(-horizon // DAY_MIN)):
            for tod in t.starts:
                start = day * DAY_MIN + tod
                end = start + t.length_min
                if end > horizon or not all(req.open_ is None or req.open_[m // L]
                                            for m in range(start, end)):
                    continue
                for offs in itertools.product(*grids):
                    spans = sorted((o, b.length_min) for o, b in zip(offs, t.breaks, strict=True))
                    if any(o + n > t.length_min for o, n in spans):
                        continue
                    if any(a + n > b for (a, n), (b, _) in itertools.pairwise(spans)):
                        continue
                    out.append(PlannedShift(t.name, start, t.length_min,
                                            tuple((start + o, n) for o, n in spans), t.paid_min))
    return out


SMALL = [
    ShiftTemplate("two", 120, (0, 60)),
    ShiftTemplate("three", 180, (0, 60), (BreakRule(60, 60, 120, 60),)),
]


@settings(max_examples=15, deadline=None)
@given(need=st.lists(st.integers(0, 2), min_size=5, max_size=5),
       cap=st.none() | st.integers(1, 3))
def test_small_plans_are_optimal_by_brute_force(need: list[int], cap: int | None) -> None:
    req = PlanRequest(60, need, SMALL, max_heads=None if cap is None else [cap] * 5)
    plan = solve_plan(req)
    verify(req, plan)
    assert plan.status == "optimal"
    best, cheapest_cover = brute_force(req, legal_shifts(req), limit=3)
    assert plan.objective == pytest.approx(best, abs=1e-6)  # sums of float block objectives
    if cheapest_cover is not None:  # the need can be met: met, at the least paid hours
        assert plan.total_shortfall == 0
        assert round(plan.paid_hours * 60) == cheapest_cover
    else:
        assert plan.total_shortfall > 0


def test_breaks_follow_the_rules_and_the_need_is_covered() -> None:
    meal = BreakRule(30, 180, 270, 30)
    coffee = BreakRule(10, 60, 120, 30, paid=True)
    eight = ShiftTemplate("eight", 480, tuple(range(7 * 60, 12 * 60, 30)), (meal, coffee))
    four = ShiftTemplate("four", 240, tuple(range(7 * 60, 18 * 60, 60)))
    need = [0] * 14 + [3, 4, 6, 6, 8, 8, 7, 7, 6, 6, 5, 5, 6, 7, 7, 6, 5, 4, 3, 3, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    open_ = [14 <= i < 36 for i in range(48)]
    req = PlanRequest(30, need, [eight, four], open_=open_)
    plan = solve_plan(req)
    verify(req, plan)
    assert plan.total_shortfall == 0
    assert eight.paid_min == 450 and four.paid_min == 240


def test_impossible_need_reports_the_shortfall_instead_of_failing() -> None:
    t = ShiftTemplate("two", 120, (0, 60, 120))
    need = [3, 3, 3, 5]
    req = PlanRequest(60, need, [t], max_heads=[2, 2, 2, 2])
    plan = solve_plan(req)
    verify(req, plan)
    assert plan.shortfall == (1.0, 1.0, 1.0, 3.0)
    # closed hours: need there is dropped, and need with no legal shift is all shortfall
    req = PlanRequest(60, [1, 1, 1, 1], [ShiftTemplate("three", 180, (0,))], open_=[True, True, False, True])
    plan = solve_plan(req)
    verify(req, plan)
    assert plan.shifts == () and plan.shortfall == (1.0, 1.0, 0.0, 1.0)


def test_identical_days_get_identical_shifts() -> None:
    t = ShiftTemplate("four", 240, (8 * 60, 10 * 60, 12 * 60))
    day = [0] * 16 + [2] * 8 + [0] * 24
    req = PlanRequest(30, day * 3, [t], open_=[16 <= i % 48 < 40 for i in range(48 * 3)])
    plan = solve_plan(req)
    verify(req, plan)
    per_day = [sorted(s.start_min % DAY_MIN for s in plan.shifts if s.day == d) for d in range(3)]
    assert per_day[0] == per_day[1] == per_day[2] and plan.total_shortfall == 0


@settings(max_examples=20, deadline=None)
@given(
    interval=st.sampled_from([15, 30]),
    need=st.lists(st.integers(0, 4), min_size=12, max_size=12),
    open_from=st.integers(0, 3),
    cap=st.none() | st.lists(st.none() | st.integers(1, 4), min_size=12, max_size=12),
    floor=st.none() | st.lists(st.integers(0, 2), min_size=12, max_size=12),
)
def test_random_plans_pass_the_verifier(interval: int, need: list[int], open_from: int,
                                        cap: list[int | None] | None,
                                        floor: list[int] | None) -> None:
    """Any need, any interval, min/max heads varying per interval: legal shifts and breaks,
    honest coverage and shortfall, caps kept."""
    per_hour = 60 // interval

    def per_block(xs: list[int | None] | list[int]) -> list[int | None]:  # one value per 2 hours
        return [xs[i // per_hour // 2] for i in range(24 * per_hour)]

    need_iv = [n or 0 for n in per_block(need)]
    open_ = [open_from * 60 + 360 <= i * interval < 22 * 60 for i in range(len(need_iv))]
    templates = [
        ShiftTemplate("six", 360, tuple(range(6 * 60, 16 * 60 + 1, 60)),
                      (BreakRule(30, 120, 210, 30), BreakRule(15, 60, 90, 15, paid=True))),
        ShiftTemplate("three", 180, tuple(range(6 * 60, 19 * 60 + 1, 60))),
    ]
    req = PlanRequest(interval, need_iv, templates, open_=open_,
                      max_heads=None if cap is None else per_block(cap),
                      min_heads=None if floor is None else [f or 0 for f in per_block(floor)],
                      time_limit_s=20)
    plan = solve_plan(req)
    verify(req, plan)
    # every open interval can be reached by some shift, so without a head cap nothing is short
    if cap is None:
        assert plan.total_shortfall == 0

"""Roster hard rules as properties over random agents, time off and shifts."""

from __future__ import annotations

import itertools
from collections import Counter

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ccd.schedule.core.model import DAY_MIN, BreakRule, PlannedShift, PlanRequest, ShiftTemplate
from ccd.schedule.core.planner import solve_plan
from ccd.schedule.core.roster import Preference, Roster, RosterAgent, RosterRules, solve_roster, week_bounds

TEMPLATES = {"early": (6 * 60, 480, 450), "late": (14 * 60, 480, 450), "short": (9 * 60, 240, 240),
             "night": (22 * 60, 480, 480)}


def _shift(name: str, day: int) -> PlannedShift:
    start, length, paid = TEMPLATES[name]
    return PlannedShift(name, day * DAY_MIN + start, length, (), paid)


def check(shifts: list[PlannedShift], agents: list[RosterAgent], rules: RosterRules, r: Roster) -> None:
    """The hard rules, checked from the output alone."""
    by_id = {a.id: a for a in agents}
    assert Counter(s for _, s in r.assignments) + Counter(r.unfilled) == Counter(shifts)
    for a in agents:
        mine = sorted(r.for_agent(a.id), key=lambda s: s.start_min)
        for s in mine:
            assert rules.skill is None or rules.skill in a.skills
            assert all(e <= s.start_min or b >= s.end_min for b, e in a.unavailable), "time off"
        for s, t in itertools.pairwise(mine):
            assert t.day != s.day, "two shifts in a day"
            assert t.start_min - s.end_min >= rules.min_rest_min, "rest between shifts"
        for w in range(-(-rules.horizon_days // 7)):
            week = [s for s in mine if s.day // 7 == w]
            days = min(7, rules.horizon_days - 7 * w)
            assert len({s.day for s in week}) <= days - rules.rest_days, "rest days"
            lo, hi = week_bounds(a, w, rules.horizon_days)
            assert lo <= sum(s.paid_min for s in week) <= hi, "contracted hours"
    on_shift: dict[tuple[str, int], list[RosterAgent]] = {}
    for agent_id, s in r.assignments:
        on_shift.setdefault((s.template, s.start_min), []).append(by_id[agent_id])
    for crew in on_shift.values():
        if any(a.seniority == "trainee" for a in crew):
            assert any(a.seniority == "senior" or a.mentor for a in crew), "trainee alone"


def could_take(a: RosterAgent, s: PlannedShift, r: Roster, rules: RosterRules,
               agents: list[RosterAgent]) -> bool:
    """Would the roster still keep every rule with ``a`` also on ``s``?"""
    left = list(r.unfilled)
    left.remove(s)
    trial = Roster((*r.assignments, (a.id, s)), tuple(left), r.status, 0, 0.0)
    try:
        check(left + [s] + [x for _, x in r.assignments], agents, rules, trial)
    except AssertionError:
        return False
    return True


# Contract minimums are rare and small (and only for agents who can take the shifts), so most
# random cases are feasible and the rules below are really exercised, not skipped.
agent_st = st.builds(
    lambda i, sen, mentor, skill, lo, hi, off, hours, pref: RosterAgent(
        f"a{i}", sen, mentor, frozenset({"sales"} if skill else {"support"}), lo * 60 if skill else 0,
        max(lo, hi) * 60, tuple((d * DAY_MIN, (d + 1) * DAY_MIN) for d in off)
        + tuple((d * DAY_MIN + h * 60, d * DAY_MIN + (h + n) * 60) for d, h, n in hours),
        (Preference(pref, template="early"),) if pref else ()),
    st.integers(0, 10**6), st.sampled_from(["senior", "regular", "trainee"]), st.booleans(),
    st.booleans() | st.just(True), st.sampled_from([0, 0, 0, 0, 4]), st.integers(8, 40),
    st.sets(st.integers(0, 9), max_size=3),
    # unavailable hours within a day (weekly availability, appointments)
    st.lists(st.tuples(st.integers(0, 9), st.integers(0, 20), st.integers(1, 8)), max_size=2),
    st.integers(-2, 2),
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    agents=st.lists(agent_st, min_size=1, max_size=7, unique_by=lambda a: a.id),
    plan=st.lists(st.tuples(st.sampled_from(sorted(TEMPLATES)), st.integers(0, 9)), max_size=25),
    rest=st.sampled_from([8 * 60, 11 * 60, 16 * 60]),
    rest_days=st.integers(0, 3),
)
def test_roster_keeps_every_hard_rule(agents: list[RosterAgent], plan: list[tuple[str, int]],
                                      rest: int, rest_days: int) -> None:
    shifts = [_shift(n, d) for n, d in plan]
    rules = RosterRules(min_rest_min=rest, rest_days=rest_days, skill="sales", horizon_days=10,
                        time_limit_s=5)
    r = solve_roster(shifts, agents, rules)
    if all(a.min_week_min == 0 for a in agents):  # nothing to do is always legal
        assert r.status != "infeasible", r.notes
    if r.status == "infeasible":
        return
    event("feasible")
    check(shifts, agents, rules, r)
    if r.status == "optimal":  # a shift is left open only if nobody may take it
        for s in r.unfilled:
            assert not any(could_take(a, s, r, rules, agents) for a in agents)


def test_trainee_gets_a_senior_and_preferences_count() -> None:
    shifts = [_shift("early", 0), _shift("early", 0), _shift("late", 0)]
    agents = [
        RosterAgent("t", "trainee", skills=frozenset({"q"})),
        RosterAgent("s", "senior", skills=frozenset({"q"}), preferences=(Preference(3, template="early"),)),
        RosterAgent("r", "regular", skills=frozenset({"q"}), preferences=(Preference(1, template="late"),)),
    ]
    r = solve_roster(shifts, agents, RosterRules(skill="q", horizon_days=1, rest_days=0))
    assert r.status == "optimal" and len(r.unfilled) == 0
    assert {s.template for s in r.for_agent("t")} == {"early"}
    assert {s.template for s in r.for_agent("s")} == {"early"}
    assert r.preference_score == 4


def test_contract_minimum_that_cannot_hold_is_reported() -> None:
    agents = [RosterAgent("a", skills=frozenset({"q"}), min_week_min=40 * 60)]
    r = solve_roster([_shift("short", 0)], agents, RosterRules(skill="q", horizon_days=7))
    assert r.status == "infeasible" and "week 1" in r.notes[0]


EIGHT = ShiftTemplate("eight", 480, tuple(range(6 * 60, 14 * 60 + 1, 60)), (BreakRule(30, 180, 270, 30),))
FOUR = ShiftTemplate("four", 240, tuple(range(6 * 60, 18 * 60 + 1, 60)))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    agents=st.lists(agent_st, min_size=1, max_size=8, unique_by=lambda a: a.id),
    need=st.lists(st.integers(0, 3), min_size=8, max_size=8),
    weekend=st.integers(0, 2),
    rest_days=st.integers(0, 3),
)
def test_roster_of_a_planned_need_keeps_every_hard_rule(
    agents: list[RosterAgent], need: list[int], weekend: int, rest_days: int,
) -> None:
    """Random need -> shift plan (CP-SAT) -> roster: the same hard rules hold on real plans
    (breaks, two templates, shifts from a need rather than drawn at random)."""
    open_day = [12 <= s < 44 for s in range(48)]  # 06:00-22:00
    week: list[int] = []
    for d in range(7):
        scale = 1 if d < 5 else weekend
        week += [need[(s - 12) // 4] * scale if open_day[s] else 0 for s in range(48)]
    plan = solve_plan(PlanRequest(30, week, [EIGHT, FOUR], open_=open_day * 7, time_limit_s=5))
    shifts = list(plan.shifts)
    rules = RosterRules(min_rest_min=11 * 60, rest_days=rest_days, skill="sales", horizon_days=7,
                        time_limit_s=5)
    r = solve_roster(shifts, agents, rules)
    if all(a.min_week_min == 0 for a in agents):
        assert r.status != "infeasible", r.notes
    if r.status == "infeasible":
        return
    event("feasible")
    check(shifts, agents, rules, r)
    if r.status == "optimal":
        for s in set(r.unfilled):
            assert not any(could_take(a, s, r, rules, agents) for a in agents)

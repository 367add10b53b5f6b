"""A first roster, handed to CP-SAT as a hint so it starts from a full solution.

Greedy shift by shift (in time order): the eligible agent furthest below their contracted
minimum takes it, never breaking a hard rule; trainees only join a shift that already has
a senior or mentor. Then a repair pass hands shifts from agents above their minimum to
agents still below it. The result may still miss a minimum; the solver fixes that.
"""

from __future__ import annotations

from collections.abc import Sequence

from ccd.schedule.core.model import PlannedShift
from ccd.schedule.core.staff import RosterAgent, RosterRules, eligible, week_bounds


class _State:
    def __init__(self, groups: Sequence[Sequence[PlannedShift]], agents: Sequence[RosterAgent],
                 rules: RosterRules, week: int, last_end: dict[str, int]) -> None:
        self.groups, self.agents, self.rules, self.week = groups, agents, rules, week
        self.last_end = last_end
        self.crews: list[list[int]] = [[] for _ in groups]
        self.mine: dict[int, set[int]] = {ai: set() for ai in range(len(agents))}
        self.span = min(7, rules.horizon_days - 7 * week)
        self.paid = dict.fromkeys(range(len(agents)), 0)
        self.bounds = [week_bounds(a, week, rules.horizon_days) for a in agents]

    def deficit(self, ai: int) -> int:
        return self.paid[ai] - self.bounds[ai][0]

    def can_take(self, ai: int, gi: int, without: int | None = None) -> bool:
        a, s, r = self.agents[ai], self.groups[gi][0], self.rules
        if not eligible(a, s, r) or gi in self.mine[ai]:
            return False
        end = self.last_end.get(a.id)
        if end is not None and s.start_min - end < r.min_rest_min:
            return False
        for g in self.mine[ai]:
            t = self.groups[g][0]
            if t.day == s.day or (t.start_min - s.end_min < r.min_rest_min
                                  and s.start_min - t.end_min < r.min_rest_min):
                return False
        if len(self.mine[ai]) + 1 > self.span - r.rest_days:
            return False
        if self.paid[ai] + s.paid_min > self.bounds[ai][1]:
            return False
        crew = [c for c in self.crews[gi] if c != without]
        has_senior = any(self.agents[c].supervises_trainees for c in crew)
        if a.seniority == "trainee" and not has_senior:
            return False
        trainees = any(self.agents[c].seniority == "trainee" for c in crew)
        return not (trainees and not has_senior and not a.supervises_trainees)

    def put(self, ai: int, gi: int) -> None:
        self.crews[gi].append(ai)
        self.mine[ai].add(gi)
        self.paid[ai] += self.groups[gi][0].paid_min

    def drop(self, ai: int, gi: int) -> None:
        self.crews[gi].remove(ai)
        self.mine[ai].discard(gi)
        self.paid[ai] -= self.groups[gi][0].paid_min


def greedy(
    groups: Sequence[Sequence[PlannedShift]], agents: Sequence[RosterAgent], rules: RosterRules,
    week: int, last_end: dict[str, int],
) -> set[tuple[int, int]]:
    """(agent index, group index) pairs of a roster that keeps every rule but the minimum."""
    st = _State(groups, agents, rules, week, last_end)
    for gi, group in enumerate(groups):
        order = sorted(range(len(agents)), key=lambda ai: (
            not agents[ai].supervises_trainees, st.deficit(ai)))
        for ai in order:
            if len(st.crews[gi]) < len(group) and st.deficit(ai) < 0 and st.can_take(ai, gi):
                st.put(ai, gi)
        for ai in order:
            if len(st.crews[gi]) < len(group) and st.can_take(ai, gi):
                st.put(ai, gi)
    for ai in sorted(range(len(agents)), key=st.deficit):
        for gi in range(len(groups)):
            if st.deficit(ai) >= 0:
                break
            for donor in list(st.crews[gi]):
                s = groups[gi][0]
                if st.deficit(donor) - s.paid_min >= 0 and donor != ai:
                    st.drop(donor, gi)
                    if st.can_take(ai, gi):
                        st.put(ai, gi)
                        break
                    st.put(donor, gi)
    return {(ai, gi) for gi, crew in enumerate(st.crews) for ai in crew}

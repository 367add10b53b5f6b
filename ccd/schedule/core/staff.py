"""The roster's vocabulary: agents, their wishes, the rules, the result (pure data).

Kept apart from the solver so the shells (storage, metrics) load without OR-Tools.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ccd.schedule.core.model import DAY_MIN, PlannedShift


@dataclass(frozen=True, slots=True)
class Preference:
    weight: int  # > 0 wish, < 0 dislike
    template: str | None = None
    weekday: int | None = None  # of the horizon day (0 = the horizon's first weekday + ...)
    start_from_min: int | None = None  # start time of day window
    start_to_min: int | None = None

    def matches(self, sh: PlannedShift, first_weekday: int) -> bool:
        if self.template is not None and sh.template != self.template:
            return False
        if self.weekday is not None and (first_weekday + sh.day) % 7 != self.weekday:
            return False
        tod = sh.start_min % DAY_MIN
        if self.start_from_min is not None and tod < self.start_from_min:
            return False
        return self.start_to_min is None or tod <= self.start_to_min


@dataclass(frozen=True, slots=True)
class RosterAgent:
    id: str
    seniority: str = "regular"  # senior | regular | trainee
    mentor: bool = False
    skills: frozenset[str] = frozenset()
    min_week_min: int = 0  # contracted paid minutes per week, lower and upper bound
    max_week_min: int = 40 * 60
    unavailable: tuple[tuple[int, int], ...] = ()  # [start, end) minutes: time off
    preferences: tuple[Preference, ...] = ()

    @property
    def supervises_trainees(self) -> bool:
        return self.seniority == "senior" or self.mentor


@dataclass(frozen=True, slots=True)
class RosterRules:
    min_rest_min: int = 11 * 60
    rest_days: int = 2  # free days per week
    skill: str | None = None  # the queue/team the plan staffs; None = anyone
    first_weekday: int = 0  # weekday of the horizon's first day (for preferences)
    horizon_days: int = 7
    time_limit_s: float = 10.0
    workers: int = 2


@dataclass(frozen=True, slots=True)
class Roster:
    assignments: tuple[tuple[str, PlannedShift], ...]  # (agent id, shift), by start
    unfilled: tuple[PlannedShift, ...]
    status: str  # optimal | feasible | infeasible
    preference_score: int
    solve_s: float
    notes: tuple[str, ...] = field(default=())

    def for_agent(self, agent_id: str) -> list[PlannedShift]:
        return [s for a, s in self.assignments if a == agent_id]


def eligible(agent: RosterAgent, sh: PlannedShift, rules: RosterRules) -> bool:
    if rules.skill is not None and rules.skill not in agent.skills:
        return False
    return all(e <= sh.start_min or b >= sh.end_min for b, e in agent.unavailable)


def week_bounds(agent: RosterAgent, week: int, days: int) -> tuple[int, int]:
    """Contracted minutes for week ``week`` of a ``days``-day horizon (pro rata if short)."""
    in_week = min(7, days - 7 * week)
    return agent.min_week_min * in_week // 7, agent.max_week_min

"""The shift-planning vocabulary: templates, break rules, the need, and planned shifts.

Times are minutes from the start of the planning horizon (local midnight of its first
day); the horizon is cut into intervals of ``interval_min`` minutes. Pure data.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

DAY_MIN = 24 * 60


@dataclass(frozen=True, slots=True)
class BreakRule:
    """A break of ``length_min`` starting between ``earliest_min`` and ``latest_min``
    after the shift starts (e.g. a 30-minute meal between hours 3 and 5 of the shift:
    length 30, earliest 180, latest 270), on a grid of ``step_min``; ``paid`` breaks count
    as paid time (coffee breaks), unpaid ones (meals) do not."""

    length_min: int
    earliest_min: int
    latest_min: int
    step_min: int = 30
    paid: bool = False

    def offsets(self) -> list[int]:
        return list(range(self.earliest_min, self.latest_min + 1, self.step_min))


@dataclass(frozen=True, slots=True)
class ShiftTemplate:
    name: str
    length_min: int
    starts: tuple[int, ...]  # allowed start times, minutes after local midnight
    breaks: tuple[BreakRule, ...] = ()

    @property
    def paid_min(self) -> int:
        return self.length_min - sum(b.length_min for b in self.breaks if not b.paid)

    def placements(self) -> list[tuple[int, ...]]:
        """Every legal choice of break offsets: in their windows, in order, no overlap."""
        out = []
        for combo in itertools.product(*(b.offsets() for b in self.breaks)):
            spans = sorted(zip(combo, (b.length_min for b in self.breaks), strict=True))
            if all(a + la <= b for (a, la), (b, _) in itertools.pairwise(spans)) and all(
                o + b.length_min <= self.length_min
                for o, b in zip(combo, self.breaks, strict=True)
            ):
                out.append(combo)
        return out


@dataclass(frozen=True, slots=True)
class PlanRequest:
    """Need and limits per interval over ``days`` days from a local midnight."""

    interval_min: int
    need: Sequence[int]  # agents needed per interval (len = days * intervals per day)
    templates: Sequence[ShiftTemplate]
    open_: Sequence[bool] | None = None  # interval within opening hours; None = always
    min_heads: Sequence[int] | None = None
    max_heads: Sequence[int | None] | None = None  # None (per interval or all): no cap
    time_limit_s: float = 10.0
    workers: int = 2

    @property
    def intervals(self) -> int:
        return len(self.need)

    def is_open(self, i: int) -> bool:
        return self.open_ is None or self.open_[i]

    def need_at(self, i: int) -> int:
        lo = self.min_heads[i] if self.min_heads is not None else 0
        return max(self.need[i], lo) if self.is_open(i) else 0

    def max_at(self, i: int) -> int | None:
        if not self.is_open(i):
            return 0
        return None if self.max_heads is None else self.max_heads[i]


@dataclass(frozen=True, slots=True)
class PlannedShift:
    template: str
    start_min: int  # from the horizon start
    length_min: int
    breaks: tuple[tuple[int, int], ...]  # (start, length), absolute minutes
    paid_min: int

    @property
    def end_min(self) -> int:
        return self.start_min + self.length_min

    @property
    def day(self) -> int:
        return self.start_min // DAY_MIN

    def worked_in(self, lo: int, hi: int) -> int:
        """Minutes on the phones within [lo, hi)."""
        total = max(0, min(hi, self.end_min) - max(lo, self.start_min))
        for b, length in self.breaks:
            total -= max(0, min(hi, b + length) - max(lo, b))
        return total


@dataclass(frozen=True, slots=True)
class Plan:
    interval_min: int
    shifts: tuple[PlannedShift, ...]
    need: tuple[int, ...]
    coverage: tuple[float, ...]  # agents on the phones per interval (minutes / interval)
    shortfall: tuple[float, ...]  # need not met per interval (0 where covered)
    status: str  # optimal | feasible | infeasible
    paid_hours: float
    objective: float  # paid minutes + a penalty per minute of shortfall
    best_bound: float  # the solver's proven lower bound on the objective
    solve_s: float
    notes: tuple[str, ...] = field(default=())

    @property
    def optimality_gap(self) -> float:
        if self.objective <= 0:
            return 0.0
        return max(0.0, (self.objective - self.best_bound) / self.objective)

    @property
    def total_shortfall(self) -> float:
        return sum(self.shortfall)

"""Rating statistics: pure maths over rating rows, and CSV / JSON renderers.

Definitions (one place, so reports, the CLI and the API agree):
- *offered*: the survey was played to the caller: outcome rated, no_response or abandoned
  (``not_offered`` rows are counted apart and never in a rate);
- *response rate* = rated / offered (None when nothing was offered);
- *average* = mean score of rated rows (None when none); *distribution*: count per score
  1..N, N = max(scale_max, highest score seen), so no score is ever dropped;
- a row in several teams counts once in each team; a row with no team is in team "".
- *ranking*: agents by average (desc), then rated count (desc); equal on both share a rank
  (1, 2, 2, 4); agent id orders within a tie. Agents with fewer than ``min_rated`` ratings
  are left out.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from fractions import Fraction
from typing import Any, Final, Literal

from ccd.events import RATING_RESULT, DomainEvent, RatingResult
from ccd.rating_ivr.core.actions import ABANDONED, NO_RESPONSE, NOT_OFFERED, OUTCOMES, RATED

Dimension = Literal["queue", "agent", "team", "period"]
Period = Literal["hour", "day", "week", "month"]
DIMENSIONS: Final[tuple[Dimension, ...]] = ("queue", "agent", "team", "period")
_OFFERED: Final = frozenset({RATED, NO_RESPONSE, ABANDONED})


@dataclass(frozen=True, slots=True)
class RatingRow:
    call_id: str
    agent_id: str | None
    queue: str | None
    teams: tuple[str, ...]
    outcome: str
    score: int | None
    ts: datetime  # aware

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"{self.call_id}: unknown outcome {self.outcome!r}")
        if (self.outcome == RATED) != (self.score is not None):
            raise ValueError(f"{self.call_id}: a score goes with outcome 'rated' only")
        if self.score is not None and self.score < 1:
            raise ValueError(f"{self.call_id}: score {self.score} below 1")
        if self.ts.tzinfo is None:
            raise ValueError(f"{self.call_id}: naive timestamp")

    @classmethod
    def from_event(cls, ev: DomainEvent, teams: Iterable[str] = ()) -> RatingRow:
        if not isinstance(ev, RatingResult):
            raise ValueError(f"not a {RATING_RESULT} event: {ev.type}")
        return cls(ev.call_id or "", ev.agent_id, ev.queue, tuple(teams), ev.outcome, ev.score, ev.ts)


@dataclass(frozen=True, slots=True)
class GroupStats:
    key: tuple[str, ...]  # values of the requested dimensions, in order
    offered: int
    rated: int
    no_response: int
    abandoned: int
    not_offered: int
    score_sum: int
    distribution: tuple[int, ...]  # index i = count of score i + 1

    @property
    def response_rate(self) -> float | None:
        return self.rated / self.offered if self.offered else None

    @property
    def average(self) -> float | None:
        return self.score_sum / self.rated if self.rated else None


@dataclass(frozen=True, slots=True)
class RankEntry:
    rank: int
    agent_id: str
    average: float
    rated: int
    offered: int
    response_rate: float | None


def period_key(ts: datetime, period: Period, tz: tzinfo = UTC) -> str:
    """The bucket label of ``ts`` in ``tz``: 2024-05-01T13, 2024-05-01, 2024-W18, 2024-05."""
    local = ts.astimezone(tz)
    if period == "hour":
        return local.strftime("%Y-%m-%dT%H")
    if period == "day":
        return local.strftime("%Y-%m-%d")
    if period == "week":
        year, week, _ = local.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "month":
        return local.strftime("%Y-%m")
    raise ValueError(f"unknown period {period!r}")


def _keys(row: RatingRow, by: Sequence[Dimension], period: Period, tz: tzinfo) -> list[tuple[str, ...]]:
    keys: list[tuple[str, ...]] = [()]
    for dim in by:
        if dim == "team":
            values: Sequence[str] = sorted(set(row.teams)) or ("",)
        elif dim == "queue":
            values = (row.queue or "",)
        elif dim == "agent":
            values = (row.agent_id or "",)
        elif dim == "period":
            values = (period_key(row.ts, period, tz),)
        else:
            raise ValueError(f"unknown dimension {dim!r}; known: {DIMENSIONS}")
        keys = [(*k, v) for k in keys for v in values]
    return keys


def group_stats(
    rows: Iterable[RatingRow],
    by: Sequence[Dimension] = (),
    *,
    scale_max: int = 5,
    period: Period = "day",
    tz: tzinfo = UTC,
) -> list[GroupStats]:
    """Statistics per group (``by=()``: one overall group), sorted by key."""
    rows = list(rows)
    top = max([scale_max, *(r.score for r in rows if r.score is not None)])
    acc: dict[tuple[str, ...], dict[str, Any]] = {}
    for row in rows:
        for key in _keys(row, by, period, tz):
            a = acc.setdefault(key, {o: 0 for o in OUTCOMES} | {"sum": 0, "dist": [0] * top})
            a[row.outcome] += 1
            if row.score is not None:
                a["sum"] += row.score
                a["dist"][row.score - 1] += 1
    return [
        GroupStats(
            key=key,
            offered=a[RATED] + a[NO_RESPONSE] + a[ABANDONED],
            rated=a[RATED],
            no_response=a[NO_RESPONSE],
            abandoned=a[ABANDONED],
            not_offered=a[NOT_OFFERED],
            score_sum=a["sum"],
            distribution=tuple(a["dist"]),
        )
        for key, a in sorted(acc.items())
    ]


def agent_ranking(rows: Iterable[RatingRow], *, min_rated: int = 1) -> list[RankEntry]:
    """Agents ranked by average score, ties by number of ratings (see module doc)."""
    groups = [g for g in group_stats(rows, ("agent",)) if g.key[0] and g.rated >= max(1, min_rated)]
    # Fraction: exact averages, so 4/3 and 8/6 compare equal.
    groups.sort(key=lambda g: (-Fraction(g.score_sum, g.rated), -g.rated, g.key[0]))
    ranking: list[RankEntry] = []
    for i, g in enumerate(groups):
        prev = groups[i - 1] if i else None
        # Same count and same sum <=> same average and same count: a shared rank.
        tied = prev is not None and (prev.rated, prev.score_sum) == (g.rated, g.score_sum)
        rank = ranking[-1].rank if tied else i + 1
        ranking.append(RankEntry(rank, g.key[0], g.score_sum / g.rated, g.rated, g.offered, g.response_rate))
    return ranking


def _round(x: float | None, digits: int) -> float | None:
    return None if x is None else round(x, digits)


def group_record(g: GroupStats, by: Sequence[Dimension]) -> dict[str, Any]:
    """One group as a flat, JSON-ready dict (rates rounded to 4, averages to 3 places)."""
    rec: dict[str, Any] = dict(zip(by, g.key, strict=True))
    rec.update(
        offered=g.offered,
        rated=g.rated,
        no_response=g.no_response,
        abandoned=g.abandoned,
        not_offered=g.not_offered,
        response_rate=_round(g.response_rate, 4),
        average=_round(g.average, 3),
        distribution={str(i + 1): n for i, n in enumerate(g.distribution)},
    )
    return rec


def render_json(
    groups: Sequence[GroupStats], by: Sequence[Dimension], ranking: Sequence[RankEntry] | None = None
) -> str:
    doc: dict[str, Any] = {"group_by": list(by), "groups": [group_record(g, by) for g in groups]}
    if ranking is not None:
        doc["ranking"] = [
            {
                "rank": r.rank,
                "agent": r.agent_id,
                "average": round(r.average, 3),
                "rated": r.rated,
                "offered": r.offered,
                "response_rate": _round(r.response_rate, 4),
            }
            for r in ranking
        ]
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def _csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for row in rows:
        w.writerow(["" if v is None else v for v in row])
    return buf.getvalue()


def render_csv(groups: Sequence[GroupStats], by: Sequence[Dimension]) -> str:
    """One line per group; empty cells for undefined rates; score columns s1..sN."""
    n = max((len(g.distribution) for g in groups), default=0)
    header = [
        *by,
        "offered",
        "rated",
        "no_response",
        "abandoned",
        "not_offered",
        "response_rate",
        "average",
        *(f"s{i}" for i in range(1, n + 1)),
    ]
    return _csv(
        header,
        (
            [
                *g.key,
                g.offered,
                g.rated,
                g.no_response,
                g.abandoned,
                g.not_offered,
                _round(g.response_rate, 4),
                _round(g.average, 3),
                *g.distribution,
            ]
            for g in groups
        ),
    )


def render_ranking_csv(ranking: Sequence[RankEntry]) -> str:
    return _csv(
        ["rank", "agent", "average", "rated", "offered", "response_rate"],
        (
            [r.rank, r.agent_id, round(r.average, 3), r.rated, r.offered, _round(r.response_rate, 4)]
            for r in ranking
        ),
    )

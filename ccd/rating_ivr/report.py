"""Rating statistics from the store: load survey results for a period and hand them to the
pure statistics in ``stats.py`` (used by `ccd ratings` and the HTTP API)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from ccd.rating_ivr.core.stats import (
    Dimension,
    Period,
    RatingRow,
    agent_ranking,
    group_record,
    group_stats,
    render_csv,
    render_json,
    render_ranking_csv,
)

_ROWS = """
SELECT call_id, agent_id, queue, outcome, score, ts FROM ratings
WHERE ts >= $1 AND ts < $2 AND outcome IS NOT NULL
  AND ($3::text IS NULL OR queue = $3) AND ($4::text IS NULL OR agent_id = $4)
ORDER BY ts
LIMIT $5
"""

Format = Literal["table", "csv", "json"]


async def load_rows(db: Any, start: datetime, end: datetime, teams: Mapping[str, Sequence[str]], *,
                    queue: str | None = None, agent: str | None = None,
                    limit: int | None = None) -> list[RatingRow]:
    rows = await db.fetch(_ROWS, start, end, queue, agent, limit)
    return [
        RatingRow(r["call_id"] or "", r["agent_id"], r["queue"], tuple(teams.get(r["agent_id"] or "", ())),
                  r["outcome"], r["score"] if r["outcome"] == "rated" else None, r["ts"])
        for r in rows
    ]


def render(rows: list[RatingRow], by: Sequence[Dimension], fmt: Format, *, period: Period, tz: ZoneInfo,
           scale_max: int = 5, ranking: bool = True, team: str | None = None) -> str:
    if team is not None:
        rows = [r for r in rows if team in r.teams]
    groups = group_stats(rows, by, scale_max=scale_max, period=period, tz=tz)
    rank = agent_ranking(rows) if ranking else None
    if fmt == "json":
        return render_json(groups, by, rank)
    if fmt == "csv":
        out = render_csv(groups, by)
        return out + ("\n" + render_ranking_csv(rank) if rank is not None else "")
    return table(groups_as_records=[group_record(g, by) for g in groups], by=by, rank=rank)


def table(groups_as_records: list[dict[str, Any]], by: Sequence[Dimension], rank: Any) -> str:
    head = [*by, "offered", "rated", "resp%", "avg", "1", "2", "3", "4", "5"]
    lines = ["  ".join(f"{h:>10}" for h in head)]
    for rec in groups_as_records:
        dist = rec["distribution"]
        rate = "" if rec["response_rate"] is None else f"{rec['response_rate'] * 100:.1f}"
        avg = "" if rec["average"] is None else f"{rec['average']:.2f}"
        cells = [*(str(rec[d]) for d in by), str(rec["offered"]), str(rec["rated"]), rate, avg,
                 *(str(dist.get(str(i), 0)) for i in range(1, 6))]
        lines.append("  ".join(f"{c:>10}" for c in cells))
    if rank:
        lines += ["", "ranking (average score, then number of ratings):"]
        lines += [f"{r.rank:>4}. {r.agent_id:<12} {r.average:.2f}  ({r.rated} rated, "
                  f"{'' if r.response_rate is None else f'{r.response_rate * 100:.0f}% response'})" for r in rank]
    return "\n".join(lines) + "\n"

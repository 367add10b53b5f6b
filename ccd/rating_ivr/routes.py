"""Rating statistics over HTTP (``GET /api/ratings``): the same computation as `ccd ratings`,
as JSON or CSV, on the shared report connection (``ccd.api.report_routes``). Supervisors see
agent-level rows of their own teams only; viewers see no agent- or team-level rows at all."""

from __future__ import annotations

import asyncio
from typing import Literal, cast

from aiohttp import web
from pydantic import Field

from ccd.api.params import Text, query
from ccd.api.report_routes import VIEWER_SCOPE, Period_, ReportRoutes
from ccd.errors import BadRequest, Forbidden
from ccd.rating_ivr.core.stats import DIMENSIONS, Dimension
from ccd.rating_ivr.report import load_rows, render

DIMS_PATTERN = rf"^({'|'.join(DIMENSIONS)})(,({'|'.join(DIMENSIONS)}))*$"
MAX_RATING_ROWS = 100_000  # survey results one ratings request may load into memory


class RatingsQuery(Period_):
    by: str = Field("queue", pattern=DIMS_PATTERN, max_length=64)
    period: Literal["hour", "day", "week", "month"] = "day"
    queue: Text | None = None
    agent: Text | None = None
    team: Text | None = None


class RatingRoutes:
    def __init__(self, reports: ReportRoutes) -> None:
        self.reports = reports

    async def ratings(self, request: web.Request) -> web.StreamResponse:
        who = self.reports.api.principal(request)
        q = query(request, RatingsQuery)
        by = cast(tuple[Dimension, ...], tuple(q.by.split(",")))
        per_agent = any(d in ("agent", "team") for d in by) or q.agent is not None or q.team is not None
        if who.role == "viewer" and per_agent:
            raise Forbidden(VIEWER_SCOPE)
        reports = self.reports
        async with reports.conn() as conn:
            rows = await load_rows(conn, reports.local(q.start), reports.local(q.end), reports.cfg.agent_teams(),
                                   queue=q.queue, agent=q.agent, limit=MAX_RATING_ROWS + 1)
        if len(rows) > MAX_RATING_ROWS:
            raise BadRequest(f"more than {MAX_RATING_ROWS} survey results in this period: ask for a shorter one")
        if who.teams is not None:
            rows = [r for r in rows if who.covers(r.teams)]
        scale = max((x.rating.scale for x in self.reports.cfg.queues if x.rating.enabled), default=5)
        # the statistics are pure Python over up to MAX_RATING_ROWS rows: not on the event loop
        text = await asyncio.to_thread(render, rows, by, q.format, period=q.period, tz=self.reports.cfg.tz,
                                       scale_max=scale, team=q.team, ranking=who.role != "viewer")
        return self.reports.out(text, q.format)

    def add_to(self, app: web.Application) -> None:
        app.router.add_get("/api/ratings", self.ratings)

"""Console part 2: the records page (customer history, recordings, ratings, reports).

The page reads the API's own routes with the session cookie (same roles, team scoping and
numbers as ``ccd report``, ``ccd ratings`` and ``/metrics``); what it adds here is the page
itself, the customer history (ccd.console.history), the page's setup (queues, targets, the
agents and teams the user may filter by) and the per-user right to save recordings as files.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Literal

import asyncpg
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ccd.api.app import Api, json_response
from ccd.api.keys import MAY_DOWNLOAD
from ccd.api.params import Text, query
from ccd.config import CcdConfig
from ccd.console.auth import SESSION, ConsoleAuth, Handler
from ccd.console.history import HistoryRoutes
from ccd.errors import BadRequest, Unavailable
from ccd.staffing.core.erlang import Target
from ccd.staffing.history import comparison_rows

STATIC = Path(__file__).parent / "static"
MAX_STAFFING_DAYS = 93  # a quarter of 30-minute intervals: about 4500 rows


class StaffingQuery(BaseModel):
    """Required vs available agents over past days [from, to) (``ccd staffing --compare``)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    queue: Text
    start: date = Field(alias="from")
    end: date = Field(alias="to")
    interval: Literal[15, 30, 60] = 30

    @model_validator(mode="after")
    def _bounded(self) -> StaffingQuery:
        days = (self.end - self.start).days
        if not 0 < days <= MAX_STAFFING_DAYS:
            raise ValueError(f"to must be 1..{MAX_STAFFING_DAYS} days after from")
        return self


def setup_for(cfg: CcdConfig, role: str, teams: frozenset[str] | None, may_download: bool) -> dict[str, Any]:
    """What the page's filters offer this user (pure): viewers get no agents or teams."""
    agent_teams = {a.id: list(a.teams) for a in cfg.agents}
    if role == "viewer":
        agents: list[str] = []
        team_names: list[str] = []
    elif teams is None:
        agents = sorted(agent_teams)
        team_names = sorted({t for ts in agent_teams.values() for t in ts})
    else:
        agents = sorted(a for a, ts in agent_teams.items() if set(ts) & teams)
        team_names = sorted(teams)
    return {
        "queues": [{"name": q.name, "sl_target": q.service_level_target, "sl_seconds": q.service_level_seconds}
                   for q in cfg.queues],
        "agents": agents, "teams": team_names, "download": may_download or role == "admin",
        "rating_scale": max((q.rating.scale for q in cfg.queues if q.rating.enabled), default=5),
    }


class RecordsPage:
    def __init__(self, cfg: CcdConfig, api: Api, dsn: str, auth: ConsoleAuth) -> None:
        self.cfg, self.api, self.auth = cfg, api, auth
        self.history = HistoryRoutes(cfg, api, dsn)

    def may_download(self, request: web.Request) -> bool:
        session = request.get(SESSION)
        user = self.auth.users.get(session.user) if session is not None else None
        return user is not None and user.download

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Tell the recordings route whether this signed-in user may save files."""
        if self.may_download(request):
            request[MAY_DOWNLOAD] = True
        return await handler(request)

    async def page(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "records.html", headers={"Cache-Control": "no-store"})

    async def setup(self, request: web.Request) -> web.Response:
        who = self.api.principal(request)
        return json_response(setup_for(self.cfg, who.role, who.teams, self.may_download(request)))

    async def staffing(self, request: web.Request) -> web.Response:
        self.api.principal(request)
        q = query(request, StaffingQuery)
        qc = next((x for x in self.cfg.queues if x.name == q.queue), None)
        if qc is None:
            raise BadRequest(f"queue: unknown queue {q.queue!r}")
        target = Target(service_level=min(qc.service_level_target, 0.999),
                        answer_within_s=qc.service_level_seconds)
        try:
            rows = await comparison_rows(
                await self.history.pool(), q.queue, self.cfg.timezone, first_day=q.start, end_day=q.end,
                interval_min=q.interval, target=target, members=[a.id for a in self.cfg.queue_members(qc)])
        except (OSError, asyncpg.PostgresError) as exc:
            raise Unavailable(f"database unavailable ({type(exc).__name__})") from exc
        except ValueError as exc:
            raise BadRequest(f"cannot compare {q.queue!r}: {exc}") from exc
        return json_response(rows)

    def add_to(self, app: web.Application) -> None:
        """After the console's auth middleware (this one reads the session it found)."""
        app.middlewares.append(self.middleware)
        app.router.add_get("/console/records", self.page)
        app.router.add_get("/console/api/records/setup", self.setup)
        app.router.add_get("/console/api/records/staffing", self.staffing)
        self.history.add_to(app)

    async def close(self) -> None:
        await self.history.close()

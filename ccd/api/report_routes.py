"""KPI reports over HTTP (the same computation as `ccd report`, as JSON or CSV), and the one
report connection that every read-side report shares: the rating statistics
(``ccd.rating_ivr.routes``), the staffing forecast (``ccd.staffing.routes``) and the shift
plans (``ccd.schedule.routes``) take their connection from ``ReportRoutes.conn``.

Query parameters are validated by pydantic (400 with the reason), within bounds that keep a
report from stalling the daemon (buckets, span, rows: see ccd.store.buckets). Supervisors see
agent-level rows of their own teams only; viewers see no agent- or team-level rows at all.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, Literal

import asyncpg
from aiohttp import web
from pydantic import Field, model_validator

from ccd.api.app import Api
from ccd.api.params import Period, query
from ccd.errors import BadRequest, Forbidden, Unavailable
from ccd.store.buckets import MAX_BUCKETS, MAX_SPAN, UNITS, check_bounds, parse_by
from ccd.store.reports import format_report, kpi_report

BY_PATTERN = r"^(queue|agent|team|(interval[:=]?)?(15m|30m|1h|day|week|month|quarter|year)|interval)$"
REPORT_TIMEOUT_S = 20.0  # PostgreSQL cancels a report query after this: 504
QUEUE_WAIT_S = 60.0  # a report waits this long for its turn, then 503
# Viewers (wallboards, dashboards) see queue- and interval-level figures; how one agent
# performs is for the supervisors of the agent's teams and for admins.
VIEWER_SCOPE = ("a viewer token sees queue and interval figures only; per-agent and per-team figures "
                "need a supervisor (own teams) or admin token")


class Period_(Period):
    format: Literal["json", "csv"] = "json"


class ReportQuery(Period_):
    by: str = Field("queue", pattern=BY_PATTERN,
                    description=f"queue|agent|team or an interval ({'|'.join(UNITS)}); at most "
                                f"{MAX_BUCKETS} buckets and {MAX_SPAN.days} days")

    @model_validator(mode="after")
    def _bounded(self) -> Any:
        check_bounds(self.start, self.end, self.by)  # ValueError with the reason -> 400
        return self


class ReportRoutes:
    def __init__(self, api: Api, dsn: str) -> None:
        self.api, self.dsn = api, dsn
        self.cfg = api.backend.cfg
        self._pool: asyncpg.Pool | None = None

    async def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            try:
                # One report query at a time (PostgreSQL shares the host's cores with Asterisk
                # and ccd), cancelled by PostgreSQL itself after REPORT_TIMEOUT_S: reports wait
                # for each other, routing never waits for a report.
                self._pool = await asyncpg.create_pool(
                    self.dsn, min_size=0, max_size=1, timeout=5, command_timeout=REPORT_TIMEOUT_S + 5,
                    server_settings={"statement_timeout": str(int(REPORT_TIMEOUT_S * 1000)),
                                     "application_name": "ccd-reports"})
            except (OSError, asyncpg.PostgresError) as exc:
                raise Unavailable(f"database unavailable ({type(exc).__name__})") from exc
        return self._pool

    @asynccontextmanager
    async def conn(self) -> AsyncIterator[asyncpg.Connection]:
        """The report connection, or 503 when reports have queued for it too long."""
        pool = await self.pool()
        try:
            conn = await pool.acquire(timeout=QUEUE_WAIT_S)
        except TimeoutError as exc:
            raise Unavailable("reports are busy (one runs at a time): try again later") from exc
        try:
            yield conn
        finally:
            await pool.release(conn)

    def local(self, value: datetime) -> datetime:
        """A query's naive time in the configured zone."""
        return value if value.tzinfo else value.replace(tzinfo=self.cfg.tz)

    async def reports(self, request: web.Request) -> web.StreamResponse:
        who = self.api.principal(request)
        q = query(request, ReportQuery)
        key = parse_by(q.by)[0]
        if who.role == "viewer" and key in ("agent", "team"):
            raise Forbidden(VIEWER_SCOPE)
        start, end = self.local(q.start), self.local(q.end)
        try:
            check_bounds(start, end, q.by)  # again in the configured zone
        except ValueError as exc:
            raise BadRequest(str(exc)) from exc
        async with self.conn() as conn:
            rows = await kpi_report(
                conn, start=start, end=end, by=q.by, tz=self.cfg.timezone,
                teams=self.cfg.agent_teams(), sl_seconds={x.name: x.service_level_seconds for x in self.cfg.queues},
                short_abandon_s={x.name: x.short_abandon_seconds for x in self.cfg.queues})
        if who.teams is not None and key in ("agent", "team"):
            rows = [r for r in rows if who.covers(self.api.agent_teams.get(str(r.get("agent")), []))
                    or (key == "team" and r.get("team") in who.teams)]
        return self.out(await asyncio.to_thread(format_report, rows, q.format), q.format)

    @staticmethod
    def out(text: str, fmt: str) -> web.Response:
        if fmt == "csv":
            return web.Response(text=text, content_type="text/csv")
        return web.Response(text=text, content_type="application/json")

    def add_to(self, app: web.Application) -> None:
        app.router.add_get("/api/reports", self.reports)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()

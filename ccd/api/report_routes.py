"""Reports over HTTP: KPI reports, rating statistics and the staffing forecast — the same
computations as `ccd report`, `ccd ratings` and `ccd staffing`, as JSON or CSV.

Query parameters are validated by pydantic (400 with the reason), within bounds that keep a
report from stalling the daemon (buckets, span, rows: see ccd.store.buckets). Supervisors see
agent-level rows of their own teams only; viewers see no agent- or team-level rows at all.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, Literal, cast

import asyncpg
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ccd.api.app import Api, json_response
from ccd.api.params import Period, Text, query
from ccd.errors import BadRequest, Forbidden, Unavailable
from ccd.rating_ivr.core.stats import DIMENSIONS, Dimension
from ccd.rating_ivr.report import load_rows, render
from ccd.staffing.core.erlang import Target
from ccd.staffing.history import forecast_rows
from ccd.store.buckets import MAX_BUCKETS, MAX_SPAN, UNITS, check_bounds, parse_by
from ccd.store.reports import format_report, kpi_report

BY_PATTERN = r"^(queue|agent|team|(interval[:=]?)?(15m|30m|1h|day|week|month|quarter|year)|interval)$"
DIMS_PATTERN = rf"^({'|'.join(DIMENSIONS)})(,({'|'.join(DIMENSIONS)}))*$"
MAX_RATING_ROWS = 100_000  # survey results one ratings request may load into memory
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


class RatingsQuery(Period_):
    by: str = Field("queue", pattern=DIMS_PATTERN, max_length=64)
    period: Literal["hour", "day", "week", "month"] = "day"
    queue: Text | None = None
    agent: Text | None = None
    team: Text | None = None


class StaffingQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    queue: Text
    target_sl: float = Field(0.8, gt=0, lt=1)
    answer_within: float = Field(20.0, ge=0, le=3600)
    interval: int = Field(30, description="minutes: 15, 30 or 60", json_schema_extra={"enum": [15, 30, 60]})
    weeks: int = Field(4, ge=1, le=52)
    shrinkage: float = Field(0.0, ge=0, lt=1)

    @field_validator("interval")
    @classmethod
    def _interval(cls, value: int) -> int:
        if value not in (15, 30, 60):
            raise ValueError("interval must be 15, 30 or 60 (minutes)")
        return value


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

    def _local(self, value: datetime) -> datetime:
        return value if value.tzinfo else value.replace(tzinfo=self.cfg.tz)

    async def reports(self, request: web.Request) -> web.StreamResponse:
        who = self.api.principal(request)
        q = query(request, ReportQuery)
        key = parse_by(q.by)[0]
        if who.role == "viewer" and key in ("agent", "team"):
            raise Forbidden(VIEWER_SCOPE)
        start, end = self._local(q.start), self._local(q.end)
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
        return self._out(await asyncio.to_thread(format_report, rows, q.format), q.format)

    async def ratings(self, request: web.Request) -> web.StreamResponse:
        who = self.api.principal(request)
        q = query(request, RatingsQuery)
        by = cast(tuple[Dimension, ...], tuple(q.by.split(",")))
        per_agent = any(d in ("agent", "team") for d in by) or q.agent is not None or q.team is not None
        if who.role == "viewer" and per_agent:
            raise Forbidden(VIEWER_SCOPE)
        async with self.conn() as conn:
            rows = await load_rows(conn, self._local(q.start), self._local(q.end), self.cfg.agent_teams(),
                                   queue=q.queue, agent=q.agent, limit=MAX_RATING_ROWS + 1)
        if len(rows) > MAX_RATING_ROWS:
            raise BadRequest(f"more than {MAX_RATING_ROWS} survey results in this period: ask for a shorter one")
        if who.teams is not None:
            rows = [r for r in rows if who.covers(r.teams)]
        scale = max((x.rating.scale for x in self.cfg.queues if x.rating.enabled), default=5)
        # the statistics are pure Python over up to MAX_RATING_ROWS rows: not on the event loop
        text = await asyncio.to_thread(render, rows, by, q.format, period=q.period, tz=self.cfg.tz,
                                       scale_max=scale, team=q.team, ranking=who.role != "viewer")
        return self._out(text, q.format)

    async def staffing(self, request: web.Request) -> web.Response:
        self.api.principal(request)
        q = query(request, StaffingQuery)
        if q.queue not in {x.name for x in self.cfg.queues}:
            raise BadRequest(f"queue: unknown queue {q.queue!r}")
        target = Target(service_level=q.target_sl, answer_within_s=q.answer_within, shrinkage=q.shrinkage)
        try:
            async with self.conn() as conn:
                rows: list[dict[str, Any]] = await forecast_rows(
                    conn, q.queue, self.cfg.timezone, interval_min=q.interval, weeks=q.weeks,
                    target=target)
        except ValueError as exc:  # e.g. no answered calls yet to take the handle time from
            raise BadRequest(f"cannot forecast {q.queue!r}: {exc}") from exc
        return json_response(rows)

    @staticmethod
    def _out(text: str, fmt: str) -> web.Response:
        if fmt == "csv":
            return web.Response(text=text, content_type="text/csv")
        return web.Response(text=text, content_type="application/json")

    def add_to(self, app: web.Application) -> None:
        app.router.add_get("/api/reports", self.reports)
        app.router.add_get("/api/ratings", self.ratings)
        app.router.add_get("/api/staffing", self.staffing)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()

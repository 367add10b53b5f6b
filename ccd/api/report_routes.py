"""Reports over HTTP: KPI reports, rating statistics and the staffing forecast — the same
computations as `ccd report`, `ccd ratings` and `ccd staffing`, as JSON or CSV.

Query parameters are validated by pydantic (400 with the reason). Supervisors see agent-level
rows of their own teams only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, TypeVar, cast

import asyncpg
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ccd.api.app import Api, json_response
from ccd.errors import BadRequest, Unavailable
from ccd.rating_ivr.report import load_rows, render
from ccd.rating_ivr.stats import DIMENSIONS, Dimension
from ccd.staffing.erlang import Target
from ccd.staffing.history import forecast_rows
from ccd.store.buckets import parse_by
from ccd.store.reports import format_report, kpi_report


class Period_(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    start: datetime = Field(alias="from")
    end: datetime = Field(alias="to")
    format: Literal["json", "csv"] = "json"


class ReportQuery(Period_):
    by: str = "queue"

    @field_validator("by")
    @classmethod
    def _by(cls, value: str) -> str:
        parse_by(value)  # raises ValueError with the reason
        return value


class RatingsQuery(Period_):
    by: str = "queue"
    period: Literal["hour", "day", "week", "month"] = "day"
    queue: str | None = None
    agent: str | None = None
    team: str | None = None

    @field_validator("by")
    @classmethod
    def _by(cls, value: str) -> str:
        bad = [d for d in value.split(",") if d not in DIMENSIONS]
        if bad:
            raise ValueError(f"unknown grouping {bad} (choose from {', '.join(DIMENSIONS)})")
        return value


class StaffingQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    queue: str
    target_sl: float = Field(0.8, gt=0, lt=1)
    answer_within: float = Field(20.0, ge=0)
    interval: int = Field(30, description="minutes: 15, 30 or 60")
    weeks: int = Field(4, ge=1, le=52)
    shrinkage: float = Field(0.0, ge=0, lt=1)

    @field_validator("interval")
    @classmethod
    def _interval(cls, value: int) -> int:
        if value not in (15, 30, 60):
            raise ValueError("interval must be 15, 30 or 60 (minutes)")
        return value


M = TypeVar("M", bound=BaseModel)


def query(request: web.Request, model: type[M]) -> M:
    try:
        return model.model_validate(dict(request.query))
    except ValidationError as exc:
        raise BadRequest("; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())) from exc


class ReportRoutes:
    def __init__(self, api: Api, dsn: str) -> None:
        self.api, self.dsn = api, dsn
        self.cfg = api.backend.cfg
        self._pool: asyncpg.Pool | None = None

    async def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            try:
                self._pool = await asyncpg.create_pool(self.dsn, min_size=0, max_size=2, timeout=5,
                                                       command_timeout=30)
            except (OSError, asyncpg.PostgresError) as exc:
                raise Unavailable(f"database unavailable: {exc}") from exc
        return self._pool

    def _local(self, value: datetime) -> datetime:
        return value if value.tzinfo else value.replace(tzinfo=self.cfg.tz)

    async def reports(self, request: web.Request) -> web.Response:
        who = self.api.principal(request)
        q = query(request, ReportQuery)
        rows = await kpi_report(
            await self.pool(), start=self._local(q.start), end=self._local(q.end), by=q.by, tz=self.cfg.timezone,
            teams=self.cfg.agent_teams(), sl_seconds={x.name: x.service_level_seconds for x in self.cfg.queues},
            short_abandon_s={x.name: x.short_abandon_seconds for x in self.cfg.queues})
        if who.teams is not None and parse_by(q.by)[0] in ("agent", "team"):
            key = parse_by(q.by)[0]
            rows = [r for r in rows if who.covers(self.api.agent_teams.get(str(r.get("agent")), []))
                    or (key == "team" and r.get("team") in who.teams)]
        return self._out(format_report(rows, q.format), q.format)

    async def ratings(self, request: web.Request) -> web.Response:
        who = self.api.principal(request)
        q = query(request, RatingsQuery)
        rows = await load_rows(await self.pool(), self._local(q.start), self._local(q.end),
                               self.cfg.agent_teams(), queue=q.queue, agent=q.agent)
        if who.teams is not None:
            rows = [r for r in rows if who.covers(r.teams)]
        by = cast(tuple[Dimension, ...], tuple(q.by.split(",")))
        scale = max((x.rating.scale for x in self.cfg.queues if x.rating.enabled), default=5)
        text = render(rows, by, q.format, period=q.period, tz=self.cfg.tz, scale_max=scale,
                      team=q.team)
        return self._out(text, q.format)

    async def staffing(self, request: web.Request) -> web.Response:
        self.api.principal(request)
        q = query(request, StaffingQuery)
        if q.queue not in {x.name for x in self.cfg.queues}:
            raise BadRequest(f"queue: unknown queue {q.queue!r}")
        target = Target(service_level=q.target_sl, answer_within_s=q.answer_within, shrinkage=q.shrinkage)
        try:
            rows: list[dict[str, Any]] = await forecast_rows(
                await self.pool(), q.queue, self.cfg.timezone, interval_min=q.interval, weeks=q.weeks,
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

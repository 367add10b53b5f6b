"""Schedule over HTTP: build a draft plan, list and read plans, approve, coverage, exports.

    GET  /api/schedule/plans?queue=Q                   plans (newest first)
    POST /api/schedule/plans   {"queue", "first_day", "days", "model"?}   build a draft
    GET  /api/schedule/plans/{id}                      plan header with its shifts
    POST /api/schedule/plans/{id}/approve              draft -> approved (supervisor)
    GET  /api/schedule/plans/{id}/coverage?format=json|csv|svg
    GET  /api/schedule/plans/{id}/roster.csv
    GET  /api/schedule/plans/{id}/agents/{agent}.ics
    GET  /api/schedule/need?queue=Q                    both models side by side
    GET  /api/schedule/backtest?queue=Q&weeks=N
"""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any, Literal

import asyncpg
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from ccd.api.app import Api, json_response, parse_body
from ccd.api.params import query
from ccd.errors import BadRequest, NotFound, Unavailable
from ccd.schedule import store
from ccd.schedule.core.coverage import coverage_rows, coverage_svg, hour_grid
from ccd.schedule.core.export import agent_ical, roster_csv


class PlanBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    queue: str
    first_day: date
    days: int = Field(28, ge=1, le=62)
    model: Literal["erlang_c", "erlang_a"] | None = None


class QueueQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    queue: str | None = None


class BacktestQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    queue: str
    weeks: int = Field(4, ge=1, le=52)
    until: date | None = None


class NeedQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    queue: str
    until: date | None = None


class CoverageQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: Literal["json", "csv", "svg"] = "json"


class ScheduleRoutes:
    def __init__(self, api: Api, pool: Callable[[], Awaitable[asyncpg.Pool]]) -> None:
        self.api, self.pool = api, pool
        self.cfg = api.backend.cfg

    def _queue(self, name: str | None) -> None:
        if name is not None and name not in {q.name for q in self.cfg.queues}:
            raise BadRequest(f"queue: unknown queue {name!r}")

    @staticmethod
    def _id(request: web.Request) -> int:
        raw = request.match_info["plan_id"]
        if not raw.isdigit() or len(raw) > 18:
            raise BadRequest(f"plan id must be a number, got {raw!r}")
        return int(raw)

    async def _plan(self, request: web.Request) -> store.StoredPlan:
        plan_id = self._id(request)
        got = await store.load_plan(await self.pool(), plan_id)
        if got is None:
            raise NotFound(f"no plan {plan_id}")
        return got

    async def plans(self, request: web.Request) -> web.Response:
        self.api.principal(request)
        q = query(request, QueueQuery)
        self._queue(q.queue)
        return json_response([p.header() for p in await store.list_plans(await self.pool(), q.queue)])

    async def create(self, request: web.Request) -> web.Response:
        who = self.api.principal(request, "supervisor")
        body = await parse_body(request, PlanBody)
        self._queue(body.queue)
        from ccd.schedule import service  # the solver (OR-Tools) loads on first use only
        from ccd.schedule.core.planner import NoPlanInTime

        pool = await self.pool()
        try:
            async with pool.acquire() as conn:
                plan_id, version, info = await service.build_plan(
                    conn, self.cfg, body.queue, body.first_day, body.days, model=body.model,
                    created_by=who.name)
        except ValueError as exc:  # no history to take the AHT from, too few abandons, ...
            raise BadRequest(f"cannot plan {body.queue!r}: {exc}") from exc
        except NoPlanInTime as exc:
            raise Unavailable(str(exc)) from exc
        return json_response({"id": plan_id, "version": version, "status": "draft", **info}, 201)

    async def show(self, request: web.Request) -> web.Response:
        self.api.principal(request)
        plan = await self._plan(request)
        shifts = await store.load_shifts(await self.pool(), plan.id)
        from ccd.schedule.core.render import shift_dict

        return json_response({**plan.header(), "shifts": [shift_dict(s) for s in shifts]})

    async def approve(self, request: web.Request) -> web.Response:
        who = self.api.principal(request, "supervisor")
        plan_id = self._id(request)
        pool = await self.pool()
        async with pool.acquire() as conn:
            plan = await store.approve(conn, plan_id, who.name)
        return json_response(plan.header())

    async def coverage(self, request: web.Request) -> web.Response:
        self.api.principal(request)
        q = query(request, CoverageQuery)
        plan = await self._plan(request)
        rows = coverage_rows(plan.need, plan.coverage, plan.interval_min, plan.first_day)
        if q.format == "svg":
            labels, grid = hour_grid(rows, plan.interval_min)
            title = f"{plan.queue} plan {plan.id} v{plan.version} ({plan.status})"
            return web.Response(text=coverage_svg(labels, grid, title), content_type="image/svg+xml")
        if q.format == "csv":
            buf = io.StringIO()
            w = csv.DictWriter(buf, fieldnames=list(rows[0]) if rows else ["date"], lineterminator="\n")
            w.writeheader()
            w.writerows(rows)
            return web.Response(text=buf.getvalue(), content_type="text/csv")
        return json_response({**plan.header(), "rows": rows})

    async def roster(self, request: web.Request) -> web.Response:
        self.api.principal(request)
        plan = await self._plan(request)
        rows = await store.load_shifts(await self.pool(), plan.id)
        return web.Response(text=roster_csv(rows), content_type="text/csv")

    async def ical(self, request: web.Request) -> web.Response:
        self.api.principal(request)
        plan = await self._plan(request)
        agent = request.match_info["agent"]
        if agent not in {a.id for a in self.cfg.agents}:
            raise NotFound(f"no agent {agent!r}")
        rows = await store.load_shifts(await self.pool(), plan.id, agent)
        text = agent_ical(agent, rows, plan_id=plan.id, version=plan.version, queue=plan.queue,
                          stamp=plan.approved_at or plan.created_at)
        return web.Response(body=text.encode(), content_type="text/calendar", charset="utf-8")

    async def need(self, request: web.Request) -> web.Response:
        self.api.principal(request)
        q = query(request, NeedQuery)
        self._queue(q.queue)
        from ccd.schedule import service

        try:
            rows, meta = await service.need_for(await self.pool(), self.cfg, q.queue,
                                                q.until or datetime.now(self.cfg.tz).date())
        except ValueError as exc:
            raise BadRequest(f"cannot forecast {q.queue!r}: {exc}") from exc
        return json_response({**meta, "rows": [r.as_dict() for r in rows]})

    async def backtest(self, request: web.Request) -> web.Response:
        self.api.principal(request)
        q = query(request, BacktestQuery)
        self._queue(q.queue)
        from ccd.schedule import service

        report: dict[str, Any] = await service.backtest_report(
            await self.pool(), self.cfg, q.queue, q.weeks,
            q.until or datetime.now(self.cfg.tz).date())
        return json_response(report)

    def add_to(self, app: web.Application) -> None:
        r = app.router
        r.add_get("/api/schedule/plans", self.plans)
        r.add_post("/api/schedule/plans", self.create)
        r.add_get("/api/schedule/plans/{plan_id}", self.show)
        r.add_post("/api/schedule/plans/{plan_id}/approve", self.approve)
        r.add_get("/api/schedule/plans/{plan_id}/coverage", self.coverage)
        r.add_get("/api/schedule/plans/{plan_id}/roster.csv", self.roster)
        r.add_get("/api/schedule/plans/{plan_id}/agents/{agent}.ics", self.ical)
        r.add_get("/api/schedule/need", self.need)
        r.add_get("/api/schedule/backtest", self.backtest)

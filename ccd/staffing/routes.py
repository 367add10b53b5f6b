"""The staffing forecast over HTTP (``GET /api/staffing``): the same computation as
`ccd staffing`, on the shared report connection (``ccd.api.report_routes``)."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, field_validator

from ccd.api.app import json_response
from ccd.api.params import Text, query
from ccd.api.report_routes import ReportRoutes
from ccd.errors import BadRequest
from ccd.staffing.core.erlang import Target
from ccd.staffing.history import forecast_rows


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


class StaffingRoutes:
    def __init__(self, reports: ReportRoutes) -> None:
        self.reports = reports

    async def staffing(self, request: web.Request) -> web.Response:
        self.reports.api.principal(request)
        q = query(request, StaffingQuery)
        if q.queue not in {x.name for x in self.reports.cfg.queues}:
            raise BadRequest(f"queue: unknown queue {q.queue!r}")
        target = Target(service_level=q.target_sl, answer_within_s=q.answer_within, shrinkage=q.shrinkage)
        try:
            async with self.reports.conn() as conn:
                rows: list[dict[str, Any]] = await forecast_rows(
                    conn, q.queue, self.reports.cfg.timezone, interval_min=q.interval, weeks=q.weeks,
                    target=target)
        except ValueError as exc:  # e.g. no answered calls yet to take the handle time from
            raise BadRequest(f"cannot forecast {q.queue!r}: {exc}") from exc
        return json_response(rows)

    def add_to(self, app: web.Application) -> None:
        app.router.add_get("/api/staffing", self.staffing)

"""Reports, ratings and staffing over HTTP against a seeded store: the same figures as the
CLI, token auth, team scoping for supervisors, and 400s that say what is wrong."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry

from ccd.api.app import Api
from ccd.api.report_routes import ReportRoutes
from ccd.config import CcdConfig
from ccd.rating_ivr.routes import RatingRoutes
from ccd.staffing.routes import StaffingRoutes
from tests.integration.test_rating_export import seed

pytestmark = pytest.mark.postgres
ADMIN, SUP = {"Authorization": "Bearer admin-tok"}, {"Authorization": "Bearer sup-tok"}
VIEWER = {"Authorization": "Bearer view-tok"}


class Backend:
    def __init__(self, cfg: CcdConfig) -> None:
        self.cfg, self.registry = cfg, CollectorRegistry()

    def readiness(self) -> dict[str, bool]:
        return {"ami": True}

    def snapshot(self) -> Any:
        raise NotImplementedError

    def submit(self, inp: object) -> None:
        raise NotImplementedError


async def client(pg_dsn: str) -> tuple[TestClient[Any, Any], ReportRoutes]:
    cfg = CcdConfig.model_validate({
        "timezone": "Europe/Berlin",
        "teams": [{"name": "blue"}, {"name": "red"}],
        "agents": [{"id": "A", "endpoint": "PJSIP/a", "teams": ["blue"]},
                   {"id": "B", "endpoint": "PJSIP/b", "teams": ["red"]}],
        "supervisors": [{"id": "s1", "endpoint": "PJSIP/s1", "teams": ["blue"]}],
        "queues": [{"name": "support", "teams": ["blue", "red"]}, {"name": "sales", "teams": ["blue", "red"]}],
        "http": {"tokens": [{"name": "adm", "role": "admin", "token": "admin-tok"},
                            {"name": "sup", "role": "supervisor", "supervisor": "s1", "token": "sup-tok"},
                            {"name": "view", "role": "viewer", "token": "view-tok"}]},
    })
    api = Api(Backend(cfg))  # type: ignore[arg-type]
    app = api.build()
    routes = ReportRoutes(api, pg_dsn)
    routes.add_to(app)
    RatingRoutes(routes).add_to(app)
    StaffingRoutes(routes).add_to(app)
    c: TestClient[Any, Any] = TestClient(TestServer(app))
    await c.start_server()
    return c, routes


async def test_report_ratings_and_staffing_endpoints(pg_dsn: str, tmp_path: Path) -> None:
    await seed(pg_dsn, tmp_path)
    c, routes = await client(pg_dsn)
    try:
        period = {"from": "2026-11-01", "to": "2026-12-01"}
        for path in ("/api/reports", "/api/ratings"):
            assert (await c.get(path, params=period)).status == 401
            assert (await c.get(path, params=period, headers={"Authorization": "Bearer nope"})).status == 401
        resp = await c.get("/api/ratings", params={**period, "by": "agent"}, headers=ADMIN)
        doc = await resp.json()
        assert {g["agent"]: (g["rated"], g["average"]) for g in doc["groups"]} == {"A": (3, 4.0), "B": (1, 2.0)}
        # A supervisor of team blue sees agent A only.
        doc = await (await c.get("/api/ratings", params={**period, "by": "agent"}, headers=SUP)).json()
        assert [g["agent"] for g in doc["groups"]] == ["A"]
        csv_text = await (await c.get("/api/ratings", params={**period, "by": "queue", "format": "csv"},
                                      headers=ADMIN)).text()
        assert csv_text.splitlines()[0].startswith("queue,offered,rated")
        report = await (await c.get("/api/reports", params={**period, "by": "queue"}, headers=ADMIN)).json()
        assert {r["queue"] for r in report} == {"support", "sales"}
        bad = await c.get("/api/reports", params={**period, "by": "fortnight"}, headers=ADMIN)
        assert bad.status == 400 and "by" in (await bad.json())["message"]
        bad = await c.get("/api/ratings", params={"from": "yesterday", "to": "2026-12-01"}, headers=ADMIN)
        assert bad.status == 400 and "from" in (await bad.json())["message"]
        staffing = await c.get("/api/staffing", params={"queue": "support", "interval": "30"}, headers=ADMIN)
        assert staffing.status == 200 and isinstance(await staffing.json(), list)
        unknown = await c.get("/api/staffing", params={"queue": "nope"}, headers=ADMIN)
        assert unknown.status == 400
    finally:
        await c.close()
        await routes.close()


async def test_bad_input_and_slow_queries_get_a_reason_never_a_500(
    pg_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed(pg_dsn, tmp_path)
    c, routes = await client(pg_dsn)
    try:
        period = {"from": "2026-11-01", "to": "2026-12-01"}
        for path, params in (("/api/reports", {"from": "2026-12-01", "to": "2026-11-01"}),
                             ("/api/reports", {"from": "0001-01-01", "to": "2026-12-01"}),
                             ("/api/ratings", {"from": "2026-11-01", "to": "9999-12-31"}),
                             ("/api/ratings", {**period, "queue": "sup\x00port"}),
                             ("/api/ratings", {**period, "agent": "A\x00"}),
                             ("/api/reports", {"from": "2000-01-01", "to": "2026-12-01", "by": "1h"})):
            resp = await c.get(path, params=params, headers=ADMIN)
            assert resp.status == 400 and (await resp.json())["error"] == "bad_request", (path, params)
        # A viewer sees queue and interval figures, not how one agent or team performs.
        assert (await c.get("/api/reports", params={**period, "by": "queue"}, headers=VIEWER)).status == 200
        assert (await c.get("/api/reports", params={**period, "by": "day"}, headers=VIEWER)).status == 200
        assert (await c.get("/api/ratings", params={**period, "by": "queue"}, headers=VIEWER)).status == 200
        ratings = await (await c.get("/api/ratings", params={**period, "by": "queue"}, headers=VIEWER)).json()
        assert "ranking" not in ratings  # no agent ranking for a viewer
        for params in ({"by": "agent"}, {"by": "team"}):
            assert (await c.get("/api/reports", params={**period, **params}, headers=VIEWER)).status == 403
        assert (await c.get("/api/reports", params={**period, "by": "agent"}, headers=SUP)).status == 200
        # A query PostgreSQL cancels at the statement timeout: 504 with the reason.
        monkeypatch.setattr("ccd.api.report_routes.REPORT_TIMEOUT_S", 0.2)
        await routes.close()
        routes._pool = None

        async def slow(pool: Any, **kw: Any) -> list[dict[str, Any]]:
            await pool.fetch("SELECT pg_sleep(5)")
            return []

        monkeypatch.setattr("ccd.api.report_routes.kpi_report", slow)
        resp = await c.get("/api/reports", params=period, headers=ADMIN)
        body = await resp.json()
        assert resp.status == 504 and body["error"] == "timeout" and "time limit" in body["message"]
    finally:
        await c.close()
        await routes.close()

"""Schedules over HTTP on stored history: build a draft, approve it, coverage, iCalendar,
and 4xx answers that say what is wrong (never a 500)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from ccd.api.app import Api
from ccd.api.report_routes import ReportRoutes
from ccd.config_load import load_config
from ccd.schedule.routes import ScheduleRoutes
from tests.integration.test_report_routes import Backend
from tests.integration.test_schedule_history import _config, _seed

pytestmark = pytest.mark.postgres
ADMIN, VIEWER = {"Authorization": "Bearer admin-tok"}, {"Authorization": "Bearer view-tok"}


async def test_plan_approve_and_export_over_http(pg_dsn: str, tmp_path: Path) -> None:
    await _seed(pg_dsn, tmp_path / "spool")
    path = _config(tmp_path / "ccd.toml", pg_dsn)
    path.write_text(path.read_text().replace('[database]', '''[http]
tokens = [{ name = "adm", role = "admin", token = "admin-tok" },
          { name = "view", role = "viewer", token = "view-tok" }]
[database]'''))
    cfg = load_config(str(path))
    api = Api(Backend(cfg))  # type: ignore[arg-type]
    app = api.build()
    reports = ReportRoutes(api, pg_dsn)
    ScheduleRoutes(api, reports.pool).add_to(app)
    c: TestClient[Any, Any] = TestClient(TestServer(app))
    await c.start_server()
    try:
        body = {"queue": "sales", "first_day": "2025-02-03", "days": 7}
        assert (await c.post("/api/schedule/plans", json=body)).status == 401
        assert (await c.post("/api/schedule/plans", json=body, headers=VIEWER)).status == 403
        bad = await c.post("/api/schedule/plans", json={**body, "queue": "nope"}, headers=ADMIN)
        assert bad.status == 400 and "unknown queue" in (await bad.json())["message"]
        bad = await c.post("/api/schedule/plans", json={**body, "days": 0}, headers=ADMIN)
        assert bad.status == 400 and "days" in (await bad.json())["message"]
        resp = await c.post("/api/schedule/plans", json=body, headers=ADMIN)
        assert resp.status == 201, await resp.text()
        plan = await resp.json()
        assert plan["status"] == "draft" and plan["model"] == "erlang_a"
        pid = plan["id"]

        shown = await (await c.get(f"/api/schedule/plans/{pid}", headers=VIEWER)).json()
        assert shown["status"] == "draft" and shown["shifts"]
        cov = await (await c.get(f"/api/schedule/plans/{pid}/coverage", headers=VIEWER)).json()
        assert all(r["scheduled"] >= r["need"] for r in cov["rows"])
        svg = await c.get(f"/api/schedule/plans/{pid}/coverage", params={"format": "svg"}, headers=VIEWER)
        assert svg.content_type == "image/svg+xml" and (await svg.text()).startswith("<svg")

        approved = await c.post(f"/api/schedule/plans/{pid}/approve", headers=ADMIN)
        assert approved.status == 200 and (await approved.json())["approved_by"] == "adm"
        again = await c.post(f"/api/schedule/plans/{pid}/approve", headers=ADMIN)
        assert again.status == 409
        assert (await c.post("/api/schedule/plans/999/approve", headers=ADMIN)).status == 404
        assert (await c.get("/api/schedule/plans/x1", headers=ADMIN)).status == 400

        agent = next(s["agent"] for s in shown["shifts"] if s["agent"])
        ics = await c.get(f"/api/schedule/plans/{pid}/agents/{agent}.ics", headers=VIEWER)
        assert ics.status == 200 and ics.content_type == "text/calendar"
        text = await ics.text()
        assert text.count("BEGIN:VEVENT") == sum(1 for s in shown["shifts"] if s["agent"] == agent)
        assert (await c.get(f"/api/schedule/plans/{pid}/agents/ghost.ics", headers=VIEWER)).status == 404
        roster = await (await c.get(f"/api/schedule/plans/{pid}/roster.csv", headers=VIEWER)).text()
        assert roster.startswith("agent,template,start,end")

        need = await (await c.get("/api/schedule/need", params={"queue": "sales", "until": "2025-02-03"},
                                  headers=VIEWER)).json()
        assert need["patience"]["abandons"] == 160
        bt = await c.get("/api/schedule/backtest", params={"queue": "sales", "weeks": "99"}, headers=VIEWER)
        assert bt.status == 400 and "weeks" in (await bt.json())["message"]
        listed = await (await c.get("/api/schedule/plans", params={"queue": "sales"}, headers=VIEWER)).json()
        assert [p["status"] for p in listed] == ["approved"]
    finally:
        await c.close()
        await reports.close()

"""The running daemon's whole HTTP surface (core, reports, supervision routes): every route
refuses a missing or wrong token, and a supervisor acting outside their teams gets 403."""

from __future__ import annotations

import aiohttp
import pytest

from ccd.openapi import routes
from tests.harness.asterisk import AsteriskInstance, free_port
from tests.harness.ccd import Factory, agent

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres]

TOKENS = [{"name": "admin", "role": "admin", "token": "adm-1"},
          {"name": "sup", "role": "supervisor", "token": "sup-1", "supervisor": "S1"},
          {"name": "viewer", "role": "viewer", "token": "view-1"}]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_every_route_needs_a_token_and_team_scope_holds(
    asterisk: AsteriskInstance, ccd_factory: Factory
) -> None:
    port = free_port()
    ccd = await ccd_factory(
        asterisk, agents=[agent("A", teams=["t1"]), agent("B", teams=["t2"])],
        queues=[{"name": "support", "teams": ["t1", "t2"]}],
        supervisors=[{"id": "S1", "endpoint": "Local/sup-S1@sim-agent", "teams": ["t1"]}],
        http={"listen": f"127.0.0.1:{port}", "open_metrics": False, "open_health": False, "tokens": TOKENS})
    assert ccd.daemon._runner is not None
    app = ccd.daemon._runner.app
    found = routes(app)
    paths = {p for _, p in found}
    assert {"/api/reports", "/api/supervision", "/api/openapi.json", "/metrics"} <= paths
    base = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as http:
        for method, path in found:
            url = base + path.replace("{agent_id}", "A").replace("{session_id}", "x").replace("{call_id}", "c")
            url = url.replace("{plan_id}", "1").replace("{agent}", "A")
            url = url.replace("{queue}", "support").replace("{callback_id}", "cb1")
            for headers in ({}, bearer("adm-2"), bearer("adm-1x"), {"Authorization": "adm-1"}):
                async with http.request(method, url, headers=headers) as r:
                    assert r.status == 401, (method, path, headers, r.status)
                    assert (await r.json())["error"] == "unauthorized"
        # Supervisor S1 (team t1) may act on A, not on B (team t2).
        for action in ("login", "logout", "pause", "unpause"):
            async with http.post(f"{base}/api/agents/B/{action}", headers=bearer("sup-1"),
                                 json={"reason": "lunch"} if action == "pause" else None) as r:
                assert r.status == 403, action
        async with http.post(f"{base}/api/supervision", headers=bearer("sup-1"),
                             json={"agent_id": "B", "mode": "listen"}) as r:
            assert r.status == 403 and "not in your teams" in (await r.json())["message"]
        async with http.post(f"{base}/api/agents/A/login", headers=bearer("sup-1")) as r:
            assert r.status == 202
        await ccd.wait_event("agent.login", agent_id="A")
        # A viewer reads, never acts.
        async with http.post(f"{base}/api/agents/A/logout", headers=bearer("view-1")) as r:
            assert r.status == 403
        async with http.get(f"{base}/api/openapi.json", headers=bearer("view-1")) as r:
            doc = await r.json()
        for method, path in found:
            assert doc["paths"][path][method.lower()]["summary"] != f"{method} {path}", (method, path)
        async with http.get(f"{base}/readyz", headers=bearer("view-1")) as r:
            assert r.status == 200 and (await r.json())["ready"] is True

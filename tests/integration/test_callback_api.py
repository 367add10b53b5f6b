"""Callbacks over HTTP against real PostgreSQL: list by queue in line order with waits,
history by status, cancel (supervisor only), and 4xx with a reason for bad requests."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from ccd.api.app import Api
from ccd.callbacks.core.book import CallbackBook, QueueRules
from ccd.callbacks.routes import CallbackRoutes
from ccd.callbacks.service import CallbackService
from ccd.store.migrate import migrate
from tests.unit.api_fixtures import AUTH, FakeBackend

pytestmark = pytest.mark.postgres
T0 = 1_790_000_000.0


async def test_callback_routes(pg_dsn: str) -> None:
    await migrate(pg_dsn)
    db = await asyncpg.connect(pg_dsn)
    svc = CallbackService(CallbackBook({"support": QueueRules()}), db, lambda e: None,
                          lambda d: None, lambda: T0 + 100)
    api = Api(FakeBackend())
    app = api.build()

    async def get_db() -> Any:
        return db

    CallbackRoutes(api, lambda: svc, get_db).add_to(app)
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        await svc.request("cb-b", "support", "+49302", 0, T0 + 40, 2)
        await svc.request("cb-a", "support", "+49301", 0, T0 + 10, 1)
        await svc.request("cb-c", "support", "+49303", 0, T0 + 60, 3)
        await svc.dispatch("support", [(0, T0, 0)], 2)  # one live caller ahead: only cb-a dials

        r = await client.get("/api/queues/support/callbacks", headers=AUTH["viewer"])
        assert r.status == 200
        body = await r.json()
        assert [(c["id"], c["status"], c["wait_s"]) for c in body] == [
            ("cb-a", "dialling", 90), ("cb-b", "pending", 60), ("cb-c", "pending", 40)]

        assert (await client.delete("/api/callbacks/cb-b", headers=AUTH["viewer"])).status == 403
        assert (await client.delete("/api/callbacks/cb-b", headers=AUTH["sup"])).status == 204
        assert (await client.delete("/api/callbacks/cb-b", headers=AUTH["sup"])).status == 404
        r = await client.delete("/api/callbacks/cb-a", headers=AUTH["sup"])
        assert r.status == 409 and "dialled" in (await r.json())["message"]
        assert (await client.delete("/api/callbacks/bad%20id", headers=AUTH["sup"])).status == 400

        r = await client.get("/api/callbacks?queue=support&status=cancelled", headers=AUTH["viewer"])
        assert [c["id"] for c in await r.json()] == ["cb-b"]
        for bad in ("status=done", "limit=0", "limit=5000", "queue=nope", "colour=red"):
            r = await client.get(f"/api/callbacks?{bad}", headers=AUTH["viewer"])
            assert r.status == 400, bad
            assert (await r.json())["message"]
        assert (await client.get("/api/queues/nope/callbacks", headers=AUTH["viewer"])).status == 404
        assert (await client.get("/api/callbacks")).status == 401
    finally:
        await client.close()
        await db.close()

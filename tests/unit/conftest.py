"""Fixtures shared by the unit tests of the HTTP API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from ccd.api.app import Api
from ccd.api.report_routes import ReportRoutes
from tests.unit.api_fixtures import FakeBackend, MakeClient


@pytest.fixture
async def make_client() -> AsyncIterator[MakeClient]:
    clients: list[TestClient[Any, Any]] = []

    async def make(backend: FakeBackend | None = None) -> TestClient[Any, Any]:
        api = Api(backend or FakeBackend())
        app = api.build()
        # The DSN points nowhere: authentication and input checks come before the database.
        ReportRoutes(api, "postgresql://nobody@127.0.0.1:1/none").add_to(app)
        client = TestClient(TestServer(app))
        await client.start_server()
        clients.append(client)
        return client

    yield make
    for c in clients:
        await c.close()

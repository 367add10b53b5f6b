"""Fixtures shared by the unit tests of the HTTP API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from ccd import openapi
from ccd.api.app import Api
from ccd.api.report_routes import ReportRoutes
from ccd.queues.routes import QueueRoutes
from ccd.rating_ivr.routes import RatingRoutes
from ccd.staffing.routes import StaffingRoutes
from tests.unit.api_fixtures import FakeBackend, MakeClient


@pytest.fixture
async def make_client() -> AsyncIterator[MakeClient]:
    clients: list[TestClient[Any, Any]] = []

    async def make(backend: FakeBackend | None = None) -> TestClient[Any, Any]:
        backend = backend or FakeBackend()
        api = Api(backend)
        app = api.build()
        QueueRoutes(api, backend.snapshot, backend.submit).add_to(app)
        # The DSN points nowhere: authentication and input checks come before the database.
        reports = ReportRoutes(api, "postgresql://nobody@127.0.0.1:1/none")
        reports.add_to(app)
        RatingRoutes(reports).add_to(app)
        StaffingRoutes(reports).add_to(app)
        openapi.add_to(app, api)
        client = TestClient(TestServer(app))
        await client.start_server()
        clients.append(client)
        return client

    yield make
    for c in clients:
        await c.close()

"""Property tests generated from /api/openapi.json (schemathesis): no request, valid or not,
with any role's token, makes the API answer 5xx or break its own document."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis  # a dev dependency: missing, the test fails (never skips past CI)
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode, checks
from schemathesis.specs.openapi import checks as openapi_checks

from ccd import openapi
from ccd.api.app import Api
from ccd.openapi import document, routes
from ccd.queues.routes import QueueRoutes
from tests.unit.api_fixtures import AUTH, FakeBackend

CHECKS = [checks.not_a_server_error, openapi_checks.status_code_conformance,
          openapi_checks.content_type_conformance, openapi_checks.response_schema_conformance]


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, web.Application, FakeBackend]]:
    """The API on a real socket in its own thread (schemathesis' client is synchronous)."""
    backend = FakeBackend()
    api = Api(backend)
    app = api.build()
    QueueRoutes(api, backend.snapshot, backend.submit).add_to(app)
    openapi.add_to(app, api)
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app)
    loop.run_until_complete(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", 0)
    loop.run_until_complete(site.start())
    port = runner.addresses[0][1]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}", app, backend
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


OPERATIONS = [("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics"), ("GET", "/api/openapi.json"),
              ("GET", "/api/queues"), ("GET", "/api/agents"), *[("POST", f"/api/agents/{{agent_id}}/{a}")
                                                                for a in ("login", "logout", "pause", "unpause")]]


# Negative (schema-violating) requests only exist where there is a parameter or body to break.
CASES = [(m, p, "positive") for m, p in OPERATIONS] + [(m, p, "negative") for m, p in OPERATIONS if "{" in p]


@pytest.mark.parametrize(("method", "path", "mode"), CASES)
def test_no_server_errors(served: tuple[str, web.Application, FakeBackend], method: str, path: str,
                          mode: str) -> None:
    url, app, _ = served
    schema = schemathesis.openapi.from_dict(document(app))
    operation = schema[path][method]
    strategy = operation.as_strategy(generation_mode=GenerationMode(mode))

    @settings(max_examples=40, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(case=strategy, agent=st.sampled_from(["A", "B", "nobody"]))
    def requests_never_break_the_api(case: Any, agent: str) -> None:
        if mode == "positive" and case.path_parameters:
            case.path_parameters["agent_id"] = agent  # random ids would only ever find 404
        for role in ("admin", "sup", "viewer", None):  # every role, and no token at all
            response = case.call(base_url=url, headers=AUTH[role] if role else {})
            case.validate_response(response, checks=CHECKS if mode == "positive" else CHECKS[:1])

    requests_never_break_the_api()


def test_operations_cover_the_core_app(served: tuple[str, web.Application, FakeBackend]) -> None:
    assert sorted(routes(served[1])) == sorted(OPERATIONS)

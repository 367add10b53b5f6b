"""schemathesis against the running daemon (real Asterisk, real PostgreSQL): every operation
of its own /api/openapi.json, valid and invalid requests, with the admin and the viewer token.
No answer may be a server error, and every answer must match the document (status, content
type, schema)."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
import schemathesis  # a dev dependency: missing, the test fails (never skips past CI)
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode, checks
from schemathesis.specs.openapi import checks as openapi_checks

from ccd.sandbox.asterisk import AsteriskInstance, free_port
from tests.harness.ccd import Factory, agent

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres]
TOKENS = [{"name": "admin", "role": "admin", "token": "adm-s"},
          {"name": "sup", "role": "supervisor", "token": "sup-s", "supervisor": "S1"},
          {"name": "viewer", "role": "viewer", "token": "view-s"}]
AUTH = {"admin": {"Authorization": "Bearer adm-s"}, "viewer": {"Authorization": "Bearer view-s"}}
CHECKS = [checks.not_a_server_error, openapi_checks.status_code_conformance,
          openapi_checks.content_type_conformance, openapi_checks.response_schema_conformance]
EXAMPLES = 25


def fuzz_one(url: str, operation: Any, mode: GenerationMode, label: str, failures: list[str]) -> int:
    sent = 0

    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def requests_never_break_the_api(case: Any) -> None:
        nonlocal sent
        if "agent_id" in case.path_parameters and mode is GenerationMode.POSITIVE:
            case.path_parameters["agent_id"] = "A"  # random ids would only ever find 404
        for role in ("admin", "viewer"):
            response = case.call(base_url=url, headers=AUTH[role], timeout=60)
            sent += 1
            try:
                case.validate_response(response, checks=CHECKS if mode is GenerationMode.POSITIVE else CHECKS[:1])
            except Exception as exc:  # collect all, report together
                failures.append(f"{label} [{mode.value}, {role}] {response.status_code}: {exc}"[:600])

    try:
        requests_never_break_the_api()
    except Unsatisfiable:
        pass  # nothing to break (an operation without parameters in negative mode)
    return sent


def fuzz(url: str, doc: dict[str, Any]) -> tuple[int, list[str]]:
    """Run every operation in both generation modes; (requests sent, failures)."""
    schema = schemathesis.openapi.from_dict(doc)
    failures: list[str] = []
    sent = 0
    for path, methods in doc["paths"].items():
        for method in methods:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                sent += fuzz_one(url, schema[path][method.upper()], mode, f"{method.upper()} {path}", failures)
    return sent, failures


async def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    asterisk: AsteriskInstance, ccd_factory: Factory
) -> None:
    port = free_port()
    ccd = await ccd_factory(
        asterisk, agents=[agent("A", teams=["t1"]), agent("B", teams=["t2"])],
        queues=[{"name": "support", "teams": ["t1", "t2"]}],
        supervisors=[{"id": "S1", "endpoint": "Local/sup-S1@sim-agent", "teams": ["t1"]}],
        http={"listen": f"127.0.0.1:{port}", "tokens": TOKENS})
    url = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as http, http.get(f"{url}/api/openapi.json", headers=AUTH["admin"]) as r:
        doc = await r.json()
    assert len(doc["paths"]) >= 12
    # schemathesis' client is synchronous: run it in a thread so this loop keeps serving
    sent, failures = await asyncio.to_thread(fuzz, url, doc)
    assert sent > 200
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures[:30])
    assert ccd.daemon.health.is_up("ari")

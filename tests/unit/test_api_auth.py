"""The HTTP API's authentication, roles, team scope, validation and error shapes."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import make_mocked_request

from ccd.acd.inputs import AgentLoggedIn, AgentPaused
from ccd.api.auth import Principal
from ccd.api.keys import VIA, actor_of
from ccd.api.report_routes import BY_PATTERN
from ccd.openapi import document, routes
from ccd.queues.core.stasis_input import PAUSE_REASON_PATTERN
from tests.unit.api_fixtures import AUTH, FakeBackend, MakeClient, config


def concrete(path: str) -> str:
    return path.replace("{agent_id}", "A").replace("{session_id}", "s1")


async def test_every_protected_route_refuses_missing_and_wrong_tokens(make_client: MakeClient) -> None:
    client = await make_client(FakeBackend(config(open_metrics=False, open_health=False)))
    found = routes(client.app)
    assert len(found) >= 12
    for method, path in found:
        for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic YWRtaW46eA=="},
                        {"Authorization": "Bearer " + AUTH["admin"]["Authorization"][7:] + "x"},
                        {"Authorization": "Bearer"}, {"Authorization": "Bearer \u00e9\u00e8"}):
            resp = await client.request(method, concrete(path), headers=headers)
            assert resp.status == 401, (method, path, headers, resp.status)
            body = await resp.json()
            assert body["error"] == "unauthorized" and resp.headers["WWW-Authenticate"].startswith("Bearer")


async def test_health_and_metrics_are_open_by_default(make_client: MakeClient) -> None:
    client = await make_client()
    for path in ("/healthz", "/readyz", "/metrics"):
        assert (await client.get(path)).status == 200
    assert (await client.get("/api/queues")).status == 401
    text = await (await client.get("/metrics")).text()
    assert "ccd_queue_calls_waiting" in text


async def test_readyz_is_503_when_not_ready(make_client: MakeClient) -> None:
    backend = FakeBackend()
    backend.ready = False
    client = await make_client(backend)
    resp = await client.get("/readyz")
    assert resp.status == 503 and (await resp.json()) == {"ready": False, "ami": False, "ari": True,
                                                           "database": True, "resynced": True}


async def test_roles_and_team_scope(make_client: MakeClient) -> None:
    backend = FakeBackend()
    client = await make_client(backend)
    # Viewers read but never act.
    assert (await client.get("/api/queues", headers=AUTH["viewer"])).status == 200
    resp = await client.post("/api/agents/A/login", headers=AUTH["viewer"])
    assert resp.status == 403 and "needs supervisor" in (await resp.json())["message"]
    # A supervisor acts on their team (t1: agent A) and is refused outside it (B is in t2).
    assert (await client.post("/api/agents/A/login", headers=AUTH["sup"])).status == 202
    for action in ("login", "logout", "pause", "unpause"):
        resp = await client.post(f"/api/agents/B/{action}", headers=AUTH["sup"], json={"reason": "lunch"})
        assert resp.status == 403, action
        assert "not in your teams" in (await resp.json())["message"]
    agents = await (await client.get("/api/agents", headers=AUTH["sup"])).json()
    assert [a["agent_id"] for a in agents] == ["A"]  # the supervisor sees their teams only
    # An admin acts on everyone.
    assert (await client.post("/api/agents/B/pause", headers=AUTH["admin"], json={"reason": "lunch"})).status == 202
    # ... and each action names the token that asked (the agent events carry it as actor)
    assert backend.submitted == [AgentLoggedIn("A", actor="token:sup"),
                                 AgentPaused("B", "lunch", actor="token:admin")]
    admin_agents = await (await client.get("/api/agents", headers=AUTH["admin"])).json()
    assert {a["agent_id"] for a in admin_agents} == {"A", "B"}


@pytest.mark.parametrize(("body", "reason"), [
    (b"", "reason: Field required"),
    (b"{", "body is not valid JSON"),
    (b"\xff\xfe", "body is not UTF-8"),
    (b"[]", "Input should be a valid dictionary"),
    (b'{"reason": ""}', "reason: String should have at least 1 character"),
    (b'{"reason": "a/b"}', "reason: String should match pattern"),
    (b'{"reason": "x", "extra": 1}', "extra: Extra inputs are not permitted"),
])
async def test_pause_body_errors_say_what_is_wrong(make_client: MakeClient, body: bytes, reason: str) -> None:
    client = await make_client()
    resp = await client.post("/api/agents/A/pause", headers={**AUTH["admin"], "Content-Type": "application/json"},
                             data=body)
    assert resp.status == 400
    got = await resp.json()
    assert got["error"] == "bad_request" and reason in got["message"], got


async def test_parameterless_actions_refuse_unknown_fields(make_client: MakeClient) -> None:
    client = await make_client()
    assert (await client.post("/api/agents/A/login", headers=AUTH["admin"], json={})).status == 202
    resp = await client.post("/api/agents/A/login", headers=AUTH["admin"], json={"force": True})
    assert resp.status == 400 and "force" in (await resp.json())["message"]


async def test_unknown_things_are_json_404s(make_client: MakeClient) -> None:
    client = await make_client()
    for method, path in (("POST", "/api/agents/Z/login"), ("POST", "/api/agents/A/dance"), ("GET", "/nope")):
        resp = await client.request(method, path, headers=AUTH["admin"])
        assert resp.status == 404 and resp.content_type == "application/json", path
        assert (await resp.json())["error"] in ("not_found",)
    resp = await client.delete("/api/queues", headers=AUTH["admin"])
    assert resp.status == 405 and "GET" in resp.headers["Allow"]
    resp = await client.post("/api/agents/A/pause", headers=AUTH["admin"], data=b"x" * 70_000)
    assert resp.status == 413 and (await resp.json())["error"] == "request_entity_too_large"


async def test_openapi_document_describes_every_route(make_client: MakeClient) -> None:
    client = await make_client()
    assert (await client.get("/api/openapi.json")).status == 401
    doc = await (await client.get("/api/openapi.json", headers=AUTH["viewer"])).json()
    assert doc["openapi"].startswith("3.")
    for method, path in routes(client.app):
        entry = doc["paths"][path][method.lower()]
        assert entry["summary"] != f"{method} {path}", f"{method} {path} has no real description"
    for path, ops in doc["paths"].items():  # a 500 is documented as what it is, not left to surprise
        assert all("500" in entry["responses"] for entry in ops.values()), path
    pause = doc["paths"]["/api/agents/{agent_id}/pause"]["post"]
    body = pause["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["reason"] and body["additionalProperties"] is False
    assert body["properties"]["reason"]["pattern"] == PAUSE_REASON_PATTERN  # the constraints validation applies
    assert body["properties"]["reason"]["maxLength"] == 64
    assert next(p for p in pause["parameters"] if p["name"] == "agent_id")["schema"]["pattern"]
    params = {p["name"]: p["schema"] for p in doc["paths"]["/api/reports"]["get"]["parameters"]}
    assert {"from", "to", "by", "format"} <= set(params)
    assert params["by"]["pattern"] == BY_PATTERN and params["format"]["enum"] == ["json", "csv"]
    assert {"503", "504"} <= set(doc["paths"]["/api/reports"]["get"]["responses"])
    assert document(client.app) == doc


def test_the_audit_actor_says_token_or_console_person() -> None:
    who = Principal("anna", "supervisor", frozenset({"t1"}), "S1")
    request = make_mocked_request("POST", "/api/agents/A1/pause")
    assert actor_of(request, who) == "token:anna"
    request[VIA] = "console"
    assert actor_of(request, who) == "console:anna"

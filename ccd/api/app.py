"""aiohttp application: /healthz, /readyz, /metrics and the JSON API.

Handlers are thin: they authenticate, validate the body with pydantic, and hand an input to
the daemon's core loop through the ``Backend`` protocol. Errors map to status codes by their
``error_id`` so clients get a reason, never a stack trace.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ccd.api import guard, openapi
from ccd.api.auth import Principal, TokenAuth
from ccd.api.guard import MAX_JSON_DEPTH, json_depth
from ccd.api.params import reasons
from ccd.config import CcdConfig
from ccd.errors import BadRequest, CcdError, Forbidden, NotFound, Unauthorized
from ccd.queues.core.inputs import AgentLoggedIn, AgentLoggedOut, AgentPaused, AgentUnpaused, Input
from ccd.queues.core.snapshot import EngineSnapshot
from ccd.queues.core.stasis_input import PAUSE_REASON_PATTERN

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
M = TypeVar("M", bound=BaseModel)


class Backend(Protocol):
    cfg: CcdConfig
    registry: CollectorRegistry

    def readiness(self) -> dict[str, bool]: ...

    def snapshot(self) -> EngineSnapshot: ...

    def submit(self, inp: Input) -> None: ...


class PauseBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=64, pattern=PAUSE_REASON_PATTERN)


class EmptyBody(BaseModel):
    """Actions without parameters: no body, or ``{}``; anything else is a client mistake."""

    model_config = ConfigDict(extra="forbid")


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.Response(text=json.dumps(data, default=str), status=status,
                        content_type="application/json")


def error_response(err: CcdError) -> web.Response:
    body: dict[str, Any] = {"error": err.error_id, "message": err.message}
    if err.details:
        body["details"] = err.details
    resp = json_response(body, err.status)
    if err.status == 401:
        resp.headers["WWW-Authenticate"] = 'Bearer realm="ccd"'
    return resp


async def parse_body(request: web.Request, model: type[M]) -> M:
    data = await request.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest("body is not UTF-8 text") from exc
    if json_depth(text) > MAX_JSON_DEPTH:
        raise BadRequest(f"body nests deeper than {MAX_JSON_DEPTH} levels")
    if "\x00" in text or "\\u0000" in text:
        raise BadRequest("body: NUL characters are not allowed")
    try:
        raw = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError as exc:
        raise BadRequest(f"body is not valid JSON: {exc.msg}") from exc
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise BadRequest(reasons(exc)) from exc


class Api:
    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.auth = TokenAuth(backend.cfg)
        self.agent_teams = {a.id: a.teams for a in backend.cfg.agents}

    def principal(self, request: web.Request, role: str = "viewer") -> Principal:
        # A person signed in to the console (ccd.console.auth) or a machine's bearer token.
        who: Principal | None = request.get("console_principal") or self.auth.identify(request)
        if who is None:
            raise Unauthorized("missing or invalid bearer token (or console session)")
        if not who.may(role):
            raise Forbidden(f"role {who.role!r} may not do this (needs {role})")
        request["principal"] = who  # the actor, for the audit of what the request does
        return who

    def open_or_auth(self, request: web.Request, is_open: bool) -> None:
        if not is_open:
            self.principal(request)

    # -- health and metrics ---------------------------------------------------------------
    async def healthz(self, request: web.Request) -> web.Response:
        self.open_or_auth(request, self.backend.cfg.http.open_health)
        return json_response({"status": "alive"})

    async def readyz(self, request: web.Request) -> web.Response:
        self.open_or_auth(request, self.backend.cfg.http.ready_is_open())
        parts = self.backend.readiness()
        ready = all(parts.values())
        return json_response({"ready": ready, **parts}, 200 if ready else 503)

    async def metrics(self, request: web.Request) -> web.Response:
        self.open_or_auth(request, self.backend.cfg.http.metrics_is_open())
        body = generate_latest(self.backend.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    # -- live state -----------------------------------------------------------------------
    async def queues(self, request: web.Request) -> web.Response:
        self.principal(request)
        snap = self.backend.snapshot()
        return json_response({
            name: {
                "waiting": len(q.waiting),
                "longest_wait_s": round(q.longest_wait_s, 3),
                "available_agents": q.available_agents,
                "logged_in_agents": q.logged_in_agents,
                "calls": [
                    {"call_id": c.call_id, "wait_s": round(c.wait_s, 3), "priority": c.priority,
                     "status": c.status, "offered_to": c.offered_to, "attempts": c.attempts}
                    for c in q.waiting
                ],
            }
            for name, q in snap.queues.items()
        })

    async def agents(self, request: web.Request) -> web.Response:
        who = self.principal(request)
        snap = self.backend.snapshot()
        return json_response([
            {"agent_id": a.agent_id, "name": a.name, "state": a.state, "reason": a.reason,
             "since": a.since, "current_call": a.current_call, "calls_handled": a.calls_handled,
             "missed_total": a.missed_total, "teams": self.agent_teams.get(a.agent_id, [])}
            for a in snap.agents.values()
            if who.covers(self.agent_teams.get(a.agent_id, []))
        ])

    async def agent_action(self, request: web.Request) -> web.Response:
        who = self.principal(request, "supervisor")
        agent_id, action = request.match_info["agent_id"], request.match_info["action"]
        if agent_id not in self.agent_teams:
            raise NotFound(f"no agent {agent_id!r}")
        if not who.covers(self.agent_teams[agent_id]):
            raise Forbidden(f"agent {agent_id!r} is not in your teams")
        inp: Input
        if action in ("login", "logout", "unpause"):
            await parse_body(request, EmptyBody)
        if action == "login":
            inp = AgentLoggedIn(agent_id, actor=f"token:{who.name}")
        elif action == "logout":
            inp = AgentLoggedOut(agent_id, actor=f"token:{who.name}")
        elif action == "pause":
            inp = AgentPaused(agent_id, (await parse_body(request, PauseBody)).reason, actor=f"token:{who.name}")
        elif action == "unpause":
            inp = AgentUnpaused(agent_id, actor=f"token:{who.name}")
        else:
            raise NotFound(f"unknown action {action!r} (login, logout, pause, unpause)")
        self.backend.submit(inp)
        return json_response({"agent_id": agent_id, "action": action, "accepted": True}, 202)

    def build(self) -> web.Application:
        app = web.Application(middlewares=[guard.middleware(error_response)], client_max_size=64 * 1024)
        app.on_response_prepare.append(guard.safe_headers)
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/readyz", self.readyz)
        app.router.add_get("/metrics", self.metrics)
        app.router.add_get("/api/queues", self.queues)
        app.router.add_get("/api/agents", self.agents)
        app.router.add_post("/api/agents/{agent_id}/{action}", self.agent_action)
        app.router.add_get("/api/openapi.json", openapi.handler(self))
        return app
